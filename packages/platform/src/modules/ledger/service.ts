import { AccountFlag, isValidId, type Account, type Id, type ResultCode, type Transfer, type TransferInput } from "@obol/ledger";
import { sql, type Kysely } from "kysely";
import { commitBatch } from "./store.js";
import { LedgerBatcher, defaultBatcherLimits, type BatcherLimits, type Fence, type Submitted } from "./batcher.js";
import { accountFromRow, transferFromRow, type AccountRow, type TransferRow } from "./rows.js";
import { OutageBackoff } from "../../db/unavailable.js";

export type OwnerType = "user" | "merchant" | "platform";

export interface AccountSpec {
  id: Id;
  currency: string;
  kind: string;
  ownerType: OwnerType;
  ownerId: Id | null;
  /** Wallets and merchant balances must never go below zero. */
  mustNotOverdraw: boolean;
}

export interface StoredAccount extends Account {
  kind: string;
  ownerType: OwnerType;
  ownerId: Id | null;
}

export interface HistoryEntry {
  seq: bigint;
  transferId: Id;
  amount: bigint;
  currency: string;
  code: number;
  kind: string;
  counterpartyAccountId: Id;
  userData: string | null;
  createdAt: number;
}

export interface BalanceMismatch {
  accountId: Id;
  stored: { debitsPending: bigint; debitsPosted: bigint; creditsPending: bigint; creditsPosted: bigint };
  computed: { debitsPending: bigint; debitsPosted: bigint; creditsPending: bigint; creditsPosted: bigint };
}

export const historyPageMax = 100;
export const sweepTransfersMax = 1_000;

