/** U's enrolment (§2.2), login proof A1 (§2.3) and merchant directory (Y_P cache). */
import { idKey } from "../bytes.js";
import { finishEnrolment, startEnrolment } from "../credential.js";
import type { Credential } from "../credential.js";
import { certificateChallenge, implicitPublicKey, loginTag } from "../crypto/derivations.js";
import { decodePoint, decodeScalar, encodePoint, mulSecret, xCoordinate } from "../crypto/group.js";
import { localFailure } from "../errors.js";
import { encodeA1 } from "../encoding/messages.js";
import { nonceBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { PublicParams, Rng } from "../types.js";
import type { WalletState } from "./state.js";

/** R1 for a new wallet identity; keep the returned state (it holds k'_U) until R3 arrives. 2 T_mul. */
export function startWalletEnrolment(state: WalletState, params: PublicParams, id: string, rng: Rng): Outcome<WalletState, { request: Uint8Array }> {
  if (state.credential !== null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "this wallet is already enrolled"));
  const { pending, r1 } = startEnrolment(params, id, "U", rng);
  return { ok: true, state: { ...state, enrolment: pending }, request: r1 };
}

/** The R1 of the enrolment under way, to send again after a lost answer. */
export function resendWalletEnrolment(state: WalletState): Uint8Array | null {
  return state.enrolment?.r1 ?? null;
}

/** R3 → credential (R4). 2 T_mul. */
export function finishWalletEnrolment(state: WalletState, r3: Uint8Array, now: number): Outcome<WalletState> {
  if (state.enrolment === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "no enrolment under way"));
  const result = finishEnrolment(state.enrolment, r3, now);
  if (!result.ok) return fail({ ...state, enrolment: null }, result.failure);
  return { ok: true, state: { ...state, enrolment: null, credential: result.credential } };
}

/** x(s_X·Q_N): the static DH value behind A1, W1 and D1. 1 T_mul. */
export function sharedSecretWithPlatform(credential: Credential): Uint8Array {
  const s = decodeScalar(credential.secret);
  const qN = decodePoint(credential.params.qN);
  if (s === null || qN === null) throw new Error("corrupt credential");
  return xCoordinate(mulSecret(qN, s));
}

/** A1 (§2.3): (ID_X, V_X, T, nonce, tag). 1 T_mul. Works for a merchant credential too. */
export function makeLoginProof(credential: Credential, now: number, rng: Rng): Uint8Array {
  const zx = sharedSecretWithPlatform(credential);
  const nonce = rng(nonceBytes);
  const tag = loginTag(zx, credential.id, credential.params.idN, credential.v, now, nonce);
  return encodeA1({ idX: credential.id, vX: credential.v, tMs: now, nonce, tag });
}

/** What a merchant publishes so that wallets can pay it (merchant.merchantOffer). */
export interface MerchantDescriptor {
  readonly id: string;
  readonly v: Uint8Array;
  readonly notAfterMs: number;
}

/**
 * Caches Y_P = V_P + e_P·Q_N for a merchant (§2.5, "cacheable"). 1 T_mul. Nothing here proves that V_P is
 * genuine: a wrong V_P only yields a Y_P whose secret nobody holds, so the payment fails (property 8).
 */
export function addMerchant(state: WalletState, merchant: MerchantDescriptor): Outcome<WalletState> {
  const credential = state.credential;
  if (credential === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "enrol first"));
  const v = decodePoint(merchant.v);
  const qN = decodePoint(credential.params.qN);
  if (v === null || qN === null) return fail(state, localFailure("ERR_SVS_INVALID_ARGUMENT", "V_P is not a valid point"));
  const e = certificateChallenge(merchant.id, "P", merchant.notAfterMs, merchant.v, credential.params.qN);
  const y = implicitPublicKey(v, e, qN);
  if (y === null) return fail(state, localFailure("ERR_SVS_INVALID_ARGUMENT", "Y_P is the identity"));
  const entry = { id: merchant.id, v: Uint8Array.from(merchant.v), notAfterMs: merchant.notAfterMs, y: encodePoint(y) };
  return { ok: true, state: { ...state, merchants: { ...state.merchants, [idKey(merchant.id)]: entry } } };
}

