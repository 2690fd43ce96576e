import { sql, type Kysely } from "kysely";
import type { AttemptErrorClass } from "./sender.js";

export type DeliveryStatus = "pending" | "delivered" | "failed";

export interface EndpointRow {
  merchantId: string;
  url: string;
  sealedSecret: string;
  sealedPreviousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClaimedDelivery {
  eventId: string;
  merchantId: string;
  type: string;
  body: string;
  /** Attempts ever made, this one included: identifies the claim when its outcome is recorded. */
  attempts: number;
  attemptsInCycle: number;
  cycleStartedAt: Date;
}

export interface AttemptRecord {
  eventId: string;
  merchantId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  outcome: "success" | "failure";
  errorClass: AttemptErrorClass | null;
  responseExcerpt: string;
}

export interface EventRow {
  id: string; seq: bigint; type: string; body: string; created_at: Date;
  status: DeliveryStatus; attempts: number; next_attempt_at: Date; last_attempt_at: Date | null;
  last_status_code: number | null; last_error_class: string | null; delivered_at: Date | null;
}

export interface AttemptRow {
  seq: bigint; event_id: string; attempt: number; started_at: Date; duration_ms: number;
  status_code: number | null; outcome: "success" | "failure"; error_class: string | null; response_excerpt: string;
}

/** Every statement of the webhooks module; the only code that touches its tables. */
export class WebhookStore {
  constructor(private readonly db: Kysely<any>) {}

  async endpoint(merchantId: string): Promise<EndpointRow | undefined> {
    const row = (await sql<{ merchant_id: string; url: string; sealed_secret: string; sealed_previous_secret: string | null; previous_secret_expires_at: Date | null; created_at: Date; updated_at: Date }>`
      SELECT * FROM webhook_endpoints WHERE merchant_id = ${merchantId}::uuid`.execute(this.db)).rows[0];
    return row === undefined ? undefined : {
      merchantId: row.merchant_id, url: row.url, sealedSecret: row.sealed_secret, sealedPreviousSecret: row.sealed_previous_secret,
      previousSecretExpiresAt: row.previous_secret_expires_at, createdAt: row.created_at, updatedAt: row.updated_at,
    };
  }

  /** False when the merchant already has an endpoint. */
  async insertEndpoint(merchantId: string, url: string, sealedSecret: string, now: Date): Promise<boolean> {
    const inserted = await sql`INSERT INTO webhook_endpoints (merchant_id, url, sealed_secret, created_at, updated_at)
      VALUES (${merchantId}::uuid, ${url}, ${sealedSecret}, ${now}, ${now}) ON CONFLICT (merchant_id) DO NOTHING RETURNING 1 AS created`.execute(this.db);
    return inserted.rows.length === 1;
  }

  async updateEndpointUrl(merchantId: string, url: string, now: Date): Promise<boolean> {
    const updated = await sql`UPDATE webhook_endpoints SET url = ${url}, updated_at = ${now} WHERE merchant_id = ${merchantId}::uuid`.execute(this.db);
    return updated.numAffectedRows === 1n;
  }

  /** The current secret becomes the previous one until `previousExpiresAt`; an older previous one is dropped. */
  async rotateSecret(merchantId: string, sealedSecret: string, previousExpiresAt: Date, now: Date): Promise<boolean> {
    const updated = await sql`UPDATE webhook_endpoints SET sealed_previous_secret = sealed_secret, previous_secret_expires_at = ${previousExpiresAt},
      sealed_secret = ${sealedSecret}, updated_at = ${now} WHERE merchant_id = ${merchantId}::uuid`.execute(this.db);
    return updated.numAffectedRows === 1n;
  }

  async deleteEndpoint(merchantId: string): Promise<boolean> {
    const deleted = await sql`DELETE FROM webhook_endpoints WHERE merchant_id = ${merchantId}::uuid`.execute(this.db);
    return deleted.numAffectedRows === 1n;
  }

  /** The outbox write: the event and its pending delivery, through the caller's transaction. */
  async insertEvent(trx: Kysely<any>, event: { id: string; merchantId: string; type: string; body: string; createdAt: Date }): Promise<void> {
    await sql`INSERT INTO webhook_events (id, merchant_id, type, body, created_at)
      VALUES (${event.id}, ${event.merchantId}::uuid, ${event.type}, ${event.body}, ${event.createdAt})`.execute(trx);
    await sql`INSERT INTO webhook_deliveries (event_id, merchant_id, status, next_attempt_at)
      VALUES (${event.id}, ${event.merchantId}::uuid, 'pending', ${event.createdAt})`.execute(trx);
  }

