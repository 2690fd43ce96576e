import { sql, type Kysely } from "kysely";
import type { PaymentEvent, PaymentKind, PaymentState } from "./state-machine.js";

export type FundingSource = "wallet" | "bank";

export interface Payment {
  id: string;
  merchantId: string;
  kind: PaymentKind;
  amount: bigint;
  currency: string;
  fee: bigint;
  description: string;
  merchantReference: string;
  payerMsisdn: string | null;
  payerUserId: string | null;
  state: PaymentState;
  reason: string | null;
  fundingSource: FundingSource | null;
  expiresAt: Date;
  timerAt: Date | null;
  refundedAmount: bigint;
  releasedAmount: bigint;
  purchaseId: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface Refund {
  id: string;
  paymentId: string;
  amount: bigint;
  reason: string;
  state: "pending" | "succeeded" | "failed";
  failure: string | null;
  createdAt: Date;
}

export interface TransitionRecord {
  seq: number;
  event: string;
  fromState: PaymentState | null;
  toState: PaymentState;
  reason: string | null;
  actor: string;
  at: Date;
}

interface PaymentRow {
  id: string; merchant_id: string; kind: PaymentKind; amount: bigint; currency: string; fee: bigint; description: string;
  merchant_reference: string; payer_msisdn: string | null; payer_user_id: string | null; state: PaymentState; reason: string | null;
  funding_source: FundingSource | null; expires_at: Date; timer_at: Date | null; refunded_amount: bigint; released_amount: bigint;
  purchase_id: string | null; version: number; created_at: Date; updated_at: Date;
}

function payment(r: PaymentRow): Payment {
  return {
    id: r.id, merchantId: r.merchant_id, kind: r.kind, amount: r.amount, currency: r.currency.trim(), fee: r.fee, description: r.description,
    merchantReference: r.merchant_reference, payerMsisdn: r.payer_msisdn, payerUserId: r.payer_user_id, state: r.state, reason: r.reason,
    fundingSource: r.funding_source, expiresAt: new Date(r.expires_at), timerAt: r.timer_at === null ? null : new Date(r.timer_at),
    refundedAmount: r.refunded_amount, releasedAmount: r.released_amount, purchaseId: r.purchase_id, version: r.version,
    createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at),
  };
}

interface RefundRow { id: string; payment_id: string; amount: bigint; reason: string; state: Refund["state"]; failure: string | null; created_at: Date }

function refund(r: RefundRow): Refund {
  return { id: r.id, paymentId: r.payment_id, amount: r.amount, reason: r.reason, state: r.state, failure: r.failure, createdAt: new Date(r.created_at) };
}

export interface NewPayment {
  id: string; merchantId: string; kind: PaymentKind; amount: bigint; currency: string; fee: bigint; description: string;
  merchantReference: string; payerMsisdn: string | null; payerUserId: string | null; expiresAt: Date; purchaseId: string | null;
}

/** What a transition may change besides the state. */
export interface TransitionChanges {
  reason?: string | null;
  fundingSource?: FundingSource;
  /** Binds the payer (an open request is bound by whoever confirms or declines it). */
  payer?: { userId: string; msisdn: string };
  timerAt?: Date | null;
  releasedAmount?: bigint;
  fee?: bigint;
}

export const listPageMax = 100;

/** SQL of the payments module. Every write that changes a state also appends to payment_transitions. */
export class PaymentStore {
  constructor(private readonly db: Kysely<any>) {}

  /** Inserts a payment in the awaiting state; false when this id exists (an idempotent retry). */
  async insert(trx: Kysely<any>, p: NewPayment, actor: string, now: Date): Promise<"created" | "exists" | "reference_taken"> {
    const inserted = await sql`
      INSERT INTO payments (id, merchant_id, kind, amount, currency, fee, description, merchant_reference, payer_msisdn, payer_user_id,
                            state, expires_at, timer_at, purchase_id, created_at, updated_at)
      VALUES (${p.id}::uuid, ${p.merchantId}::uuid, ${p.kind}, ${p.amount}, ${p.currency}, ${p.fee}, ${p.description}, ${p.merchantReference},
              ${p.payerMsisdn}, ${p.payerUserId}::uuid, 'awaiting_confirmation', ${p.expiresAt}, ${p.expiresAt}, ${p.purchaseId}::uuid, ${now}, ${now})
      ON CONFLICT DO NOTHING RETURNING id`.execute(trx);
    if (inserted.rows.length === 0) {
      const byId = (await sql`SELECT 1 FROM payments WHERE id = ${p.id}::uuid`.execute(trx)).rows.length;
      return byId === 1 ? "exists" : "reference_taken";
    }
    await sql`INSERT INTO payment_transitions (payment_id, seq, event, from_state, to_state, reason, actor, at)
              VALUES (${p.id}::uuid, 0, 'create', NULL, 'awaiting_confirmation', NULL, ${actor}, ${now})`.execute(trx);
    return "created";
  }

