import { invariant } from "./assert.js";
import { isValidId, type Id } from "./ids.js";
import { amountMax, batchTransfersMax, codeMax, pendingTimeoutMsMax, userDataCharsMax } from "./limits.js";
import type { ResultCode } from "./result-codes.js";
import { AccountFlag, type Account, type PendingState, type Posting, type Snapshot, type Transfer, type TransferInput } from "./types.js";
import { WorkingState } from "./working-state.js";

export interface BatchOutcome {
  /** One result per input, in input order. */
  readonly results: ResultCode[];
  /** Every account whose counters changed, with its new counters. */
  readonly accounts: ReadonlyMap<Id, Account>;
  /** Transfers this batch created, in order, each in its final state. */
  readonly created: readonly Transfer[];
  /** Pending transfers that existed before the batch and whose state changed. */
  readonly pendingStates: ReadonlyMap<Id, PendingState>;
  /** Journal postings of what was posted; those of one transfer sum to zero. */
  readonly postings: readonly Posting[];
  /** Pending transfers of the snapshot that were released because their timeout passed. */
  readonly expired: readonly Id[];
}

/**
 * Applies a batch of transfers, in order, to a snapshot of the ledger at time `now` (epoch ms).
 * Pure: it reads only its arguments, changes none of them, and returns what the store must save.
 * Each transfer sees the effect of the ones before it. Pending transfers of the snapshot whose
 * timeout has passed are released first.
 */
export function applyBatch(snapshot: Snapshot, inputs: readonly TransferInput[], now: number): BatchOutcome {
  invariant(inputs.length <= batchTransfersMax, `a batch holds at most ${batchTransfersMax} transfers`);
  invariant(Number.isSafeInteger(now) && now >= 0, "now is epoch milliseconds");

  const state = WorkingState.over(snapshot);
  const expired = expireDue(snapshot, state, now);
  const results: ResultCode[] = new Array(inputs.length);

  for (let start = 0; start < inputs.length; ) {
    let end = start;
    while (inputs[end]!.linked === true && end < inputs.length - 1) end += 1;
    const chainOpen = inputs[end]!.linked === true;
    applyChain(state, inputs, start, end, chainOpen, now, results);
    start = end + 1;
  }

  const pendingStates = new Map<Id, PendingState>();
  for (const [id, transfer] of state.transfers) {
    if (snapshot.transfers.has(id)) {
      invariant(transfer.pendingState !== null, "only pending transfers change after creation");
      pendingStates.set(id, transfer.pendingState);
    }
  }
  const created = state.createdIds.map((id) => state.transfer(id)!);
  checkConservation(snapshot, state);
  return { results, accounts: state.accounts, created, pendingStates, postings: state.postings, expired };
}

function expireDue(snapshot: Snapshot, state: WorkingState, now: number): Id[] {
  const expired: Id[] = [];
  for (const transfer of snapshot.transfers.values()) {
    if (transfer.pendingState !== "pending" || transfer.expiresAt === null || transfer.expiresAt > now) continue;
    release(state, transfer, 0n);
    state.transfers.set(transfer.id, { ...transfer, pendingState: "expired" });
    expired.push(transfer.id);
  }
  return expired;
}

function applyChain(
  state: WorkingState, inputs: readonly TransferInput[], start: number, end: number,
  chainOpen: boolean, now: number, results: ResultCode[],
): void {
  const layer = new WorkingState(state);
  const codes: ResultCode[] = [];
  for (let i = start; i <= end; i += 1) {
    const code = applyOne(layer, inputs[i]!, now);
    codes.push(code);
    if (code !== "ok" && code !== "exists") break;
  }
  const failedAt = codes.findIndex((code) => code !== "ok" && code !== "exists");
  const complete = failedAt === -1 && !chainOpen;
  const appliedNow = codes.some((code) => code === "ok");
  const existedBefore = codes.some((code) => code === "exists");

  if (complete && !(appliedNow && existedBefore)) {
    layer.mergeInto(state);
    codes.forEach((code, k) => (results[start + k] = code));
    return;
  }
  // The chain does not apply. Each member says why: its own failure, "exists" if it is already
  // in the ledger (from an earlier submission), or that another member failed.
  for (let i = start; i <= end; i += 1) {
    const k = i - start;
    if (chainOpen && i === end) results[i] = "linked_event_chain_open";
    else if (k === failedAt) results[i] = codes[k]!;
    else if (codes[k] === "exists") results[i] = "exists";
    else results[i] = "linked_event_failed";
  }
}

