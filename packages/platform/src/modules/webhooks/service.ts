import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import type { NotificationsService } from "../notifications/service.js";
import { eventBody, isWebhookEventType, newEventId, type WebhookEventType } from "./events.js";
import { defaultRetrySchedule, type RetrySchedule } from "./retry-schedule.js";
import type { WebhookSecretSealer } from "./secret-sealer.js";
import type { Resolver } from "./sender.js";
import { formatSecret, secretBytes } from "./signature.js";
import { WebhookStore, type AttemptRow, type DeliveryStatus, type EventRow } from "./store.js";
import { checkWebhookUrl, type TargetPolicy } from "./target-policy.js";
import { WebhookWorker, type WorkerLimits } from "./worker.js";

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ApiErrorCode };

export interface WebhookSettings extends WorkerLimits {
  /** How long a rotated-out secret still signs (both signatures are sent meanwhile). */
  secretGraceMs: number;
  policy: TargetPolicy;
  schedule?: RetrySchedule;
}

export interface EndpointView { url: string; createdAt: string; updatedAt: string; previousSecretValidUntil: string | null }

export interface DeliveryView {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastErrorClass: string | null;
  deliveredAt: string | null;
}

export interface EventView { id: string; type: string; createdAt: string; delivery: DeliveryView; cursor: string }

export interface AttemptView {
  eventId: string; attempt: number; startedAt: string; durationMs: number; statusCode: number | null;
  outcome: "success" | "failure"; errorClass: string | null; responseExcerpt: string; cursor: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Attempts shown with one event; the full log is paged through listAttempts. */
const eventAttemptsShownMax = 100;

/**
 * Outgoing webhooks (issue 4 item 2): each merchant's endpoint and secret, the outbox API other
 * modules call inside their transactions, the delivery log and manual redelivery. Delivery itself
 * is the worker's (worker.ts).
 */
export class WebhooksService {
  readonly worker: WebhookWorker;
  private readonly store: WebhookStore;

  constructor(private readonly deps: {
    db: Kysely<any>; clock: () => number; sealer: WebhookSecretSealer; notifications: NotificationsService; settings: WebhookSettings;
    random?: () => number; resolve?: Resolver;
  }) {
    this.store = new WebhookStore(deps.db);
    const { settings } = deps;
    this.worker = new WebhookWorker({
      db: deps.db, store: this.store, sealer: deps.sealer, notifications: deps.notifications, clock: deps.clock, random: deps.random ?? Math.random,
      schedule: settings.schedule ?? defaultRetrySchedule, policy: settings.policy,
      limits: { concurrencyMax: settings.concurrencyMax, requestTimeoutMs: settings.requestTimeoutMs, responseBytesMax: settings.responseBytesMax },
      ...(deps.resolve ? { resolve: deps.resolve } : {}),
    });
  }

  /**
   * The outbox write (the API other modules call). Writes the event and its pending delivery
   * through `trx`, the caller's open transaction, so the event exists if and only if the change
   * it announces commits; the worker sends it after the commit, at least once. Returns the event
   * id, which is also the `webhook-id` of every attempt. A bad type, merchant id or data is a
   * programming error and throws (rolling the caller's transaction back).
   */
  async enqueue(trx: Kysely<any>, input: { merchantId: string; type: WebhookEventType; data: Record<string, unknown> }): Promise<{ eventId: string }> {
    if (!trx.isTransaction) throw new TypeError("webhooks.enqueue must run inside the caller's transaction (the outbox pattern)");
    if (!isWebhookEventType(input.type)) throw new TypeError(`unknown webhook event type ${String(input.type)}`);
    if (!uuidPattern.test(input.merchantId)) throw new TypeError("merchantId must be a lower-case uuid");
    const id = newEventId();
    const createdAt = new Date(this.deps.clock());
    await this.store.insertEvent(trx, { id, merchantId: input.merchantId, type: input.type, createdAt, body: eventBody({ id, type: input.type, createdAt, data: input.data }) });
    return { eventId: id };
  }

  async endpoint(merchantId: string): Promise<EndpointView | undefined> {
    const row = await this.store.endpoint(merchantId);
    return row === undefined ? undefined : this.endpointView(row);
  }

  /**
   * Sets the merchant's endpoint URL. The first time, the platform generates the signing secret
   * and returns it: the only time it is ever shown. Later calls change the URL and keep the secret.
   */
  async setEndpoint(merchantId: string, urlText: string): Promise<Outcome<{ endpoint: EndpointView; secret?: string; created: boolean }>> {
    const checked = checkWebhookUrl(urlText, this.deps.settings.policy);
    if (!checked.ok) return { ok: false, code: checked.code };
    const now = new Date(this.deps.clock());
    const url = checked.url.href;
    if (!(await this.store.updateEndpointUrl(merchantId, url, now))) {
      const key = randomBytes(secretBytes);
      if (await this.store.insertEndpoint(merchantId, url, this.deps.sealer.seal(merchantId, key), now)) {
        return { ok: true, value: { endpoint: (await this.endpoint(merchantId))!, secret: formatSecret(key), created: true } };
      }
      await this.store.updateEndpointUrl(merchantId, url, now); // another request created it meanwhile
    }
    return { ok: true, value: { endpoint: (await this.endpoint(merchantId))!, created: false } };
  }