/** The ledger module's service: the only way the rest of the platform reads or moves money. */
export class LedgerService {
  readonly batcher: LedgerBatcher;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Kysely<any>,
    private readonly clock: () => number,
    limits: BatcherLimits = defaultBatcherLimits,
    onFatal?: (error: unknown) => void,
  ) {
    this.batcher = new LedgerBatcher((inputs, now, sweepIds, admit) => commitBatch(db, inputs, now, sweepIds, admit), clock, limits, onFatal);
  }

  /** Creates an account inside the caller's transaction, so an owner and its accounts appear together. */
  async createAccount(executor: Kysely<any>, spec: AccountSpec): Promise<void> {
    const flags = spec.mustNotOverdraw ? AccountFlag.debitsMustNotExceedCredits : 0;
    await sql`
      INSERT INTO ledger_accounts (id, currency, kind, owner_type, owner_id, flags)
      VALUES (${spec.id}::uuid, ${spec.currency}, ${spec.kind}, ${spec.ownerType}, ${spec.ownerId}::uuid, ${flags})`.execute(executor);
  }

  /** One transfer, or one linked chain that applies whole or not at all. Resolves after commit. */
  async submit(transfers: readonly TransferInput[]): Promise<ResultCode[]> {
    return (await this.batcher.submit(transfers)).results;
  }

  /**
   * As submit(), also returning each transfer as stored when this call created it ("ok"). With a
   * fence (an idempotency claim), applies only while the fence holds, else FenceLostError.
   */
  submitReturning(transfers: readonly TransferInput[], fence?: Fence): Promise<Submitted> {
    return this.batcher.submit(transfers, fence);
  }

  async account(id: Id): Promise<StoredAccount | undefined> {
    if (!isValidId(id)) return undefined;
    const rows = (await sql<AccountRow>`SELECT * FROM ledger_accounts WHERE id = ${id}::uuid`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : storedAccount(rows[0]);
  }

  async transfer(id: Id): Promise<Transfer | undefined> {
    if (!isValidId(id)) return undefined;
    const rows = (await sql<TransferRow>`SELECT * FROM ledger_transfers WHERE id = ${id}::uuid`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : transferFromRow(rows[0]);
  }

  async accountsOf(ownerType: OwnerType, ownerId: Id | null): Promise<StoredAccount[]> {
    const rows = (await sql<AccountRow>`
      SELECT * FROM ledger_accounts
      WHERE owner_type = ${ownerType} AND owner_id IS NOT DISTINCT FROM ${ownerId}::uuid ORDER BY kind, currency`.execute(this.db)).rows;
    return rows.map(storedAccount);
  }

  /** Platform-owned account of a kind and currency (e.g. the bank clearing account), created on first use. */
  async platformAccount(kind: string, currency: string, newId: () => Id): Promise<StoredAccount> {
    await sql`
      INSERT INTO ledger_accounts (id, currency, kind, owner_type, owner_id, flags)
      VALUES (${newId()}::uuid, ${currency}, ${kind}, 'platform', NULL, 0) ON CONFLICT DO NOTHING`.execute(this.db);
    const accounts = await this.accountsOf("platform", null);
    const found = accounts.find((a) => a.kind === kind && a.currency === currency);
    if (found === undefined) throw new Error(`platform account ${kind}/${currency} missing after insert`);
    return found;
  }

  /** Posted movements of an account, newest first, paged by `seq`. */
  async history(accountId: Id, page: { beforeSeq?: bigint; limit: number }): Promise<HistoryEntry[]> {
    const limit = Math.min(Math.max(1, page.limit), historyPageMax);
    const before = page.beforeSeq ?? (1n << 62n);
    const rows = (await sql<{ seq: bigint; transfer_id: string; amount: bigint; currency: string; code: number; kind: string;
      debit_account_id: string; credit_account_id: string; user_data: string | null; created_at_ms: bigint }>`
      SELECT p.seq, p.transfer_id, p.amount, p.currency, t.code, t.kind, t.debit_account_id, t.credit_account_id, t.user_data, t.created_at_ms
      FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id
      WHERE p.account_id = ${accountId}::uuid AND p.seq < ${before.toString()}::bigint
      ORDER BY p.seq DESC LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map((r) => ({
      seq: r.seq, transferId: r.transfer_id, amount: r.amount, currency: r.currency, code: r.code, kind: r.kind,
      counterpartyAccountId: r.amount < 0n ? r.credit_account_id : r.debit_account_id,
      userData: r.user_data, createdAt: Number(r.created_at_ms),
    }));
  }

  /**
   * An account's posted balance, pending debits and last posting sequence number, read in one
   * statement (one snapshot): a consistent cut to report and settle from.
   */
  async cut(accountId: Id): Promise<{ posted: bigint; debitsPending: bigint; lastSeq: bigint }> {
    const rows = (await sql<{ posted: bigint; debits_pending: bigint; last_seq: bigint }>`
      SELECT credits_posted - debits_posted AS posted, debits_pending,
             coalesce((SELECT max(seq) FROM ledger_postings WHERE account_id = a.id), 0)::bigint AS last_seq
      FROM ledger_accounts a WHERE id = ${accountId}::uuid`.execute(this.db)).rows;
    if (rows[0] === undefined) throw new Error(`no ledger account ${accountId}`);
    return { posted: rows[0].posted, debitsPending: rows[0].debits_pending, lastSeq: rows[0].last_seq };
  }

  /** The postings of an account with afterSeq < seq <= uptoSeq, totalled per business code. */
  async postingsByCode(accountId: Id, afterSeq: bigint, uptoSeq: bigint): Promise<{ code: number; count: number; credits: bigint; debits: bigint }[]> {
    const rows = (await sql<{ code: number; count: bigint; credits: bigint; debits: bigint }>`
      SELECT t.code, count(*)::bigint AS count,
             coalesce(sum(p.amount) FILTER (WHERE p.amount > 0), 0)::bigint AS credits,
             coalesce(-sum(p.amount) FILTER (WHERE p.amount < 0), 0)::bigint AS debits
      FROM ledger_postings p JOIN ledger_transfers t ON t.id = p.transfer_id
      WHERE p.account_id = ${accountId}::uuid AND p.seq > ${afterSeq.toString()}::bigint AND p.seq <= ${uptoSeq.toString()}::bigint
      GROUP BY t.code ORDER BY t.code`.execute(this.db)).rows;
    return rows.map((r) => ({ code: r.code, count: Number(r.count), credits: r.credits, debits: r.debits }));
  }

  /** Freezing takes the same row lock as a batch, so it lands between batches, never inside one. */
  async setFrozen(accountId: Id, frozen: boolean): Promise<boolean> {
    if (!isValidId(accountId)) return false;
    const result = await sql`UPDATE ledger_accounts SET frozen = ${frozen} WHERE id = ${accountId}::uuid`.execute(this.db);
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  /** Releases pending transfers whose timeout passed; returns how many it released. */
  async expireDue(): Promise<number> {
    const due = (await sql<{ id: string }>`
      SELECT id FROM ledger_transfers WHERE pending_state = 'pending' AND expires_at_ms <= ${this.clock()}
      ORDER BY expires_at_ms LIMIT ${sweepTransfersMax}`.execute(this.db)).rows.map((r) => r.id);
    if (due.length === 0) return 0;
    return (await this.batcher.sweep(due)).length;
  }

  startSweeper(intervalMs: number, onError: (error: unknown) => void): void {
    const backoff = new OutageBackoff();
    const tick = () => {
      let delayMs = intervalMs;
      this.expireDue().then(() => { delayMs = backoff.next(intervalMs); }, (error) => { delayMs = backoff.next(intervalMs, error); onError(error); }).finally(() => {
        if (this.sweeper !== undefined) this.sweeper = setTimeout(tick, delayMs).unref();
      });
    };
    this.sweeper = setTimeout(tick, intervalMs).unref();
  }

  /** Stops the sweeper and waits for every accepted transfer to commit. */
  async close(): Promise<void> {
    if (this.sweeper !== undefined) { clearTimeout(this.sweeper); this.sweeper = undefined; }
    await this.batcher.drain();
  }

  /**
   * Proves that every account's stored counters equal what its postings and open reservations
   * add up to, and that all postings together sum to zero. Returns the accounts that differ.
   */
  async verify(): Promise<{ mismatches: BalanceMismatch[]; postingsSum: bigint; accounts: number }> {
    const rows = (await sql<AccountRow & { c_dpe: bigint; c_dpo: bigint; c_cpe: bigint; c_cpo: bigint }>`
      SELECT a.*, 
        coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.debit_account_id = a.id AND t.pending_state = 'pending'), 0)::bigint AS c_dpe,
        coalesce((SELECT -sum(amount) FROM ledger_postings p WHERE p.account_id = a.id AND p.amount < 0), 0)::bigint AS c_dpo,
        coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.credit_account_id = a.id AND t.pending_state = 'pending'), 0)::bigint AS c_cpe,
        coalesce((SELECT sum(amount) FROM ledger_postings p WHERE p.account_id = a.id AND p.amount > 0), 0)::bigint AS c_cpo
      FROM ledger_accounts a`.execute(this.db)).rows;
    const mismatches: BalanceMismatch[] = [];
    for (const r of rows) {
      const stored = { debitsPending: r.debits_pending, debitsPosted: r.debits_posted, creditsPending: r.credits_pending, creditsPosted: r.credits_posted };
      const computed = { debitsPending: r.c_dpe, debitsPosted: r.c_dpo, creditsPending: r.c_cpe, creditsPosted: r.c_cpo };
      if (Object.keys(stored).some((k) => stored[k as keyof typeof stored] !== computed[k as keyof typeof computed])) {
        mismatches.push({ accountId: r.id, stored, computed });
      }
    }
    const sum = (await sql<{ s: bigint }>`SELECT coalesce(sum(amount), 0)::bigint AS s FROM ledger_postings`.execute(this.db)).rows[0]!.s;
    return { mismatches, postingsSum: sum, accounts: rows.length };
  }
}

function storedAccount(row: AccountRow): StoredAccount {
  return { ...accountFromRow(row), kind: row.kind, ownerType: row.owner_type as OwnerType, ownerId: row.owner_id };
}
