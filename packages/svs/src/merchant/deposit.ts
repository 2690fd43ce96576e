/** §2.7 Depositing at P: one D1 carrying every record not yet deposited, then D4 results. */
import { toHex } from "../bytes.js";
import { d1AssociatedData, d4AssociatedData, depositKeys, depositTag } from "../crypto/derivations.js";
import { decodePoint, decodeScalar, mulSecret, xCoordinate } from "../crypto/group.js";
import { aeadOpen, aeadSeal } from "../crypto/primitives.js";
import { localFailure, rejected } from "../errors.js";
import { encodeD1, encodeDepositBatch, parseD4, parseD4Body } from "../encoding/messages.js";
import type { D4, D4Body, DepositEntry, DepositResult } from "../encoding/messages.js";
import { aeadNonceBytes, aeadTagBytes, depositRecordsMax, depositTokensMax, fieldBytesMax, nonceBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import type { MerchantDeposit, MerchantRecord, MerchantState, MerchantToken } from "./state.js";

/** Encoded size of one record inside the batch (6 LP fields: 4+32+8+8+8+32 bytes + 6·2) plus its own LP. */
const recordEncodedBytes = 104 + 2;
/** Per token: LP(entry) ‖ LP(τ) ‖ LP(σ_N) ‖ LP(records) overhead. */
const tokenOverheadBytes = 2 + 2 + 64 + 2 + 2;

function inFlight(record: MerchantRecord): boolean {
  return record.status === "IN_DEPOSIT" || record.status === "PENDING";
}

/**
 * D1 (§2.7): Z = s_P·Q_N (1 T_mul); prk = Extract(I2OSP(T_D,8) ‖ nonceD, x(Z)); the batch of every token's
 * undeposited records (tokens with a deposit still in flight wait for it, because N settles one deposit per SN
 * at a time) up to the size limits, sealed and tagged. dep_id = nonceD. The records become IN_DEPOSIT.
 */
export function startDeposit(state: MerchantState, now: number, rng: Rng): Outcome<MerchantState, { request: Uint8Array; depId: string }> {
  const credential = state.credential;
  if (credential === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "enrol first"));
  const nonceD = rng(nonceBytes);
  const depId = toHex(nonceD);
  const entries: DepositEntry[] = [];
  const tokens: Record<string, MerchantToken> = { ...state.tokens };
  const sns: string[] = [];
  let bytes = 0;
  let recordCount = 0;
  for (const [snKey, token] of Object.entries(state.tokens)) {
    if (entries.length === depositTokensMax) break;
    if (token.records.some(inFlight)) continue;
    const waiting = token.records.filter((r) => r.status === "UNDEPOSITED");
    if (waiting.length === 0) continue;
    const room = Math.min(
      depositRecordsMax - recordCount,
      Math.floor((fieldBytesMax - aeadTagBytes - bytes - tokenOverheadBytes - token.tau.byteLength) / recordEncodedBytes),
    );
    if (room < 1) break;
    const chosen = new Set(waiting.slice(0, room));
    entries.push({ tau: token.tau, signature: token.signature, records: [...chosen].map((r) => r.record) });
    recordCount += chosen.size;
    bytes += tokenOverheadBytes + token.tau.byteLength + chosen.size * recordEncodedBytes;
    sns.push(snKey);
    tokens[snKey] = { ...token, records: token.records.map((r) => (chosen.has(r) ? { ...r, status: "IN_DEPOSIT" as const, depId } : r)) };
  }
  if (entries.length === 0) return fail(state, localFailure("ERR_SVS_NOTHING_TO_DEPOSIT", "no payment records await deposit"));

  const sP = decodeScalar(credential.secret);
  const qN = decodePoint(credential.params.qN);
  if (sP === null || qN === null) throw new Error("corrupt credential");
  const keys = depositKeys(xCoordinate(mulSecret(qN, sP)), now, nonceD);
  const aeadNonce = rng(aeadNonceBytes);
  const sealed = aeadSeal(keys.enc, aeadNonce, encodeDepositBatch(entries), d1AssociatedData(credential.id, now, nonceD));
  const tag = depositTag(keys.tag, credential.id, credential.v, now, nonceD, aeadNonce, sealed);
  const d1 = encodeD1({ idP: credential.id, vP: credential.v, tMs: now, nonceD, aeadNonce, sealed, tag });
  const deposit: MerchantDeposit = { depId: nonceD, d1, resultKey: keys.result, createdAtMs: now, sns, results: {} };
  return { ok: true, state: { ...state, tokens, deposits: { ...state.deposits, [depId]: deposit } }, request: d1, depId };
}

/** The D1 of a deposit, to send again if it may not have arrived (N refuses it as a replay if it did: then ask N for D4). */
export function resendDeposit(state: MerchantState, depId: string): Uint8Array | null {
  return state.deposits[depId]?.d1 ?? null;
}

/** Returns the records of a deposit N never received (N answers unknown-deposit to a D4 request) to UNDEPOSITED. */
export function abandonDeposit(state: MerchantState, depId: string): MerchantState {
  if (state.deposits[depId] === undefined) return state;
  const tokens = Object.fromEntries(
    Object.entries(state.tokens).map(([key, token]) => [
      key,
      { ...token, records: token.records.map((r) => (r.depId === depId ? { ...r, status: "UNDEPOSITED" as const, depId: null } : r)) },
    ]),
  );
  const { [depId]: _dropped, ...deposits } = state.deposits;
  return { ...state, tokens, deposits };
}

/**
 * D4: N's per-SN results for a deposit. The deposit's records take the reported status: PENDING (U has not
 * answered), SETTLED (credited), DISPUTED (U refused) or REJECTED (N refused the SN). D4 may come several times.
 */
export function handleD4(state: MerchantState, d4Bytes: Uint8Array, _now: number): Outcome<MerchantState, { results: readonly DepositResult[] }> {
  let d4: D4;
  try {
    d4 = parseD4(d4Bytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const depId = toHex(d4.depId);
  const deposit = state.deposits[depId];
  if (deposit === undefined) return fail(state, rejected("unknown-deposit"));
  const bodyBytes = aeadOpen(deposit.resultKey, d4.aeadNonce, d4.sealed, d4AssociatedData(d4.depId));
  if (bodyBytes === null) return fail(state, rejected("decrypt"));
  let body: D4Body;
  try {
    body = parseD4Body(bodyBytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const tokens: Record<string, MerchantToken> = { ...state.tokens };
  const results: Record<string, { status: DepositResult["status"]; amount: bigint }> = { ...deposit.results };
  for (const result of body.results) {
    const snKey = toHex(result.sn);
    const token = tokens[snKey];
    if (token === undefined || !deposit.sns.includes(snKey)) continue;
    results[snKey] = { status: result.status, amount: result.amount };
    tokens[snKey] = { ...token, records: token.records.map((r) => (r.depId === depId ? { ...r, status: result.status } : r)) };
  }
  return { ok: true, state: { ...state, tokens, deposits: { ...state.deposits, [depId]: { ...deposit, results } } }, results: body.results };
}

/** Drops seenR entries older than 2Δ. */
export function pruneSeen(state: MerchantState, now: number): MerchantState {
  return { ...state, seenR: Object.fromEntries(Object.entries(state.seenR).filter(([, seen]) => seen.expiresAtMs > now)) };
}