  async removeEndpoint(merchantId: string): Promise<boolean> {
    return this.store.deleteEndpoint(merchantId);
  }

  /** A new secret, shown once; the old one keeps signing beside it for the grace period. */
  async rotateSecret(merchantId: string): Promise<Outcome<{ secret: string; previousSecretValidUntil: string }>> {
    const now = this.deps.clock();
    const key = randomBytes(secretBytes);
    const validUntil = new Date(now + this.deps.settings.secretGraceMs);
    if (!(await this.store.rotateSecret(merchantId, this.deps.sealer.seal(merchantId, key), validUntil, new Date(now)))) return { ok: false, code: "ERR_WEBHOOK_ENDPOINT_NOT_FOUND" };
    return { ok: true, value: { secret: formatSecret(key), previousSecretValidUntil: validUntil.toISOString() } };
  }

  /** A `webhook.test` event, so a merchant can try its receiver before any payment happens. */
  async sendTest(merchantId: string): Promise<Outcome<{ eventId: string }>> {
    if ((await this.store.endpoint(merchantId)) === undefined) return { ok: false, code: "ERR_WEBHOOK_ENDPOINT_NOT_FOUND" };
    const requestedAt = new Date(this.deps.clock()).toISOString();
    const queued = await this.deps.db.transaction().execute((trx) => this.enqueue(trx, { merchantId, type: "webhook.test", data: { merchantId, requestedAt } }));
    return { ok: true, value: queued };
  }

  async listEvents(merchantId: string, filter: { limit: number; before?: bigint; status?: DeliveryStatus; type?: string }): Promise<{ events: EventView[]; next: string | null }> {
    const rows = await this.store.events(merchantId, filter);
    return { events: rows.map(eventView), next: rows.length === filter.limit ? rows.at(-1)!.seq.toString() : null };
  }

  /** One event with its exact payload and its latest attempts. */
  async event(merchantId: string, eventId: string): Promise<(EventView & { payload: unknown; attempts: AttemptView[] }) | undefined> {
    const [row] = await this.store.events(merchantId, { limit: 1, eventId });
    if (row === undefined) return undefined;
    const attempts = await this.store.attempts(merchantId, { limit: eventAttemptsShownMax, eventId });
    return { ...eventView(row), payload: JSON.parse(row.body) as unknown, attempts: attempts.map(attemptView) };
  }

  async listAttempts(merchantId: string, filter: { limit: number; before?: bigint; eventId?: string; outcome?: "success" | "failure" }): Promise<{ attempts: AttemptView[]; next: string | null }> {
    const rows = await this.store.attempts(merchantId, filter);
    return { attempts: rows.map(attemptView), next: rows.length === filter.limit ? rows.at(-1)!.seq.toString() : null };
  }

  /** Sends the event again from the start of the schedule, with the same id and body. */
  async redeliver(merchantId: string, eventId: string): Promise<Outcome<EventView>> {
    if ((await this.store.endpoint(merchantId)) === undefined) return { ok: false, code: "ERR_WEBHOOK_ENDPOINT_NOT_FOUND" };
    if (!(await this.store.requeue(merchantId, eventId, new Date(this.deps.clock())))) return { ok: false, code: "ERR_WEBHOOK_EVENT_NOT_FOUND" };
    const [row] = await this.store.events(merchantId, { limit: 1, eventId });
    return { ok: true, value: eventView(row!) };
  }

  private endpointView(row: { url: string; createdAt: Date; updatedAt: Date; previousSecretExpiresAt: Date | null }): EndpointView {
    const previous = row.previousSecretExpiresAt;
    return {
      url: row.url, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString(),
      previousSecretValidUntil: previous !== null && previous.getTime() > this.deps.clock() ? previous.toISOString() : null,
    };
  }
}

function eventView(row: EventRow): EventView {
  return {
    id: row.id, type: row.type, createdAt: row.created_at.toISOString(), cursor: row.seq.toString(),
    delivery: {
      status: row.status, attempts: row.attempts, nextAttemptAt: row.status === "pending" ? row.next_attempt_at.toISOString() : null,
      lastAttemptAt: row.last_attempt_at?.toISOString() ?? null, lastStatusCode: row.last_status_code, lastErrorClass: row.last_error_class,
      deliveredAt: row.delivered_at?.toISOString() ?? null,
    },
  };
}

function attemptView(row: AttemptRow): AttemptView {
  return {
    eventId: row.event_id, attempt: row.attempt, startedAt: row.started_at.toISOString(), durationMs: row.duration_ms, statusCode: row.status_code,
    outcome: row.outcome, errorClass: row.error_class, responseExcerpt: row.response_excerpt, cursor: row.seq.toString(),
  };
}