  async byId(id: string, executor: Kysely<any> = this.db): Promise<Payment | undefined> {
    const rows = (await sql<PaymentRow>`SELECT * FROM payments WHERE id = ${id}::uuid`.execute(executor)).rows;
    return rows[0] === undefined ? undefined : payment(rows[0]);
  }

  async byReference(merchantId: string, reference: string): Promise<Payment | undefined> {
    const rows = (await sql<PaymentRow>`SELECT * FROM payments WHERE merchant_id = ${merchantId}::uuid AND merchant_reference = ${reference}`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : payment(rows[0]);
  }

  /**
   * Moves a payment from the state it was read in to `to`, only if nobody changed it since
   * (version check). Undefined when it lost that race: the caller re-reads and decides again.
   */
  async transition(trx: Kysely<any>, from: Payment, event: PaymentEvent, to: PaymentState, changes: TransitionChanges, actor: string, now: Date): Promise<Payment | undefined> {
    const has = (key: keyof TransitionChanges) => Object.hasOwn(changes, key);
    const rows = (await sql<PaymentRow>`
      UPDATE payments SET
        state = ${to},
        reason = ${has("reason") ? changes.reason ?? null : from.reason},
        funding_source = ${changes.fundingSource ?? from.fundingSource},
        payer_user_id = ${changes.payer?.userId ?? from.payerUserId}::uuid,
        payer_msisdn = ${changes.payer?.msisdn ?? from.payerMsisdn},
        timer_at = ${has("timerAt") ? changes.timerAt ?? null : null},
        released_amount = ${changes.releasedAmount ?? from.releasedAmount},
        fee = ${changes.fee ?? from.fee},
        version = version + 1,
        updated_at = ${now}
      WHERE id = ${from.id}::uuid AND version = ${from.version} AND state = ${from.state}
      RETURNING *`.execute(trx)).rows;
    if (rows[0] === undefined) return undefined;
    await sql`INSERT INTO payment_transitions (payment_id, seq, event, from_state, to_state, reason, actor, at)
              VALUES (${from.id}::uuid, ${from.version + 1}, ${event}, ${from.state}, ${to}, ${changes.reason ?? null}, ${actor}, ${now})`.execute(trx);
    return payment(rows[0]);
  }

  /** Sets when the funding step should be retried (a state's own timer, not a transition). */
  async setTimer(id: string, timerAt: Date | null): Promise<void> {
    await sql`UPDATE payments SET timer_at = ${timerAt} WHERE id = ${id}::uuid`.execute(this.db);
  }

  async transitions(paymentId: string): Promise<TransitionRecord[]> {
    const rows = (await sql<{ seq: number; event: string; from_state: PaymentState | null; to_state: PaymentState; reason: string | null; actor: string; at: Date }>`
      SELECT seq, event, from_state, to_state, reason, actor, at FROM payment_transitions WHERE payment_id = ${paymentId}::uuid ORDER BY seq`.execute(this.db)).rows;
    return rows.map((r) => ({ seq: r.seq, event: r.event, fromState: r.from_state, toState: r.to_state, reason: r.reason, actor: r.actor, at: new Date(r.at) }));
  }

  async list(merchantId: string, filter: { state?: PaymentState; reference?: string; payerMsisdn?: string; createdFrom?: Date; createdTo?: Date; before?: { createdAt: Date; id: string }; limit: number }): Promise<Payment[]> {
    const rows = (await sql<PaymentRow>`
      SELECT * FROM payments
      WHERE merchant_id = ${merchantId}::uuid
        AND (${filter.state ?? null}::text IS NULL OR state = ${filter.state ?? null})
        AND (${filter.reference ?? null}::text IS NULL OR merchant_reference = ${filter.reference ?? null})
        AND (${filter.payerMsisdn ?? null}::text IS NULL OR payer_msisdn = ${filter.payerMsisdn ?? null})
        AND (${filter.createdFrom ?? null}::timestamptz IS NULL OR created_at >= ${filter.createdFrom ?? null})
        AND (${filter.createdTo ?? null}::timestamptz IS NULL OR created_at < ${filter.createdTo ?? null})
        AND (${filter.before?.createdAt ?? null}::timestamptz IS NULL OR (created_at, id) < (${filter.before?.createdAt ?? null}, ${filter.before?.id ?? null}::uuid))
      ORDER BY created_at DESC, id DESC LIMIT ${Math.min(filter.limit, listPageMax)}`.execute(this.db)).rows;
    return rows.map(payment);
  }

  /** Requests waiting for this user's confirmation (addressed to the user, not yet expired). */
  async awaitingUser(userId: string, now: Date, limit: number): Promise<Payment[]> {
    const rows = (await sql<PaymentRow>`
      SELECT * FROM payments WHERE payer_user_id = ${userId}::uuid AND state = 'awaiting_confirmation' AND expires_at > ${now}
      ORDER BY created_at LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(payment);
  }

  /** Payments of this user in any state (the wallet's view), newest first. */
  async ofUser(userId: string, limit: number): Promise<Payment[]> {
    const rows = (await sql<PaymentRow>`SELECT * FROM payments WHERE payer_user_id = ${userId}::uuid ORDER BY created_at DESC LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(payment);
  }

  async dueTimers(now: Date, limit: number): Promise<Payment[]> {
    const rows = (await sql<PaymentRow>`SELECT * FROM payments WHERE timer_at <= ${now} ORDER BY timer_at LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(payment);
  }

  async disputed(limit: number): Promise<Payment[]> {
    const rows = (await sql<PaymentRow>`SELECT * FROM payments WHERE state = 'disputed' ORDER BY updated_at LIMIT ${limit}`.execute(this.db)).rows;
    return rows.map(payment);
  }

  /** Reserves `amount` of the capture for a new refund, in one statement (the CHECK caps it at the amount). */
  async insertRefund(trx: Kysely<any>, r: { id: string; paymentId: string; amount: bigint; reason: string }, now: Date): Promise<"created" | "exists" | "exceeds"> {
    const existing = (await sql`SELECT 1 FROM refunds WHERE id = ${r.id}::uuid`.execute(trx)).rows.length;
    if (existing === 1) return "exists";
    const reserved = await sql`UPDATE payments SET refunded_amount = refunded_amount + ${r.amount}, updated_at = ${now}
                               WHERE id = ${r.paymentId}::uuid AND refunded_amount + ${r.amount} <= amount RETURNING id`.execute(trx);
    if (reserved.rows.length === 0) return "exceeds";
    await sql`INSERT INTO refunds (id, payment_id, amount, reason, state, created_at, updated_at)
              VALUES (${r.id}::uuid, ${r.paymentId}::uuid, ${r.amount}, ${r.reason}, 'pending', ${now}, ${now})`.execute(trx);
    return "created";
  }

  /** Ends a pending refund; a failed one gives its reservation back. False when it was not pending. */
  async finishRefund(trx: Kysely<any>, id: string, outcome: { state: "succeeded" } | { state: "failed"; failure: string }, now: Date): Promise<boolean> {
    const rows = (await sql<{ payment_id: string; amount: bigint }>`
      UPDATE refunds SET state = ${outcome.state}, failure = ${outcome.state === "failed" ? outcome.failure : null}, updated_at = ${now}
      WHERE id = ${id}::uuid AND state = 'pending' RETURNING payment_id, amount`.execute(trx)).rows;
    if (rows[0] === undefined) return false;
    if (outcome.state === "failed") {
      await sql`UPDATE payments SET refunded_amount = refunded_amount - ${rows[0].amount}, updated_at = ${now} WHERE id = ${rows[0].payment_id}::uuid`.execute(trx);
    }
    return true;
  }

  async refund(id: string, executor: Kysely<any> = this.db): Promise<Refund | undefined> {
    const rows = (await sql<RefundRow>`SELECT * FROM refunds WHERE id = ${id}::uuid`.execute(executor)).rows;
    return rows[0] === undefined ? undefined : refund(rows[0]);
  }

  async refundsOf(paymentId: string): Promise<Refund[]> {
    return (await sql<RefundRow>`SELECT * FROM refunds WHERE payment_id = ${paymentId}::uuid ORDER BY created_at, id`.execute(this.db)).rows.map(refund);
  }

  async pendingRefunds(olderThan: Date, limit: number): Promise<Refund[]> {
    return (await sql<RefundRow>`SELECT * FROM refunds WHERE state = 'pending' AND updated_at <= ${olderThan} ORDER BY created_at LIMIT ${limit}`.execute(this.db)).rows.map(refund);
  }
}