/** Checks one transfer against the rules in the documented order; applies it only if all pass. */
function applyOne(state: WorkingState, input: TransferInput, now: number): ResultCode {
  const shape = checkShape(input);
  if (shape !== "ok") return shape;

  const existing = state.transfer(input.id);
  if (existing !== undefined) return sameFields(input, existing) ? "exists" : "exists_with_different_fields";

  return input.kind === "posted" || input.kind === "pending"
    ? applyNew(state, input, now)
    : applyResolution(state, input, now);
}

function checkShape(input: TransferInput): ResultCode {
  if (!isValidId(input.id)) return "id_invalid";
  if (!Number.isInteger(input.code) || input.code < 1 || input.code > codeMax) return "code_invalid";
  if (input.userData !== undefined && input.userData.length > userDataCharsMax) return "user_data_too_long";

  const resolves = input.kind === "post_pending" || input.kind === "void_pending";
  if (!resolves && input.pendingId !== undefined) return "pending_id_must_be_empty";
  if (resolves) {
    if (input.pendingId === undefined) return "pending_id_required";
    if (!isValidId(input.pendingId)) return "id_invalid";
    if (input.pendingId === input.id) return "pending_id_must_be_different";
  }
  if (input.kind !== "pending" && input.timeoutMs !== undefined && input.timeoutMs !== 0) {
    return "timeout_reserved_for_pending_transfer";
  }
  if (input.timeoutMs !== undefined && (!Number.isSafeInteger(input.timeoutMs) || input.timeoutMs < 0 || input.timeoutMs > pendingTimeoutMsMax)) {
    return "timeout_invalid";
  }
  for (const accountId of [input.debitAccountId, input.creditAccountId]) {
    if (accountId === undefined ? !resolves : !isValidId(accountId)) return "id_invalid";
  }
  if (!resolves && input.debitAccountId === input.creditAccountId) return "accounts_must_be_different";
  if (input.amount === undefined) return resolves ? "ok" : "amount_must_be_positive";
  if (input.amount <= 0n) return "amount_must_be_positive";
  if (input.amount > amountMax) return "amount_exceeds_max";
  return "ok";
}

/** A retry matches the stored transfer when every field it gives is the same. */
function sameFields(input: TransferInput, stored: Transfer): boolean {
  return input.kind === stored.kind
    && (input.debitAccountId ?? stored.debitAccountId) === stored.debitAccountId
    && (input.creditAccountId ?? stored.creditAccountId) === stored.creditAccountId
    && (input.amount ?? stored.amount) === stored.amount
    && (input.pendingId ?? null) === stored.pendingId
    && (input.timeoutMs ?? 0) === stored.timeoutMs
    && input.code === stored.code
    && (input.userData ?? null) === stored.userData;
}

function applyNew(state: WorkingState, input: TransferInput, now: number): ResultCode {
  const debit = state.account(input.debitAccountId!);
  if (debit === undefined) return "debit_account_not_found";
  const credit = state.account(input.creditAccountId!);
  if (credit === undefined) return "credit_account_not_found";
  if (debit.currency !== credit.currency) return "accounts_must_have_same_currency";
  if (debit.frozen || credit.frozen) return "account_frozen";

  const amount = input.amount!;
  const pending = input.kind === "pending";
  const nextDebit: Account = pending
    ? { ...debit, debitsPending: debit.debitsPending + amount }
    : { ...debit, debitsPosted: debit.debitsPosted + amount };
  const nextCredit: Account = pending
    ? { ...credit, creditsPending: credit.creditsPending + amount }
    : { ...credit, creditsPosted: credit.creditsPosted + amount };
  const limit = checkLimits(nextDebit, nextCredit);
  if (limit !== "ok") return limit;

  state.accounts.set(debit.id, nextDebit);
  state.accounts.set(credit.id, nextCredit);
  const timeoutMs = input.timeoutMs ?? 0;
  record(state, {
    id: input.id, kind: input.kind, debitAccountId: debit.id, creditAccountId: credit.id, amount,
    currency: debit.currency, pendingId: null, timeoutMs,
    expiresAt: pending && timeoutMs > 0 ? now + timeoutMs : null,
    code: input.code, userData: input.userData ?? null, createdAt: now,
    pendingState: pending ? "pending" : null,
  });
  if (!pending) post(state, input.id, debit, credit, amount);
  return "ok";
}

