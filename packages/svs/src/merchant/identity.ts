/** P's enrolment (§2.2) and the descriptor wallets need to pay it. */
import { finishEnrolment, startEnrolment } from "../credential.js";
import { localFailure } from "../errors.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { PublicParams, Rng } from "../types.js";
import type { MerchantDescriptor } from "../wallet/identity.js";
import type { MerchantState } from "./state.js";

export function startMerchantEnrolment(state: MerchantState, params: PublicParams, id: string, rng: Rng): Outcome<MerchantState, { request: Uint8Array }> {
  if (state.credential !== null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "this merchant is already enrolled"));
  const { pending, r1 } = startEnrolment(params, id, "P", rng);
  return { ok: true, state: { ...state, enrolment: pending }, request: r1 };
}

export function finishMerchantEnrolment(state: MerchantState, r3: Uint8Array, now: number): Outcome<MerchantState> {
  if (state.enrolment === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "no enrolment under way"));
  const result = finishEnrolment(state.enrolment, r3, now);
  if (!result.ok) return fail({ ...state, enrolment: null }, result.failure);
  return { ok: true, state: { ...state, enrolment: null, credential: result.credential } };
}

/** (ID_P, V_P, notAfter_P): public; wallets turn it into Y_P with wallet.addMerchant. */
export function merchantDescriptor(state: MerchantState): MerchantDescriptor | null {
  const c = state.credential;
  return c === null ? null : { id: c.id, v: c.v, notAfterMs: c.notAfterMs };
}
