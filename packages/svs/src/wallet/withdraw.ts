/** §2.4 Withdrawing at U: W1, an idempotent retry of the same W1, and W2. */
import { equalBytes, toHex } from "../bytes.js";
import { paymentAuthKey, tokenSignatureInput, w2AssociatedData, withdrawKeys, withdrawTag } from "../crypto/derivations.js";
import { aeadOpen, ecdsaVerify, sha256 } from "../crypto/primitives.js";
import { localFailure, rejected } from "../errors.js";
import { encodeW1, encodeW1Prefix, parseW2, parseW2Body } from "../encoding/messages.js";
import type { W2 } from "../encoding/messages.js";
import { idBytesMax, nonceBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import { sharedSecretWithPlatform } from "./identity.js";
import type { WalletState, WalletToken } from "./state.js";

/**
 * W1 for a token of `amount` spendable only at `payee` (§3 #6). 1 T_mul. Keep the returned state before sending:
 * a lost answer must be retried with resendWithdrawal (the same bytes), never with a new W1, or a second M is
 * escrowed (§2.4 U step 2).
 */
export function startWithdrawal(
  state: WalletState,
  order: { amount: bigint; payee: string },
  now: number,
  rng: Rng,
): Outcome<WalletState, { request: Uint8Array; withdrawalId: string }> {
  const credential = state.credential;
  if (credential === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "enrol first"));
  if (order.amount < 1n || order.amount > 0xffff_ffff_ffff_ffffn) return fail(state, localFailure("ERR_SVS_INVALID_ARGUMENT", "amount out of range"));
  const payeeBytes = new TextEncoder().encode(order.payee).byteLength;
  if (payeeBytes < 1 || payeeBytes > idBytesMax) return fail(state, localFailure("ERR_SVS_INVALID_ARGUMENT", "payee ID must be 1-255 bytes"));
  const zx = sharedSecretWithPlatform(credential);
  const nonce1 = rng(nonceBytes);
  const fields = { idU: credential.id, vU: credential.v, t1Ms: now, nonce1, amount: order.amount, payee: order.payee };
  const tag1 = withdrawTag(zx, credential.id, credential.params.idN, now, nonce1, encodeW1Prefix(fields));
  const w1 = encodeW1({ ...fields, tag1 });
  const withdrawalId = toHex(nonce1);
  const pending = { w1, t1Ms: now, nonce1, amount: order.amount, payee: order.payee, zx };
  return { ok: true, state: { ...state, withdrawals: { ...state.withdrawals, [withdrawalId]: pending } }, request: w1, withdrawalId };
}

/** The same W1 again, while |now − T1| ≤ Δ; afterwards the withdrawal can no longer complete (N refunds at expiry). */
export function resendWithdrawal(state: WalletState, withdrawalId: string, now: number): Outcome<WalletState, { request: Uint8Array }> {
  const pending = state.withdrawals[withdrawalId];
  const credential = state.credential;
  if (pending === undefined || credential === null) return fail(state, localFailure("ERR_SVS_NO_SUCH_EXCHANGE", "no such withdrawal"));
  if (Math.abs(now - pending.t1Ms) > credential.params.freshnessWindowMs) {
    return fail(state, localFailure("ERR_SVS_RETRY_EXPIRED", "the withdrawal request is older than the freshness window"));
  }
  return { ok: true, state, request: pending.w1 };
}

/** Forgets a pending withdrawal (after resendWithdrawal said ERR_SVS_RETRY_EXPIRED). */
export function abandonWithdrawal(state: WalletState, withdrawalId: string): WalletState {
  const { [withdrawalId]: _dropped, ...withdrawals } = state.withdrawals;
  return { ...state, withdrawals };
}

/**
 * W2 (§2.4 U): derive k_w2 and K_UN, AEAD-decrypt, check τ.ID_N, τ.M = M_req, τ.payee, τ.exp > now,
 * |now − T2| ≤ Δ, then ECDSA-Verify(Q_N^sig, σ_N) (1 T_ver), and store the token. On a decryption failure the
 * state is unchanged: resend the same W1.
 */
export function handleW2(state: WalletState, withdrawalId: string, w2Bytes: Uint8Array, now: number): Outcome<WalletState, { token: WalletToken }> {
  const pending = state.withdrawals[withdrawalId];
  const credential = state.credential;
  if (pending === undefined || credential === null) return fail(state, localFailure("ERR_SVS_NO_SUCH_EXCHANGE", "no such withdrawal"));
  const { params } = credential;
  let w2: W2;
  try {
    w2 = parseW2(w2Bytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  if (w2.idN !== params.idN) return fail(state, rejected("params-mismatch"));
  const w1Hash = sha256(pending.w1);
  const { kUN, kW2 } = withdrawKeys(pending.zx, pending.nonce1, w2.nonce2, w1Hash);
  const bodyBytes = aeadOpen(kW2, w2.aeadNonce, w2.sealed, w2AssociatedData(w1Hash, w2.nonce2));
  if (bodyBytes === null) return fail(state, rejected("decrypt"));
  let body;
  try {
    body = parseW2Body(bodyBytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const tau = body.parsedTau;
  if (tau.idN !== params.idN || tau.amount !== pending.amount || tau.payee !== pending.payee || tau.expMs <= now) {
    return fail(state, rejected("bad-token"));
  }
  if (Math.abs(now - body.t2Ms) > params.freshnessWindowMs) return fail(state, rejected("stale"));
  if (!ecdsaVerify(params.qNSig, tokenSignatureInput(body.tau), body.signature)) return fail(state, rejected("bad-signature"));
  const snKey = toHex(tau.sn);
  const existing = state.tokens[snKey];
  if (existing !== undefined && !equalBytes(existing.tau, body.tau)) return fail(state, rejected("bad-token"));
  const token: WalletToken = existing ?? {
    sn: tau.sn,
    tau: body.tau,
    signature: body.signature,
    amount: tau.amount,
    payee: tau.payee,
    expMs: tau.expMs,
    kUN,
    kPauth: paymentAuthKey(kUN),
    spent: 0n,
    log: [],
    answers: {},
  };
  const { [withdrawalId]: _done, ...withdrawals } = state.withdrawals;
  return { ok: true, state: { ...state, withdrawals, tokens: { ...state.tokens, [snKey]: token } }, token };
}
