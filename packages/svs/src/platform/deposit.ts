/** §2.7 Depositing at N: D1 → D2 to each U (and D4 to P); D3 settles or disputes; expiry refunds. */
import { equalBytes, toHex } from "../bytes.js";
import {
  confirmationAssociatedData,
  confirmationKeys,
  d1AssociatedData,
  d4AssociatedData,
  depositKeys,
  depositTag,
  paymentAuth,
  paymentAuthKey,
} from "../crypto/derivations.js";
import { aeadOpen, aeadSeal } from "../crypto/primitives.js";
import { rejected } from "../errors.js";
import {
  encodeD2,
  encodeD2Body,
  encodeD4,
  encodeD4Body,
  parseD1,
  parseD3,
  parseD3Body,
  parseDepositBatch,
  parseTau,
} from "../encoding/messages.js";
import type { D1, D3, D3Body, DepositEntry, DepositResult } from "../encoding/messages.js";
import { aeadNonceBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import { checkIdentityAndTime, isReplay, replayExpiry, replayKey, sharedSecretWith } from "./authenticate.js";
import type { PlatformConfig } from "./config.js";
import type { LedgerMove, PlatformDeposit, PlatformDepositItem, PlatformState, PlatformToken } from "./state.js";

/** A D2 for the adapter to deliver to the wallet of `idU` (e.g. an inbox the wallet polls). */
export interface ConfirmationRequest {
  readonly idU: string;
  readonly accountU: string;
  readonly sn: Uint8Array;
  readonly depId: Uint8Array;
  readonly d2: Uint8Array;
}

/**
 * D1 → D4 (+ one D2 per accepted token). Steps 1-2 (A1-style checks for P, dep_id unused, decrypt) reject the
 * whole batch; steps 3-5 reject one SN, which D4 reports as REJECTED without contacting U (property 24).
 *
 * The state must hold the registry entry of ID_P and every open token whose payee is ID_P (their SNs are only
 * known after decryption). Per SN, in order:
 *  3. token[SN] exists and τ and σ_N are byte-equal to the issued ones (0 T_mul); status ISSUED or PARTIAL; τ.payee = ID_P;
 *     now and every T_j ≤ exp + grace; no other deposit of this SN awaits U (one at a time);
 *  4. the records continue the settled cum chain: first cum − price = settled, each cum = previous cum + price;
 *  5. every auth_j verifies under Expand(K_UN, "SVS1/pay/auth-key"), and cum_last ≤ M;
 *  6. pending[dep_id, SN] = {records, total = cum_last − settled}; D2 to U.
 * 2 T_mul for the whole batch.
 */
export function handleD1(
  config: PlatformConfig,
  state: PlatformState,
  d1Bytes: Uint8Array,
  now: number,
  rng: Rng,
): Outcome<PlatformState, { reply: Uint8Array; confirmations: ConfirmationRequest[] }> {
  let d1: D1;
  try {
    d1 = parseD1(d1Bytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const checked = checkIdentityAndTime(config, state, { id: d1.idP, v: d1.vP, tMs: d1.tMs }, "P", now);
  if (!checked.ok) return fail(state, checked.failure);
  const depKey = toHex(d1.nonceD);
  if (isReplay(state, d1.idP, d1.nonceD, now) || state.deposits[depKey] !== undefined) {
    return fail(state, rejected("replay", d1.idP));
  }
  const zx = sharedSecretWith(config, checked.entry);
  if (zx === null) return fail(state, rejected("bad-tag", d1.idP));
  const keys = depositKeys(zx, d1.tMs, d1.nonceD);
  const expectedTag = depositTag(keys.tag, d1.idP, d1.vP, d1.tMs, d1.nonceD, d1.aeadNonce, d1.sealed);
  if (!equalBytes(expectedTag, d1.tag)) return fail(state, rejected("bad-tag", d1.idP));
  const batchBytes = aeadOpen(keys.enc, d1.aeadNonce, d1.sealed, d1AssociatedData(d1.idP, d1.tMs, d1.nonceD));
  if (batchBytes === null) return fail(state, rejected("decrypt", d1.idP));
  let batch: DepositEntry[];
  try {
    batch = parseDepositBatch(batchBytes);
  } catch {
    return fail(state, rejected("encoding", d1.idP));
  }

  const tokens: Record<string, PlatformToken> = { ...state.tokens };
  const items: Record<string, PlatformDepositItem> = {};
  const confirmations: ConfirmationRequest[] = [];
  for (const entry of batch) {
    const verdict = checkDepositEntry(config, tokens, d1.idP, entry, now);
    const snKey = toHex(verdict.sn);
    if (items[snKey] !== undefined) continue; // the same SN twice in one batch: the first one counts
    if (!verdict.ok) {
      items[snKey] = { sn: verdict.sn, status: "REJECTED", rejectReason: verdict.reason, records: entry.records, total: 0n, cumLast: 0n, d2: null, decidedAtMs: now };
      continue;
    }
    const { token, total, cumLast } = verdict;
    const aeadNonce = rng(aeadNonceBytes);
    const body = encodeD2Body({
      idP: d1.idP,
      items: entry.records.map((rec) => ({ j: rec.j, goodsInfoHash: rec.goodsInfoHash, price: rec.price })),
      total,
      tMs: now,
    });
    const sealed = aeadSeal(confirmationKeys(token.kUN).n2u, aeadNonce, body, confirmationAssociatedData("D2", token.sn, d1.nonceD));
    const d2 = encodeD2({ idN: config.params.idN, sn: token.sn, depId: d1.nonceD, aeadNonce, sealed });
    items[snKey] = { sn: token.sn, status: "PENDING", rejectReason: null, records: entry.records, total, cumLast, d2, decidedAtMs: null };
    tokens[snKey] = { ...token, pendingDepId: depKey, pendingAmount: total };
    confirmations.push({ idU: token.idU, accountU: token.accountU, sn: token.sn, depId: d1.nonceD, d2 });
  }
  const deposit: PlatformDeposit = {
    depId: d1.nonceD,
    idP: d1.idP,
    accountP: checked.entry.account,
    resultKey: keys.result,
    createdAtMs: now,
    items,
  };
  const next: PlatformState = {
    ...state,
    replay: { ...state.replay, [replayKey(d1.idP, d1.nonceD)]: replayExpiry(config, now) },
    tokens,
    deposits: { ...state.deposits, [depKey]: deposit },
  };
  return { ok: true, state: next, reply: sealDepositResult(deposit, now, rng), confirmations };
}

type EntryVerdict =
  | { ok: true; sn: Uint8Array; token: PlatformToken; total: bigint; cumLast: bigint }
  | { ok: false; sn: Uint8Array; reason: string };

function checkDepositEntry(
  config: PlatformConfig,
  tokens: Readonly<Record<string, PlatformToken>>,
  idP: string,
  entry: DepositEntry,
  now: number,
): EntryVerdict {
  let sn: Uint8Array;
  try {
    sn = parseTau(entry.tau).sn;
  } catch {
    return { ok: false, sn: new Uint8Array(16), reason: "unparsable τ" };
  }
  const token = tokens[toHex(sn)];
  if (token === undefined || !equalBytes(token.tau, entry.tau) || !equalBytes(token.signature, entry.signature)) {
    return { ok: false, sn, reason: "unknown token, or τ / σ_N not as issued" };
  }
  if (token.status !== "ISSUED" && token.status !== "PARTIAL") return { ok: false, sn, reason: `token ${token.status}` };
  if (token.payee !== idP) return { ok: false, sn, reason: "wrong payee" };
  const deadline = token.expMs + config.policy.depositGraceMs;
  if (now > deadline) return { ok: false, sn, reason: "token expired" };
  if (token.pendingDepId !== null) return { ok: false, sn, reason: "a deposit of this token awaits confirmation" };
  let previousCum = token.settled;
  for (const rec of entry.records) {
    if (rec.tMs > deadline) return { ok: false, sn, reason: "record after expiry" };
    if (rec.cum !== previousCum + rec.price) return { ok: false, sn, reason: "cum chain broken or record already settled" };
    previousCum = rec.cum;
  }
  if (previousCum > token.amount) return { ok: false, sn, reason: "overspent" };
  const kPauth = paymentAuthKey(token.kUN);
  for (const rec of entry.records) {
    if (!equalBytes(paymentAuth(kPauth, idP, sn, rec), rec.auth)) return { ok: false, sn, reason: "bad auth_j" };
  }
  return { ok: true, sn, token, total: previousCum - token.settled, cumLast: previousCum };
}

/** D4: per-SN results of a deposit under Expand(prk, "SVS1/dep/result"). N can send it again at any time. */
export function depositResult(state: PlatformState, depId: Uint8Array, now: number, rng: Rng): Outcome<PlatformState, { reply: Uint8Array }> {
  const deposit = state.deposits[toHex(depId)];
  if (deposit === undefined) return fail(state, rejected("unknown-deposit"));
  return { ok: true, state, reply: sealDepositResult(deposit, now, rng) };
}

function sealDepositResult(deposit: PlatformDeposit, now: number, rng: Rng): Uint8Array {
  const results: DepositResult[] = Object.values(deposit.items).map((item) => ({ sn: item.sn, status: item.status, amount: item.total }));
  const aeadNonce = rng(aeadNonceBytes);
  const sealed = aeadSeal(deposit.resultKey, aeadNonce, encodeD4Body({ results, tMs: now }), d4AssociatedData(deposit.depId));
  return encodeD4({ depId: deposit.depId, aeadNonce, sealed });
}

/**
 * D3 (§2.7 N): exactly one D3 per (dep_id, SN); a later one is ignored (`ignored: true`, nothing changes).
 * ACCEPT with the matching total: escrow → P, settled := cum_last, status PARTIAL or SETTLED (ledger "settle").
 * REJECT: no transfer, the records become DISPUTED and the token is frozen for the dispute process.
 * ACCEPT with another total is refused and the deposit stays pending.
 */
export function handleD3(
  _config: PlatformConfig,
  state: PlatformState,
  d3Bytes: Uint8Array,
  now: number,
): Outcome<PlatformState, { ledger: LedgerMove[]; decision: "ACCEPT" | "REJECT" | null; ignored: boolean }> {
  let d3: D3;
  try {
    d3 = parseD3(d3Bytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const depKey = toHex(d3.depId);
  const snKey = toHex(d3.sn);
  const deposit = state.deposits[depKey];
  const item = deposit?.items[snKey];
  const token = state.tokens[snKey];
  if (deposit === undefined || item === undefined || token === undefined) return fail(state, rejected("unknown-deposit"));
  const bodyBytes = aeadOpen(confirmationKeys(token.kUN).u2n, d3.aeadNonce, d3.sealed, confirmationAssociatedData("D3", d3.sn, d3.depId));
  if (bodyBytes === null) return fail(state, rejected("decrypt", token.idU));
  let body: D3Body;
  try {
    body = parseD3Body(bodyBytes);
  } catch {
    return fail(state, rejected("encoding", token.idU));
  }
  if (!equalBytes(body.depId, d3.depId) || !equalBytes(body.sn, d3.sn)) return fail(state, rejected("wrong-response", token.idU));
  if (item.status !== "PENDING") return { ok: true, state, ledger: [], decision: null, ignored: true };

  const released = { pendingDepId: null, pendingAmount: 0n };
  if (body.decision === "REJECT") {
    const nextToken: PlatformToken = { ...token, ...released, status: "DISPUTED", disputedAmount: token.disputedAmount + item.total };
    return {
      ok: true,
      state: withDepositItem(state, deposit, { ...item, status: "DISPUTED", decidedAtMs: now }, nextToken),
      ledger: [],
      decision: "REJECT",
      ignored: false,
    };
  }
  if (body.total !== item.total) return fail(state, rejected("wrong-response", token.idU));
  const settled = item.cumLast;
  const nextToken: PlatformToken = {
    ...token,
    ...released,
    settled,
    settledRecords: token.settledRecords + item.records.length,
    escrow: token.escrow - item.total,
    status: token.status === "EXPIRED" ? "EXPIRED" : settled === token.amount ? "SETTLED" : "PARTIAL",
  };
  return {
    ok: true,
    state: withDepositItem(state, deposit, { ...item, status: "SETTLED", decidedAtMs: now }, nextToken),
    ledger: [{ kind: "settle", sn: token.sn, depId: deposit.depId, account: deposit.accountP, amount: item.total }],
    decision: "ACCEPT",
    ignored: false,
  };
}

function withDepositItem(state: PlatformState, deposit: PlatformDeposit, item: PlatformDepositItem, token: PlatformToken): PlatformState {
  const snKey = toHex(item.sn);
  return {
    ...state,
    tokens: { ...state.tokens, [snKey]: token },
    deposits: { ...state.deposits, [toHex(deposit.depId)]: { ...deposit, items: { ...deposit.items, [snKey]: item } } },
  };
}

/**
 * Token expiry (§2.7 step 5): every token of the state past exp + grace that is not yet EXPIRED or SETTLED
 * returns its escrow to U, except what a deposit awaiting U's answer claims and what is held for a dispute;
 * from then on deposits of it are refused (a pending one can still be confirmed and is paid from what was held).
 * The adapter passes the tokens it found past their deadline.
 */
export function sweepExpiredTokens(config: PlatformConfig, state: PlatformState, now: number): { state: PlatformState; ledger: LedgerMove[] } {
  const tokens: Record<string, PlatformToken> = { ...state.tokens };
  const ledger: LedgerMove[] = [];
  for (const [key, token] of Object.entries(state.tokens)) {
    if (token.status === "EXPIRED" || token.status === "SETTLED") continue;
    if (now <= token.expMs + config.policy.depositGraceMs) continue;
    const refund = token.escrow - token.pendingAmount - token.disputedAmount;
    if (refund > 0n) ledger.push({ kind: "refund", sn: token.sn, account: token.accountU, amount: refund });
    tokens[key] = { ...token, escrow: token.escrow - refund, status: "EXPIRED" };
  }
  return { state: { ...state, tokens }, ledger };
}

/** Drops replay and response-cache entries older than 2Δ. */
export function pruneCaches(state: PlatformState, now: number): PlatformState {
  const replay = Object.fromEntries(Object.entries(state.replay).filter(([, expiresAtMs]) => expiresAtMs > now));
  const withdrawals = Object.fromEntries(Object.entries(state.withdrawals).filter(([, entry]) => entry.expiresAtMs > now));
  return { ...state, replay, withdrawals };
}

