import { sql, type Kysely } from "kysely";
import type { OperationKind, OperationState } from "./operations.js";

export type PartyType = "user" | "merchant";
export type LinkStatus = "pending" | "active" | "failed" | "replaced";

export interface BankLink {
  id: string;
  partyType: PartyType;
  partyId: string;
  currency: string;
  accountNumber: string;
  method: "msisdn" | "name";
  status: LinkStatus;
  mandateId: string | null;
  holderName: string | null;
  reason: string | null;
  attemptsLeft: number | null;
  createdAt: Date;
  activatedAt: Date | null;
}

export interface BankOperation {
  id: string;
  kind: OperationKind;
  purpose: string;
  partyType: PartyType;
  partyId: string;
  linkId: string;
  currency: string;
  amount: bigint;
  remittance: string;
  msgId: string;
  endToEndId: string;
  reversalMsgId: string;
  state: OperationState;
  reason: string | null;
  bankReference: string | null;
  reversalReference: string | null;
  reversalResult: "RVSD" | "CNCL" | "ORJT" | null;
  ownLedger: boolean;
  holdPlaced: boolean;
  attempts: number;
  firstSentAt: Date | null;
  nextAttemptAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

interface LinkRow {
  id: string; party_type: PartyType; party_id: string; currency: string; account_number: string; method: "msisdn" | "name"; status: LinkStatus;
  mandate_id: string | null; holder_name: string | null; reason: string | null; attempts_left: number | null; created_at: Date; activated_at: Date | null;
}

interface OperationRow {
  id: string; kind: OperationKind; purpose: string; party_type: PartyType; party_id: string; link_id: string; currency: string; amount: bigint; remittance: string;
  msg_id: string; end_to_end_id: string; reversal_msg_id: string; state: OperationState; reason: string | null; bank_reference: string | null;
  reversal_reference: string | null; reversal_result: "RVSD" | "CNCL" | "ORJT" | null; own_ledger: boolean; hold_placed: boolean; attempts: number;
  first_sent_at: Date | null; next_attempt_at: Date; created_at: Date; updated_at: Date;
}

const link = (r: LinkRow): BankLink => ({
  id: r.id, partyType: r.party_type, partyId: r.party_id, currency: r.currency, accountNumber: r.account_number, method: r.method, status: r.status,
  mandateId: r.mandate_id, holderName: r.holder_name, reason: r.reason, attemptsLeft: r.attempts_left, createdAt: new Date(r.created_at),
  activatedAt: r.activated_at === null ? null : new Date(r.activated_at),
});

const operation = (r: OperationRow): BankOperation => ({
  id: r.id, kind: r.kind, purpose: r.purpose, partyType: r.party_type, partyId: r.party_id, linkId: r.link_id, currency: r.currency, amount: BigInt(r.amount),
  remittance: r.remittance, msgId: r.msg_id, endToEndId: r.end_to_end_id, reversalMsgId: r.reversal_msg_id, state: r.state, reason: r.reason,
  bankReference: r.bank_reference, reversalReference: r.reversal_reference, reversalResult: r.reversal_result, ownLedger: r.own_ledger,
  holdPlaced: r.hold_placed, attempts: r.attempts, firstSentAt: r.first_sent_at === null ? null : new Date(r.first_sent_at),
  nextAttemptAt: new Date(r.next_attempt_at), createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
});

/** Changes a driver may make to an operation together with (or without) a state transition. */
export interface OperationChanges {
  reason?: string | null;
  bankReference?: string;
  reversalReference?: string;
  reversalResult?: "RVSD" | "CNCL" | "ORJT";
  holdPlaced?: boolean;
  firstSentAt?: Date;
  attempts?: number;
}

/** The banking module's tables. Every state change is a compare-and-set on the state it expects. */
export class BankingStore {
  constructor(private readonly db: Kysely<any>) {}

  // ---- links ----

