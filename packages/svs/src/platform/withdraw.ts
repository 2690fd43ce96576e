/** §2.4 Withdrawing at N: W1 → W2, debiting M from U into escrow. */
import { equalBytes, idKey, toHex } from "../bytes.js";
import { tokenSignatureInput, w2AssociatedData, withdrawKeys, withdrawTag } from "../crypto/derivations.js";
import { aeadSeal, ecdsaSign, sha256 } from "../crypto/primitives.js";
import { rejected } from "../errors.js";
import { encodeTau, encodeW1Prefix, encodeW2, encodeW2Body, parseW1 } from "../encoding/messages.js";
import type { W1 } from "../encoding/messages.js";
import { aeadNonceBytes, nonceBytes, serialNumberBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import { checkIdentityAndTime, isReplay, replayExpiry, replayKey, sharedSecretWith } from "./authenticate.js";
import type { PlatformConfig } from "./config.js";
import type { LedgerMove, PlatformState, PlatformToken } from "./state.js";

export interface WithdrawInput {
  readonly now: number;
  readonly rng: Rng;
  /** Available balance of the claimed U's ledger account (the adapter reads it in the same transaction). */
  readonly availableBalance: bigint;
}

/**
 * W1 → W2. Check order (§2.4 N), with one deliberate move: the response cache (step 4) is consulted right after
 * the registry and freshness checks (A1 steps 1-2) and before the replay check (A1 step 3) and the balance check
 * (step 3), because a retried W1 is by definition already in the replay cache and has already been debited,
 * so in the spec's order step 4 could never fire. A byte-identical W1 within Δ gets the cached W2 and nothing
 * else happens; a different W1 reusing (ID_U, nonce1) is a replay.
 *
 * Then: replay, tag (2 T_mul), payee ACTIVE with role P, 0 < M ≤ policy max and balance ≥ M, SN, τ, σ_N, keys.
 * The returned state holds token[SN], the replay entry and the response cache entry; `ledger` holds the debit.
 * The adapter must persist both atomically before sending W2 (step 11). SN is drawn unique within the given
 * state; an adapter holding a partial state must also enforce uniqueness (a unique key) and retry.
 */
export function handleW1(
  config: PlatformConfig,
  state: PlatformState,
  w1Bytes: Uint8Array,
  input: WithdrawInput,
): Outcome<PlatformState, { reply: Uint8Array; ledger: LedgerMove[]; token: PlatformToken | null }> {
  const { now, rng } = input;
  let w1: W1;
  try {
    w1 = parseW1(w1Bytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const checked = checkIdentityAndTime(config, state, { id: w1.idU, v: w1.vU, tMs: w1.t1Ms }, "U", now);
  if (!checked.ok) return fail(state, checked.failure);

  const cacheKey = replayKey(w1.idU, w1.nonce1);
  const w1Hash = sha256(w1Bytes);
  const cached = state.withdrawals[cacheKey];
  if (cached !== undefined && cached.expiresAtMs > now) {
    if (equalBytes(cached.w1Hash, w1Hash)) return { ok: true, state, reply: cached.w2, ledger: [], token: null };
    return fail(state, rejected("replay", w1.idU));
  }
  if (isReplay(state, w1.idU, w1.nonce1, now)) return fail(state, rejected("replay", w1.idU));
  const zx = sharedSecretWith(config, checked.entry);
  const expectedTag = zx === null ? null : withdrawTag(zx, w1.idU, config.params.idN, w1.t1Ms, w1.nonce1, encodeW1Prefix(w1));
  if (zx === null || expectedTag === null || !equalBytes(expectedTag, w1.tag1)) return fail(state, rejected("bad-tag", w1.idU));

  const payee = state.registry[idKey(w1.payee)];
  if (payee === undefined || payee.status !== "ACTIVE" || payee.role !== "P" || payee.notAfterMs <= now) {
    return fail(state, rejected("unknown-payee", w1.idU));
  }
  if (w1.amount > config.policy.withdrawAmountMax) return fail(state, rejected("amount", w1.idU));
  if (input.availableBalance < w1.amount) return fail(state, rejected("insufficient-funds", w1.idU));

  let sn = rng(serialNumberBytes);
  while (state.tokens[toHex(sn)] !== undefined) sn = rng(serialNumberBytes);
  const expMs = now + config.policy.tokenTtlMs;
  const tau = encodeTau({ idN: config.params.idN, sn, amount: w1.amount, payee: w1.payee, expMs });
  const signature = ecdsaSign(config.keys.xSig, tokenSignatureInput(tau));
  const nonce2 = rng(nonceBytes);
  const { kUN, kW2 } = withdrawKeys(zx, w1.nonce1, nonce2, w1Hash);
  const aeadNonce = rng(aeadNonceBytes);
  const sealed = aeadSeal(kW2, aeadNonce, encodeW2Body({ tau, signature, t2Ms: now }), w2AssociatedData(w1Hash, nonce2));
  const w2 = encodeW2({ idN: config.params.idN, nonce2, aeadNonce, sealed });

  const token: PlatformToken = {
    sn,
    idU: w1.idU,
    accountU: checked.entry.account,
    amount: w1.amount,
    payee: w1.payee,
    expMs,
    kUN,
    tau,
    signature,
    settled: 0n,
    settledRecords: 0,
    status: "ISSUED",
    escrow: w1.amount,
    pendingDepId: null,
    pendingAmount: 0n,
    disputedAmount: 0n,
  };
  const expiresAtMs = replayExpiry(config, now);
  return {
    ok: true,
    state: {
      ...state,
      replay: { ...state.replay, [cacheKey]: expiresAtMs },
      withdrawals: { ...state.withdrawals, [cacheKey]: { w1Hash, w2, expiresAtMs } },
      tokens: { ...state.tokens, [toHex(sn)]: token },
    },
    reply: w2,
    ledger: [{ kind: "withdraw", sn, account: checked.entry.account, amount: w1.amount }],
    token,
  };
}
