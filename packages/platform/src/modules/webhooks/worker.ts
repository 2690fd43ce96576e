import type { Kysely } from "kysely";
import { Mutex } from "../../db/mutex.js";
import { failpoint } from "../../failpoints.js";
import type { NotificationsService } from "../notifications/service.js";
import { afterFailure, type RetrySchedule } from "./retry-schedule.js";
import type { WebhookSecretSealer } from "./secret-sealer.js";
import { sendWebhook, type Resolver, type SendResult } from "./sender.js";
import { signatureHeader, webhookHeaders } from "./signature.js";
import type { ClaimedDelivery, WebhookStore } from "./store.js";
import type { TargetPolicy } from "./target-policy.js";
import { OutageBackoff } from "../../db/unavailable.js";

export interface WorkerLimits {
  /** Deliveries sent at once by one process (and claimed per round). */
  concurrencyMax: number;
  /** One attempt's whole budget: lookup, connect, send, read the answer. */
  requestTimeoutMs: number;
  /** How much of an answer is read and kept in the delivery log. */
  responseBytesMax: number;
}

export interface WorkerDependencies {
  db: Kysely<any>;
  store: WebhookStore;
  sealer: WebhookSecretSealer;
  notifications: NotificationsService;
  clock: () => number;
  random: () => number;
  schedule: RetrySchedule;
  policy: TargetPolicy;
  limits: WorkerLimits;
  resolve?: Resolver;
}

const userAgent = "Obol-Webhooks/1";

/**
 * Delivers the outbox. `runDue(now)` is one step: claim what is due at `now`, send it (at most
 * concurrencyMax at once), record each outcome, repeat until nothing due is left. A timer calls
 * it every poll interval in production; tests call it themselves with a clock they move, so a
 * 24-hour retry schedule runs in milliseconds.
 *
 * At least once: a claim pushes the delivery's next attempt to `now + lease`, and only recording
 * the outcome settles it. A process killed anywhere between the claim and the record (the
 * failpoints `webhooks.before_send` and `webhooks.after_send` mark the two interesting places)
 * leaves the delivery due again when the lease ends, and any process sends it again, with the
 * same event id and the same body.
 */
export class WebhookWorker {
  private readonly mutex = new Mutex();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: WorkerDependencies) {}

  /** Long enough for the slowest attempt to finish and be recorded before anyone else may claim it. */
  get leaseMs(): number {
    return 2 * this.deps.limits.requestTimeoutMs;
  }

  async runDue(now: number = this.deps.clock()): Promise<{ attempted: number }> {
    const release = await this.mutex.acquire();
    try {
      let attempted = 0;
      for (;;) {
        const claimed = await this.deps.store.claimDue(new Date(now), new Date(now + this.leaseMs), this.deps.limits.concurrencyMax);
        // Every delivery of the round finishes before the round ends, even when one of them throws
        // (its claim then simply runs out and it is tried again).
        const outcomes = await Promise.allSettled(claimed.map((delivery) => this.deliver(delivery)));
        const failures = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
        if (failures.length > 0) throw new AggregateError(failures, "webhook delivery round failed");
        attempted += claimed.length;
        if (claimed.length < this.deps.limits.concurrencyMax || this.stopped) return { attempted };
      }
    } finally {
      release();
    }
  }

  /** Polls every `intervalMs` until stop(). A failed round is reported and the next one runs as usual. */
  start(intervalMs: number, onError: (error: unknown) => void): void {
    const backoff = new OutageBackoff();
    const tick = () => {
      let delayMs = intervalMs;
      this.running = this.runDue().then(() => { delayMs = backoff.next(intervalMs); }, (error) => { delayMs = backoff.next(intervalMs, error); onError(error); }).finally(() => {
        if (!this.stopped) this.timer = setTimeout(tick, delayMs).unref();
      });
    };
    this.timer = setTimeout(tick, intervalMs).unref();
  }

  /** Stops polling and waits for the round in flight, so storage can close under it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const { store, sealer, clock } = this.deps;
    const startedAt = clock();
    const endpoint = await store.endpoint(delivery.merchantId);
    let result: SendResult;
    if (endpoint === undefined) {
      result = { ok: false, statusCode: null, errorClass: "no_endpoint", responseExcerpt: "", durationMs: 0 };
    } else {
      const keys = [sealer.open(delivery.merchantId, endpoint.sealedSecret)];
      if (endpoint.sealedPreviousSecret !== null && endpoint.previousSecretExpiresAt!.getTime() > startedAt) {
        keys.push(sealer.open(delivery.merchantId, endpoint.sealedPreviousSecret));
      }
      const timestamp = Math.floor(startedAt / 1000);
      failpoint("webhooks.before_send");
      result = await sendWebhook({
        url: endpoint.url, body: delivery.body, policy: this.deps.policy, timeoutMs: this.deps.limits.requestTimeoutMs,
        responseBytesMax: this.deps.limits.responseBytesMax, ...(this.deps.resolve ? { resolve: this.deps.resolve } : {}),
        headers: {
          [webhookHeaders.id]: delivery.eventId,
          [webhookHeaders.timestamp]: String(timestamp),
          [webhookHeaders.signature]: signatureHeader(keys, delivery.eventId, timestamp, delivery.body),
          "user-agent": userAgent,
        },
      });
      failpoint("webhooks.after_send");
    }
    await this.record(delivery, new Date(startedAt), result);
  }

  private async record(delivery: ClaimedDelivery, startedAt: Date, result: SendResult): Promise<void> {
    const { db, store, notifications, clock, schedule, random } = this.deps;
    const now = clock();
    await db.transaction().execute(async (trx) => {
      await store.insertAttempt(trx, {
        eventId: delivery.eventId, merchantId: delivery.merchantId, attempt: delivery.attempts, startedAt, durationMs: result.durationMs,
        statusCode: result.statusCode, outcome: result.ok ? "success" : "failure", errorClass: result.errorClass, responseExcerpt: result.responseExcerpt,
      });
      const at = new Date(now);
      if (result.ok) {
        await store.settle(trx, delivery, { status: "delivered", at, statusCode: result.statusCode! });
        return;
      }
      const errorClass = result.errorClass!;
      // Without an endpoint there is nobody to retry to: fail now; the merchant can redeliver later.
      const decision = errorClass === "no_endpoint" ? { kind: "give_up" as const }
        : afterFailure(schedule, { cycleStartedAt: delivery.cycleStartedAt.getTime(), attemptsInCycle: delivery.attemptsInCycle, now, random: random() });
      if (decision.kind === "retry") {
        await store.settle(trx, delivery, { status: "pending", nextAttemptAt: new Date(decision.at), at, statusCode: result.statusCode, errorClass });
        return;
      }
      const settled = await store.settle(trx, delivery, { status: "failed", at, statusCode: result.statusCode, errorClass });
      if (settled) {
        await notifications.record(trx, {
          recipient: { type: "merchant", id: delivery.merchantId }, kind: "webhook.delivery_failed",
          data: { eventId: delivery.eventId, eventType: delivery.type, attempts: delivery.attempts, lastErrorClass: errorClass, lastStatusCode: result.statusCode },
        });
      }
    });
  }
}