  async insertLink(l: { id: string; partyType: PartyType; partyId: string; currency: string; accountNumber: string; method: "msisdn" | "name" }): Promise<BankLink> {
    const rows = (await sql<LinkRow>`
      INSERT INTO banking_links (id, party_type, party_id, currency, account_number, method, status)
      VALUES (${l.id}::uuid, ${l.partyType}, ${l.partyId}::uuid, ${l.currency}, ${l.accountNumber}, ${l.method}, 'pending') RETURNING *`.execute(this.db)).rows;
    return link(rows[0]!);
  }

  async link(id: string): Promise<BankLink | undefined> {
    const rows = (await sql<LinkRow>`SELECT * FROM banking_links WHERE id = ${id}::uuid`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : link(rows[0]);
  }

  async activeLink(partyType: PartyType, partyId: string, currency: string): Promise<BankLink | undefined> {
    const rows = (await sql<LinkRow>`
      SELECT * FROM banking_links WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid AND currency = ${currency} AND status = 'active'`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : link(rows[0]);
  }

  async links(partyType: PartyType, partyId: string, limit: number): Promise<BankLink[]> {
    const rows = (await sql<LinkRow>`
      SELECT * FROM banking_links WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid ORDER BY created_at DESC LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(link);
  }

  async linksStartedSince(partyType: PartyType, partyId: string, since: Date): Promise<number> {
    const rows = (await sql<{ n: bigint }>`
      SELECT count(*)::bigint AS n FROM banking_links WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid AND created_at >= ${since}`.execute(this.db)).rows;
    return Number(rows[0]!.n);
  }

  async updatePendingLink(id: string, changes: { status: "pending" | "failed"; reason: string | null; attemptsLeft: number | null }): Promise<BankLink | undefined> {
    const rows = (await sql<LinkRow>`
      UPDATE banking_links SET status = ${changes.status}, reason = ${changes.reason}, attempts_left = ${changes.attemptsLeft}
      WHERE id = ${id}::uuid AND status = 'pending' RETURNING *`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : link(rows[0]);
  }

  /** Activates a pending link; the party's previous active link in that currency becomes 'replaced'. */
  async activateLink(id: string, mandateId: string | null, holderName: string, now: Date): Promise<BankLink | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const pending = (await sql<LinkRow>`SELECT * FROM banking_links WHERE id = ${id}::uuid FOR UPDATE`.execute(trx)).rows[0];
      if (pending === undefined || pending.status !== "pending") return pending === undefined ? undefined : link(pending);
      await sql`UPDATE banking_links SET status = 'replaced' WHERE party_type = ${pending.party_type} AND party_id = ${pending.party_id}::uuid
                AND currency = ${pending.currency} AND status = 'active'`.execute(trx);
      const rows = (await sql<LinkRow>`
        UPDATE banking_links SET status = 'active', mandate_id = ${mandateId}, holder_name = ${holderName}, reason = NULL, attempts_left = NULL, activated_at = ${now}
        WHERE id = ${id}::uuid RETURNING *`.execute(trx)).rows;
      return link(rows[0]!);
    });
  }

  // ---- operations ----

  /** Records a new operation; returns the stored one (this one, or an earlier one with the same id). */
  async createOperation(o: Omit<BankOperation, "state" | "reason" | "bankReference" | "reversalReference" | "reversalResult" | "holdPlaced" | "attempts" | "firstSentAt" | "createdAt" | "updatedAt">): Promise<BankOperation> {
    await sql`
      INSERT INTO banking_operations (id, kind, purpose, party_type, party_id, link_id, currency, amount, remittance, msg_id, end_to_end_id, reversal_msg_id, state, own_ledger, next_attempt_at)
      VALUES (${o.id}::uuid, ${o.kind}, ${o.purpose}, ${o.partyType}, ${o.partyId}::uuid, ${o.linkId}::uuid, ${o.currency}, ${o.amount.toString()}::bigint, ${o.remittance},
              ${o.msgId}, ${o.endToEndId}, ${o.reversalMsgId}, 'pending', ${o.ownLedger}, ${o.nextAttemptAt})
      ON CONFLICT (id) DO NOTHING`.execute(this.db);
    return (await this.operation(o.id))!;
  }

  async operation(id: string): Promise<BankOperation | undefined> {
    const rows = (await sql<OperationRow>`SELECT * FROM banking_operations WHERE id = ${id}::uuid`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : operation(rows[0]);
  }

  async operationsOf(partyType: PartyType, partyId: string, limit: number): Promise<BankOperation[]> {
    const rows = (await sql<OperationRow>`
      SELECT * FROM banking_operations WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid ORDER BY created_at DESC LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(operation);
  }

  async operationsInState(states: readonly OperationState[], limit: number): Promise<BankOperation[]> {
    const rows = (await sql<OperationRow>`
      SELECT * FROM banking_operations WHERE state = ANY(${[...states]}::text[]) ORDER BY created_at LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(operation);
  }

  /** Booked-then-reversed operations: their two bank references cancel out. */
  async reversedPairs(currency: string): Promise<Array<[string, string]>> {
    const rows = (await sql<{ bank_reference: string; reversal_reference: string }>`
      SELECT bank_reference, reversal_reference FROM banking_operations
      WHERE currency = ${currency} AND reversal_result = 'RVSD' AND bank_reference IS NOT NULL AND reversal_reference IS NOT NULL`.execute(this.db)).rows;
    return rows.map((r) => [r.bank_reference, r.reversal_reference]);
  }

  /** Takes the lease of one operation, unless another driver holds it. */
  async claim(id: string, now: Date, leaseUntil: Date): Promise<BankOperation | undefined> {
    const rows = (await sql<OperationRow>`
      UPDATE banking_operations SET lease_until = ${leaseUntil}
      WHERE id = ${id}::uuid AND (lease_until IS NULL OR lease_until < ${now}) RETURNING *`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : operation(rows[0]);
  }

  /** Takes the leases of operations that are due and unresolved (the recovery sweeper). */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<BankOperation[]> {
    const rows = (await sql<OperationRow>`
      UPDATE banking_operations SET lease_until = ${leaseUntil}
      WHERE id IN (
        SELECT id FROM banking_operations
        WHERE (state IN ('pending', 'reversing') OR (state = 'applied' AND own_ledger)) AND next_attempt_at <= ${now}
          AND (lease_until IS NULL OR lease_until < ${now})
        ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING *`.execute(this.db)).rows;
    return rows.map(operation);
  }

  /** A compare-and-set: moves `id` from `from` to `to` with the changes; undefined if it was no longer in `from`. */
  async transition(id: string, from: OperationState, to: OperationState, changes: OperationChanges = {}): Promise<BankOperation | undefined> {
    return this.change(id, from, to, changes);
  }

  /** Changes fields without a transition, as long as the operation is still in `state`. */
  async update(id: string, state: OperationState, changes: OperationChanges): Promise<BankOperation | undefined> {
    return this.change(id, state, state, changes);
  }

  private async change(id: string, from: OperationState, to: OperationState, c: OperationChanges): Promise<BankOperation | undefined> {
    const rows = (await sql<OperationRow>`
      UPDATE banking_operations SET state = ${to}, updated_at = now(),
        reason = CASE WHEN ${c.reason !== undefined} THEN ${c.reason ?? null} ELSE reason END,
        bank_reference = coalesce(${c.bankReference ?? null}, bank_reference),
        reversal_reference = coalesce(${c.reversalReference ?? null}, reversal_reference),
        reversal_result = coalesce(${c.reversalResult ?? null}, reversal_result),
        hold_placed = coalesce(${c.holdPlaced ?? null}::boolean, hold_placed),
        first_sent_at = coalesce(first_sent_at, ${c.firstSentAt ?? null}::timestamptz),
        attempts = coalesce(${c.attempts ?? null}::integer, attempts)
      WHERE id = ${id}::uuid AND state = ${from} RETURNING *`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : operation(rows[0]);
  }

  /** Gives the lease back and says when the sweeper should look again. */
  async release(id: string, nextAttemptAt: Date): Promise<void> {
    await sql`UPDATE banking_operations SET lease_until = NULL, next_attempt_at = ${nextAttemptAt} WHERE id = ${id}::uuid`.execute(this.db);
  }
}