  /**
   * Claims up to `limit` due deliveries in one statement: each gets its attempt counted and its
   * next_attempt_at pushed to `leaseUntil`, so no other worker takes it while it is being sent.
   * SKIP LOCKED lets workers of several processes claim side by side without waiting.
   */
  async claimDue(now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    const rows = (await sql<{ event_id: string; merchant_id: string; type: string; body: string; attempts: number; cycle_attempts: number; cycle_started_at: Date }>`
      UPDATE webhook_deliveries d
      SET next_attempt_at = ${leaseUntil}, attempts = d.attempts + 1, cycle_attempts = d.cycle_attempts + 1, cycle_started_at = coalesce(d.cycle_started_at, ${now})
      FROM webhook_events e
      WHERE e.id = d.event_id AND d.event_id IN (
        SELECT event_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ${now}
        ORDER BY next_attempt_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING d.event_id, d.merchant_id, e.type, e.body, d.attempts, d.cycle_attempts, d.cycle_started_at`.execute(this.db)).rows;
    return rows.map((r) => ({
      eventId: r.event_id, merchantId: r.merchant_id, type: r.type, body: r.body, attempts: r.attempts, attemptsInCycle: r.cycle_attempts, cycleStartedAt: r.cycle_started_at,
    }));
  }

  async insertAttempt(trx: Kysely<any>, a: AttemptRecord): Promise<void> {
    await sql`INSERT INTO webhook_attempts (event_id, merchant_id, attempt, started_at, duration_ms, status_code, outcome, error_class, response_excerpt)
      VALUES (${a.eventId}, ${a.merchantId}::uuid, ${a.attempt}, ${a.startedAt}, ${a.durationMs}, ${a.statusCode}, ${a.outcome}, ${a.errorClass}, ${a.responseExcerpt})`.execute(trx);
  }

  /**
   * Applies an attempt's outcome to its delivery, only if the delivery is still the one that was
   * claimed (same attempt count, still pending): a worker whose lease ran out and whose row
   * another worker claimed since then changes nothing.
   */
  async settle(trx: Kysely<any>, claim: { eventId: string; attempts: number }, next:
    | { status: "delivered"; at: Date; statusCode: number }
    | { status: "pending"; nextAttemptAt: Date; at: Date; statusCode: number | null; errorClass: string }
    | { status: "failed"; at: Date; statusCode: number | null; errorClass: string }): Promise<boolean> {
    const updated = await sql`UPDATE webhook_deliveries SET
        status = ${next.status}, last_attempt_at = ${next.at}, last_status_code = ${next.statusCode},
        last_error_class = ${next.status === "delivered" ? null : next.errorClass},
        delivered_at = ${next.status === "delivered" ? next.at : null},
        next_attempt_at = ${next.status === "pending" ? next.nextAttemptAt : next.at}
      WHERE event_id = ${claim.eventId} AND attempts = ${claim.attempts} AND status = 'pending'`.execute(trx);
    return updated.numAffectedRows === 1n;
  }

  /** Starts a new delivery cycle now, whatever the delivery's state; false when the event is not the merchant's. */
  async requeue(merchantId: string, eventId: string, now: Date): Promise<boolean> {
    const updated = await sql`UPDATE webhook_deliveries SET status = 'pending', cycle_attempts = 0, cycle_started_at = NULL,
        next_attempt_at = ${now}, delivered_at = NULL
      WHERE event_id = ${eventId} AND merchant_id = ${merchantId}::uuid`.execute(this.db);
    return updated.numAffectedRows === 1n;
  }

  async events(merchantId: string, filter: { limit: number; before?: bigint; status?: DeliveryStatus; type?: string; eventId?: string }): Promise<EventRow[]> {
    return (await sql<EventRow>`
      SELECT e.id, e.seq, e.type, e.body, e.created_at, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code, d.last_error_class, d.delivered_at
      FROM webhook_events e JOIN webhook_deliveries d ON d.event_id = e.id
      WHERE e.merchant_id = ${merchantId}::uuid
        ${filter.eventId !== undefined ? sql`AND e.id = ${filter.eventId}` : sql``}
        ${filter.before !== undefined ? sql`AND e.seq < ${filter.before}` : sql``}
        ${filter.status !== undefined ? sql`AND d.status = ${filter.status}` : sql``}
        ${filter.type !== undefined ? sql`AND e.type = ${filter.type}` : sql``}
      ORDER BY e.seq DESC LIMIT ${filter.limit}`.execute(this.db)).rows;
  }

  async attempts(merchantId: string, filter: { limit: number; before?: bigint; eventId?: string; outcome?: "success" | "failure" }): Promise<AttemptRow[]> {
    return (await sql<AttemptRow>`
      SELECT seq, event_id, attempt, started_at, duration_ms, status_code, outcome, error_class, response_excerpt FROM webhook_attempts
      WHERE merchant_id = ${merchantId}::uuid
        ${filter.eventId !== undefined ? sql`AND event_id = ${filter.eventId}` : sql``}
        ${filter.before !== undefined ? sql`AND seq < ${filter.before}` : sql``}
        ${filter.outcome !== undefined ? sql`AND outcome = ${filter.outcome}` : sql``}
      ORDER BY seq DESC LIMIT ${filter.limit}`.execute(this.db)).rows;
  }
}