function applyResolution(state: WorkingState, input: TransferInput, now: number): ResultCode {
  const pending = state.transfer(input.pendingId!);
  if (pending === undefined) return "pending_transfer_not_found";
  if (pending.kind !== "pending") return "pending_transfer_not_pending";
  if ((input.debitAccountId ?? pending.debitAccountId) !== pending.debitAccountId
    || (input.creditAccountId ?? pending.creditAccountId) !== pending.creditAccountId) {
    return "pending_transfer_has_different_accounts";
  }
  const voiding = input.kind === "void_pending";
  if (voiding && input.amount !== undefined && input.amount !== pending.amount) return "pending_transfer_has_different_amount";
  if (!voiding && input.amount !== undefined && input.amount > pending.amount) return "exceeds_pending_transfer_amount";
  if (pending.pendingState === "posted") return "pending_transfer_already_posted";
  if (pending.pendingState === "voided") return "pending_transfer_already_voided";
  if (pending.pendingState === "expired") return "pending_transfer_expired";
  invariant(pending.pendingState === "pending", "a pending transfer has a pending state");
  // A due transfer of the snapshot was expired at the start of the batch; one created in this
  // batch has a positive timeout, so it cannot be due yet.
  invariant(pending.expiresAt === null || pending.expiresAt > now, "due pending transfers are expired first");

  const debit = state.account(pending.debitAccountId);
  const credit = state.account(pending.creditAccountId);
  invariant(debit !== undefined && credit !== undefined, "a pending transfer's accounts exist");
  if (!voiding && (debit.frozen || credit.frozen)) return "account_frozen";

  const amount = voiding ? 0n : input.amount ?? pending.amount;
  release(state, pending, amount);
  state.transfers.set(pending.id, { ...pending, pendingState: voiding ? "voided" : "posted" });
  record(state, {
    id: input.id, kind: input.kind, debitAccountId: debit.id, creditAccountId: credit.id,
    amount: voiding ? pending.amount : amount, currency: pending.currency, pendingId: pending.id,
    timeoutMs: 0, expiresAt: null, code: input.code, userData: input.userData ?? null, createdAt: now,
    pendingState: null,
  });
  if (!voiding) post(state, input.id, debit, credit, amount);
  return "ok";
}

/** Releases a pending transfer's reservation and posts `amount` of it (0 to post nothing). */
function release(state: WorkingState, pending: Transfer, amount: bigint): void {
  const debit = state.account(pending.debitAccountId)!;
  const credit = state.account(pending.creditAccountId)!;
  invariant(debit.debitsPending >= pending.amount && credit.creditsPending >= pending.amount, "a reservation is held");
  invariant(amount >= 0n && amount <= pending.amount, "posts at most the reserved amount");
  state.accounts.set(debit.id, { ...debit, debitsPending: debit.debitsPending - pending.amount, debitsPosted: debit.debitsPosted + amount });
  state.accounts.set(credit.id, { ...credit, creditsPending: credit.creditsPending - pending.amount, creditsPosted: credit.creditsPosted + amount });
}

/** Balance rules come before overflow: a payer who cannot cover an amount is told so, whatever its size. */
function checkLimits(debit: Account, credit: Account): ResultCode {
  if ((debit.flags & AccountFlag.debitsMustNotExceedCredits) !== 0 && debit.debitsPending + debit.debitsPosted > debit.creditsPosted) {
    return "insufficient_funds";
  }
  if ((credit.flags & AccountFlag.creditsMustNotExceedDebits) !== 0 && credit.creditsPending + credit.creditsPosted > credit.debitsPosted) {
    return "exceeds_debits";
  }
  if (debit.debitsPending + debit.debitsPosted > amountMax || credit.creditsPending + credit.creditsPosted > amountMax) return "overflow";
  return "ok";
}

function record(state: WorkingState, transfer: Transfer): void {
  state.transfers.set(transfer.id, transfer);
  state.createdIds.push(transfer.id);
}

/** A journal entry of two postings; the balance counters were already moved by the caller. */
function post(state: WorkingState, transferId: Id, debit: Account, credit: Account, amount: bigint): void {
  if (amount === 0n) return;
  state.postings.push(
    { transferId, accountId: debit.id, currency: debit.currency, amount: -amount },
    { transferId, accountId: credit.id, currency: credit.currency, amount },
  );
}

/** Double entry: whatever the batch did, debits and credits moved by the same total. */
function checkConservation(snapshot: Snapshot, state: WorkingState): void {
  let postedDelta = 0n;
  let pendingDelta = 0n;
  for (const [id, after] of state.accounts) {
    const before = snapshot.accounts.get(id);
    invariant(before !== undefined, "the rules never create accounts");
    postedDelta += (after.creditsPosted - before.creditsPosted) - (after.debitsPosted - before.debitsPosted);
    pendingDelta += (after.creditsPending - before.creditsPending) - (after.debitsPending - before.debitsPending);
  }
  invariant(postedDelta === 0n && pendingDelta === 0n, "debits and credits move together");
  let postingSum = 0n;
  for (const posting of state.postings) postingSum += posting.amount;
  invariant(postingSum === 0n, "postings sum to zero");
}
