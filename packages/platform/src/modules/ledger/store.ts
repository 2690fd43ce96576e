import { applyBatch, isValidId, type Account, type BatchOutcome, type Id, type Transfer, type TransferInput } from "@obol/ledger";
import { sql, type Kysely, type Transaction } from "kysely";
import { accountFromRow, transferFromRow, type AccountRow, type TransferRow } from "./rows.js";

/**
 * Chooses, inside the batch's transaction and before any account is locked, which of the submitted
 * transfers may apply (see Fence in batcher.ts).
 */
export type Admit = (trx: Transaction<any>) => Promise<readonly TransferInput[]>;

/** Thrown inside a batch transaction when the batch must start over (never escapes the batcher). */
export class BatchRaceError extends Error {
  override name = "BatchRaceError";
}

/**
 * Runs one batch in one database transaction: lock what it touches, read a snapshot, apply the
 * pure rules, write their outcome. Nothing is acknowledged until the caller sees this resolve,
 * which is after COMMIT.
 *
 * Locking: every change to an account's counters or to a pending transfer happens with the
 * account rows locked (FOR UPDATE, in id order so that concurrent batches of other processes
 * cannot deadlock). Transfers are read again after the locks are held, so the snapshot is current.
 * Fence rows are locked before any account, in their own fixed order, so the order stays global.
 */
export async function commitBatch(
  db: Kysely<any>, submitted: readonly TransferInput[], now: number, sweepIds: readonly Id[] = [], admit?: Admit,
): Promise<BatchOutcome> {
  return db.transaction().execute(async (trx) => {
    // 0. Fenced submissions (idempotency claims) first: their rows stay locked until COMMIT, and a
    //    submission whose fence no longer holds is left out of the batch.
    const inputs = admit === undefined ? submitted : await admit(trx);
    const transferIds = unique([...inputs.flatMap((t) => [t.id, t.pendingId]), ...sweepIds]);
    const namedAccountIds = unique(inputs.flatMap((t) => [t.debitAccountId, t.creditAccountId]));

    // 1. Learn which accounts the named pending transfers and any due reservations touch.
    const known = await selectTransfers(trx, transferIds, namedAccountIds, now);
    const lockIds = unique([...namedAccountIds, ...known.flatMap((t) => [t.debit_account_id, t.credit_account_id])]).sort();

    // 2. Lock the accounts, then read the transfers again under the locks.
    const accountRows = lockIds.length === 0 ? [] : (await sql<AccountRow>`
      SELECT id, currency, kind, owner_type, owner_id, flags, frozen, debits_pending, debits_posted, credits_pending, credits_posted
      FROM ledger_accounts WHERE id = ANY(${lockIds}::uuid[]) ORDER BY id FOR UPDATE`.execute(trx)).rows;
    const accounts = new Map<Id, Account>(accountRows.map((row) => [row.id, accountFromRow(row)]));
    const transfers = new Map<Id, Transfer>();
    for (const row of await selectTransfers(trx, transferIds, namedAccountIds, now)) {
      const lockedBoth = accounts.has(row.debit_account_id) && accounts.has(row.credit_account_id);
      const named = transferIds.includes(row.id);
      // A transfer created after step 1 may touch accounts we did not lock: start over.
      if (named && row.pending_state === "pending" && !lockedBoth) throw new BatchRaceError("pending transfer appeared during the batch");
      // A due reservation whose other account is not ours is left for the sweeper.
      if (named || lockedBoth) transfers.set(row.id, transferFromRow(row));
    }

    const outcome = applyBatch({ accounts, transfers }, inputs, now);
    await save(trx, outcome);
    return outcome;
  });
}

function unique(ids: readonly (string | undefined)[]): string[] {
  return [...new Set(ids.filter((id): id is string => id !== undefined && isValidId(id)))];
}

async function selectTransfers(trx: Transaction<any>, ids: string[], accountIds: string[], now: number): Promise<TransferRow[]> {
  if (ids.length === 0 && accountIds.length === 0) return [];
  return (await sql<TransferRow>`
    SELECT id, kind, debit_account_id, credit_account_id, amount, currency, pending_id, timeout_ms, expires_at_ms,
           code, user_data, created_at_ms, pending_state
    FROM ledger_transfers
    WHERE id = ANY(${ids}::uuid[])
       OR (pending_state = 'pending' AND expires_at_ms <= ${now}
           AND (debit_account_id = ANY(${accountIds}::uuid[]) OR credit_account_id = ANY(${accountIds}::uuid[])))`.execute(trx)).rows;
}

/** Writes an outcome with one statement per table: arrays in, unnest() out. */
async function save(trx: Transaction<any>, outcome: BatchOutcome): Promise<void> {
  const accounts = [...outcome.accounts.values()];
  if (accounts.length > 0) {
    await sql`
      UPDATE ledger_accounts a SET debits_pending = v.dpe, debits_posted = v.dpo, credits_pending = v.cpe, credits_posted = v.cpo
      FROM unnest(${accounts.map((a) => a.id)}::uuid[], ${accounts.map((a) => a.debitsPending.toString())}::bigint[],
                  ${accounts.map((a) => a.debitsPosted.toString())}::bigint[], ${accounts.map((a) => a.creditsPending.toString())}::bigint[],
                  ${accounts.map((a) => a.creditsPosted.toString())}::bigint[]) AS v(id, dpe, dpo, cpe, cpo)
      WHERE a.id = v.id`.execute(trx);
  }
  const created = outcome.created;
  if (created.length > 0) {
    await sql`
      INSERT INTO ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, pending_id, timeout_ms,
                                    expires_at_ms, code, user_data, created_at_ms, pending_state)
      SELECT * FROM unnest(${created.map((t) => t.id)}::uuid[], ${created.map((t) => t.kind)}::text[],
        ${created.map((t) => t.debitAccountId)}::uuid[], ${created.map((t) => t.creditAccountId)}::uuid[],
        ${created.map((t) => t.amount.toString())}::bigint[], ${created.map((t) => t.currency)}::char(3)[],
        ${created.map((t) => t.pendingId)}::uuid[], ${created.map((t) => String(t.timeoutMs))}::bigint[],
        ${created.map((t) => (t.expiresAt === null ? null : String(t.expiresAt)))}::bigint[], ${created.map((t) => t.code)}::integer[],
        ${created.map((t) => t.userData)}::text[], ${created.map((t) => String(t.createdAt))}::bigint[],
        ${created.map((t) => t.pendingState)}::text[])`.execute(trx);
  }
  if (outcome.pendingStates.size > 0) {
    await sql`
      UPDATE ledger_transfers t SET pending_state = v.state
      FROM unnest(${[...outcome.pendingStates.keys()]}::uuid[], ${[...outcome.pendingStates.values()]}::text[]) AS v(id, state)
      WHERE t.id = v.id`.execute(trx);
  }
  const postings = outcome.postings;
  if (postings.length > 0) {
    await sql`
      INSERT INTO ledger_postings (transfer_id, account_id, currency, amount)
      SELECT * FROM unnest(${postings.map((p) => p.transferId)}::uuid[], ${postings.map((p) => p.accountId)}::uuid[],
                           ${postings.map((p) => p.currency)}::char(3)[], ${postings.map((p) => p.amount.toString())}::bigint[])`.execute(trx);
  }
}
