/**
 * Webhooks (issue 4 item 2) through the API, on an in-memory platform whose worker runs only when
 * the test calls it, against real HTTP receivers on loopback. The test moves the clock to each
 * retry's due time, so a whole 24-hour schedule runs in seconds.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import pino from "pino";
import { Webhook } from "standardwebhooks";
import { retryWindows, defaultRetrySchedule } from "../../src/modules/webhooks/retry-schedule.js";
import { WebhookStore } from "../../src/modules/webhooks/store.js";
import type { EventView } from "../../src/modules/webhooks/service.js";
import { verifyStandardWebhook } from "../support/standard-webhooks-verifier.js";
import { WebhookReceiver, type Answer } from "../support/webhook-receiver.js";
import { assertEveryResponseWellFormed, openHarness, type Harness } from "./harness.js";

// Long enough that a loaded machine answers the scripted statuses in time; the silent receiver costs this once per event.
const requestTimeoutMs = 2_000;
let h: Harness;
let logs = "";
const receivers: WebhookReceiver[] = [];

before(async () => {
  const logger = pino({ level: "trace" }, { write: (line: string) => void (logs += line) });
  h = await openHarness({ webhookWorker: "manual", logger, env: { OBOL_WEBHOOK_TIMEOUT_MS: String(requestTimeoutMs), OBOL_WEBHOOK_CONCURRENCY: "4" } });
});
after(async () => {
  assertEveryResponseWellFormed(h);
  await h.stop();
  for (const receiver of receivers) await receiver.close();
});

const webhooks = () => h.platform.services.webhooks;
const worker = () => h.platform.services.webhooks.worker;

async function receiver(answer: (r: { eventId: string; attemptOfEvent: number }) => Answer): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start(answer, h.clock.read);
  receivers.push(started);
  return started;
}

/** A fresh merchant (pending approval: webhooks need no approval) with its API key. */
async function newMerchant(name: string): Promise<{ id: string; key: string }> {
  const created = await h.call("POST", "/v1/merchants", { json: { legalName: name, category: "5814" } });
  assert.equal(created.status, 201, created.text);
  return { id: created.body.id, key: created.body.apiKey };
}

async function setEndpoint(merchant: { key: string }, url: string): Promise<string> {
  const set = await h.call("PUT", "/v1/merchant/webhook-endpoint", { token: merchant.key, json: { url } });
  assert.equal(set.status, 201, set.text);
  return set.body.secret as string;
}

async function enqueue(merchantId: string, type: "payment.succeeded" | "payment.refunded" | "escrow.held", data: Record<string, unknown>): Promise<string> {
  return (await h.platform.services.db.transaction().execute((trx) => webhooks().enqueue(trx, { merchantId, type, data }))).eventId;
}

/** Runs the worker, then moves the clock to the earliest retry, until no event of `eventIds` is pending. */
async function driveUntilSettled(merchantId: string, eventIds: string[], roundsMax = 60): Promise<EventView[]> {
  for (let round = 0; round < roundsMax; round += 1) {
    await worker().runDue();
    const events = await Promise.all(eventIds.map(async (id) => (await webhooks().event(merchantId, id))!));
    const pending = events.filter((e) => e.delivery.status === "pending");
    if (pending.length === 0) return events;
    const next = Math.min(...pending.map((e) => Date.parse(e.delivery.nextAttemptAt!)));
    h.clock.now = Math.max(h.clock.now, next);
  }
  throw new Error("deliveries did not settle");
}

describe("webhook endpoints", () => {
  test("the secret is shown once, at creation; later PUTs change the URL only; GET never shows it; another merchant sees nothing", async () => {
    const m = await newMerchant("Endpoint Shop");
    const first = await h.call("PUT", "/v1/merchant/webhook-endpoint", { token: m.key, json: { url: "https://Shop.Example.com/hooks" } });
    assert.equal(first.status, 201, first.text);
    assert.match(first.body.secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
    assert.equal(first.body.url, "https://shop.example.com/hooks");
    assert.equal(first.body.previousSecretValidUntil, null);
    const second = await h.call("PUT", "/v1/merchant/webhook-endpoint", { token: m.key, json: { url: "https://shop.example.com/v2/hooks" } });
    assert.equal(second.status, 200, second.text);
    assert.equal(second.body.secret, undefined);
    assert.equal(second.body.url, "https://shop.example.com/v2/hooks");
    const read = await h.call("GET", "/v1/merchant/webhook-endpoint", { token: m.key });
    assert.deepEqual(Object.keys(read.body).sort(), ["createdAt", "previousSecretValidUntil", "updatedAt", "url"]);
    assert.equal(read.body.url, "https://shop.example.com/v2/hooks");
    const other = await newMerchant("Other Shop");
    assert.equal((await h.call("GET", "/v1/merchant/webhook-endpoint", { token: other.key })).body.error.code, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
    assert.equal((await h.call("POST", "/v1/merchant/webhook-endpoint/rotate-secret", { token: other.key })).body.error.code, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
    assert.equal((await h.call("POST", "/v1/merchant/webhook-events/test", { token: other.key })).body.error.code, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
    assert.equal((await h.call("POST", "/v1/merchant/webhook-endpoint/rotate-secret", { token: m.key })).status, 200);
    assert.equal((await h.call("DELETE", "/v1/merchant/webhook-endpoint", { token: m.key })).status, 204);
    const audited = (await sql<{ action: string; details: string }>`SELECT action, details FROM audit_log WHERE actor_id = ${m.id} ORDER BY seq`.execute(h.platform.services.db)).rows;
    assert.deepEqual(audited.map((r) => r.action), ["webhook.endpoint_created", "webhook.endpoint_changed", "webhook.secret_rotated", "webhook.endpoint_removed"]);
    assert.deepEqual(JSON.parse(audited[0]!.details), { origin: "https://shop.example.com" });
    assert.equal((await h.call("DELETE", "/v1/merchant/webhook-endpoint", { token: m.key })).body.error.code, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
    // Users and operators have no webhook endpoint.
    assert.equal((await h.call("GET", "/v1/merchant/webhook-endpoint", { token: h.a.token })).body.error.code, "ERR_FORBIDDEN");
    assert.equal((await h.call("GET", "/v1/merchant/webhook-endpoint")).body.error.code, "ERR_UNAUTHENTICATED");
  });

  test("hostile endpoint bodies: bad URLs get ERR_WEBHOOK_URL_INVALID, unknown fields and non-strings a validation error", async () => {
    const m = await newMerchant("Hostile Input Shop");
    for (const url of ["ftp://example.com/", "javascript:alert(1)", "https://u:p@example.com/", "https://example.com/#x", "https://exa mple.com/", `https://example.com/${"a".repeat(2100)}`, "http://169.254.169.254/latest/meta-data/"]) {
      const reply = await h.call("PUT", "/v1/merchant/webhook-endpoint", { token: m.key, json: { url } });
      assert.ok(reply.status === 400 || reply.status === 422, `${url}: ${reply.text}`);
      assert.ok(["ERR_WEBHOOK_URL_INVALID", "ERR_WEBHOOK_URL_FORBIDDEN"].includes(reply.body.error.code), url);
    }
    for (const json of [{}, { url: 7 }, { url: "https://example.com/", secret: "whsec_mine" }, { url: "x".repeat(5000) }]) {
      const reply = await h.call("PUT", "/v1/merchant/webhook-endpoint", { token: m.key, json });
      assert.equal(reply.body.error.code, "ERR_VALIDATION", JSON.stringify(json).slice(0, 60));
    }
    assert.equal((await h.call("GET", "/v1/merchant/webhook-endpoint", { token: m.key })).body.error.code, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND", "nothing was stored");
  });
});

describe("delivery", () => {
  test("webhook.test: delivered once, Standard Webhooks headers, verified by the spec verifier and by the standardwebhooks package", async () => {
    const m = await newMerchant("Ping Shop");
    const inbox = await receiver(() => ({ status: 204 }));
    const secret = await setEndpoint(m, inbox.url);
    const queued = await h.call("POST", "/v1/merchant/webhook-events/test", { token: m.key });
    assert.equal(queued.status, 202, queued.text);
    assert.match(queued.body.eventId, /^evt_[0-9a-f]{32}$/);
    assert.equal(inbox.received.length, 0, "nothing is sent before the worker runs");
    assert.deepEqual(await worker().runDue(), { attempted: 1 });
    assert.equal(inbox.received.length, 1);
    const [request] = inbox.received;
    assert.equal(request!.headers["webhook-id"], queued.body.eventId);
    assert.equal(request!.headers["webhook-timestamp"], String(Math.floor(h.clock.now / 1000)));
    assert.equal(request!.headers["content-type"], "application/json");
    assert.equal(request!.path, "/hooks/obol");
    assert.deepEqual(verifyStandardWebhook({ secret, headers: request!.headers, body: request!.body, nowMs: h.clock.now }), { ok: true });
    const payload = new Webhook(secret).verify(request!.body, request!.headers as Record<string, string>) as Record<string, any>;
    assert.deepEqual(Object.keys(payload), ["createdAt", "data", "id", "type"]);
    assert.equal(payload.id, queued.body.eventId);
    assert.equal(payload.type, "webhook.test");
    assert.equal(payload.data.merchantId, m.id);
    const event = await h.call("GET", `/v1/merchant/webhook-events/${queued.body.eventId}`, { token: m.key });
    assert.equal(event.body.delivery.status, "delivered");
    assert.equal(event.body.delivery.attempts, 1);
    assert.equal(event.body.delivery.lastStatusCode, 204);
    assert.deepEqual(event.body.payload, payload);
    assert.deepEqual(await worker().runDue(), { attempted: 0 }, "a delivered event is not sent again");
  });

  test("a receiver that fails the first 5 attempts and times out once still receives every event: same id, same body, valid signature on every attempt", async () => {
    const m = await newMerchant("Flaky Receiver Shop");
    const script: Answer[] = [
      { status: 500, body: "boom" }, { status: 503, headers: { "retry-after": "1" } }, "reset", { status: 404, body: "no such path" },
      { status: 302, headers: { location: "http://127.0.0.1:1/" } }, "hang", { status: 200, body: "thanks" },
    ];
    const inbox = await receiver(({ attemptOfEvent }) => script[Math.min(attemptOfEvent, script.length) - 1]!);
    const secret = await setEndpoint(m, inbox.url);
    const firstAt = h.clock.now;
    const ids = [
      await enqueue(m.id, "payment.succeeded", { paymentId: "p-1", amount: 1250n, currency: "KES" }),
      await enqueue(m.id, "payment.refunded", { paymentId: "p-1", refundId: "r-1", amount: 250n, currency: "KES" }),
      await enqueue(m.id, "escrow.held", { paymentId: "p-2", amount: 99n, currency: "KES" }),
    ];
    const settled = await driveUntilSettled(m.id, ids);
    for (const [index, id] of ids.entries()) {
      assert.equal(settled[index]!.delivery.status, "delivered", id);
      assert.equal(settled[index]!.delivery.attempts, 7);
      const requests = inbox.forEvent(id);
      assert.equal(requests.length, 7, "five failures, one timeout, one success");
      assert.equal(new Set(requests.map((r) => r.body)).size, 1, "the same bytes on every attempt");
      assert.equal(JSON.parse(requests[0]!.body).id, id);
      for (const request of requests) {
        assert.equal(request.headers["webhook-id"], id, "the same webhook-id on every attempt");
        assert.deepEqual(verifyStandardWebhook({ secret, headers: request.headers, body: request.body, nowMs: request.clockAtReceipt }), { ok: true });
      }
      const timestamps = requests.map((r) => Number(r.headers["webhook-timestamp"]));
      assert.deepEqual([...timestamps].sort((a, b) => a - b), timestamps, "each attempt carries its own (later) timestamp");
    }
    const windows = retryWindows(defaultRetrySchedule);
    const lastRetryAt = Math.max(...inbox.received.map((r) => r.clockAtReceipt));
    assert.ok(lastRetryAt - firstAt <= windows[5]!.endMs + 6 * defaultRetrySchedule.minGapMs, "six retries stay within the first six windows");

    // The delivery log tells the story of one event, attempt by attempt, newest first.
    const log = await h.call("GET", `/v1/merchant/webhook-attempts?eventId=${ids[0]}`, { token: m.key });
    assert.equal(log.status, 200, log.text);
    const attempts = [...log.body.attempts].reverse();
    assert.deepEqual(attempts.map((a: any) => [a.attempt, a.outcome, a.statusCode, a.errorClass]), [
      [1, "failure", 500, "http_status"], [2, "failure", 503, "http_status"], [3, "failure", null, "connection_reset"],
      [4, "failure", 404, "http_status"], [5, "failure", 302, "http_status"], [6, "failure", null, "timeout"], [7, "success", 200, null],
    ]);
    assert.deepEqual(attempts.map((a: any) => a.responseExcerpt), ["boom", "", "", "no such path", "", "", "thanks"]);
    assert.ok(attempts[5].durationMs >= requestTimeoutMs - 5, `the silent receiver was given up on after ${attempts[5].durationMs} ms`);
    for (const a of attempts) assert.deepEqual(Object.keys(a).sort(), ["attempt", "cursor", "durationMs", "errorClass", "eventId", "outcome", "responseExcerpt", "startedAt", "statusCode"]);
    assert.equal(new Set(attempts.map((a: any) => a.startedAt)).size, 7);
    const failures = await h.call("GET", "/v1/merchant/webhook-attempts?outcome=failure&limit=100", { token: m.key });
    assert.equal(failures.body.attempts.length, 18);
    const delivered = await h.call("GET", "/v1/merchant/webhook-events?status=delivered&limit=2", { token: m.key });
    assert.deepEqual(delivered.body.events.map((e: any) => e.id), [ids[2], ids[1]]);
    const rest = await h.call("GET", `/v1/merchant/webhook-events?status=delivered&limit=2&before=${delivered.body.next}`, { token: m.key });
    assert.deepEqual(rest.body.events.map((e: any) => e.id), [ids[0]]);
    assert.equal(rest.body.next, null);
  });

  test("a receiver that never succeeds: 17 attempts, the last more than 24 h after the first, then failed, and the merchant is notified", async () => {
    const m = await newMerchant("Dead Receiver Shop");
    const inbox = await receiver(() => ({ status: 500 }));
    await setEndpoint(m, inbox.url);
    const [id] = [await enqueue(m.id, "payment.succeeded", { paymentId: "p-9", amount: 1n, currency: "KES" })];
    const [event] = await driveUntilSettled(m.id, [id!]);
    assert.equal(event!.delivery.status, "failed");
    assert.equal(event!.delivery.nextAttemptAt, null);
    assert.equal(event!.delivery.lastErrorClass, "http_status");
    const times = inbox.forEvent(id!).map((r) => r.clockAtReceipt);
    assert.equal(times.length, 17);
    assert.ok(times.at(-1)! - times[0]! >= 24 * 3_600_000, `retried over ${(times.at(-1)! - times[0]!) / 3_600_000} h`);
    for (let n = 1; n < times.length; n += 1) assert.ok(times[n]! > times[n - 1]!, "attempts are apart");
    h.clock.advance(7 * 24 * 3_600_000);
    assert.deepEqual(await worker().runDue(), { attempted: 0 }, "a failed delivery is not retried by itself");
    const notes = await h.call("GET", "/v1/merchant/notifications", { token: m.key });
    assert.equal(notes.body.unread, 1);
    assert.equal(notes.body.notifications[0].kind, "webhook.delivery_failed");
    assert.deepEqual(notes.body.notifications[0].data, { attempts: 17, eventId: id, eventType: "payment.succeeded", lastErrorClass: "http_status", lastStatusCode: 500 });

    // Manual redelivery: the same event id and body, a new schedule.
    const redelivered = await h.call("POST", `/v1/merchant/webhook-events/${id}/redeliver`, { token: m.key });
    assert.equal(redelivered.status, 202, redelivered.text);
    assert.equal(redelivered.body.delivery.status, "pending");
    inbox.received.length = 0;
    const ok = await receiver(() => ({ status: 200 }));
    await h.call("PUT", "/v1/merchant/webhook-endpoint", { token: m.key, json: { url: ok.url } });
    await worker().runDue();
    assert.equal(ok.received.length, 1);
    assert.equal(ok.received[0]!.headers["webhook-id"], id);
    assert.equal(JSON.parse(ok.received[0]!.body).id, id);
    const after = (await h.call("GET", `/v1/merchant/webhook-events/${id}`, { token: m.key })).body;
    assert.equal(after.delivery.status, "delivered");
    assert.equal(after.delivery.attempts, 18);
  });

  test("manual redelivery of a delivered event sends it again with the same id; unknown or foreign events are 404", async () => {
    const m = await newMerchant("Redelivery Shop");
    const inbox = await receiver(() => ({ status: 200 }));
    await setEndpoint(m, inbox.url);
    const id = await enqueue(m.id, "payment.succeeded", { paymentId: "p-3", amount: 500n, currency: "KES" });
    await worker().runDue();
    assert.equal((await h.call("POST", `/v1/merchant/webhook-events/${id}/redeliver`, { token: m.key })).status, 202);
    await worker().runDue();
    const requests = inbox.forEvent(id);
    assert.equal(requests.length, 2);
    assert.equal(requests[0]!.body, requests[1]!.body);
    const other = await newMerchant("Nosy Shop");
    await setEndpoint(other, inbox.url);
    assert.equal((await h.call("POST", `/v1/merchant/webhook-events/${id}/redeliver`, { token: other.key })).body.error.code, "ERR_WEBHOOK_EVENT_NOT_FOUND");
    assert.equal((await h.call("GET", `/v1/merchant/webhook-events/${id}`, { token: other.key })).body.error.code, "ERR_WEBHOOK_EVENT_NOT_FOUND");
    assert.equal((await h.call("GET", `/v1/merchant/webhook-attempts?eventId=${id}`, { token: other.key })).body.attempts.length, 0);
    assert.equal((await h.call("POST", `/v1/merchant/webhook-events/evt_${"0".repeat(32)}/redeliver`, { token: m.key })).body.error.code, "ERR_WEBHOOK_EVENT_NOT_FOUND");
    for (const bad of ["evt_xyz", "evt_" + "0".repeat(33), "1", "evt_%2e%2e"]) {
      assert.equal((await h.call("GET", `/v1/merchant/webhook-events/${bad}`, { token: m.key })).body.error.code, "ERR_VALIDATION", bad);
    }
    for (const query of ["status=lost", "type=payment.stolen", "before=x", "limit=1000", "outcome=maybe", "eventId=evt_1"]) {
      const path = query.startsWith("outcome") || query.startsWith("eventId") ? "webhook-attempts" : "webhook-events";
      assert.equal((await h.call("GET", `/v1/merchant/${path}?${query}`, { token: m.key })).body.error.code, "ERR_VALIDATION", query);
    }
  });

  // (The standardwebhooks package checks rotation headers in test/webhooks/signature.test.ts: it reads the
  // real time, and this file's clock is days ahead by now.)
  test("secret rotation: both signatures during the grace period, each verifying with its secret; only the new one after it", async () => {
    const m = await newMerchant("Rotating Shop");
    const inbox = await receiver(() => ({ status: 200 }));
    const oldSecret = await setEndpoint(m, inbox.url);
    const rotated = await h.call("POST", "/v1/merchant/webhook-endpoint/rotate-secret", { token: m.key });
    assert.equal(rotated.status, 200, rotated.text);
    const newSecret = rotated.body.secret as string;
    assert.notEqual(newSecret, oldSecret);
    assert.equal(rotated.body.previousSecretValidUntil, new Date(h.clock.now + 86_400_000).toISOString());
    assert.equal((await h.call("GET", "/v1/merchant/webhook-endpoint", { token: m.key })).body.previousSecretValidUntil, rotated.body.previousSecretValidUntil);

    const during = await enqueue(m.id, "escrow.held", { paymentId: "p-4" });
    await worker().runDue();
    const [duringRequest] = inbox.forEvent(during);
    assert.equal(String(duringRequest!.headers["webhook-signature"]).split(" ").length, 2);
    for (const secret of [newSecret, oldSecret]) {
      assert.deepEqual(verifyStandardWebhook({ secret, headers: duringRequest!.headers, body: duringRequest!.body, nowMs: h.clock.now }), { ok: true });
    }

    h.clock.advance(86_400_000 + 1);
    const afterGrace = await enqueue(m.id, "escrow.held", { paymentId: "p-5" });
    await worker().runDue();
    const [afterRequest] = inbox.forEvent(afterGrace);
    assert.equal(String(afterRequest!.headers["webhook-signature"]).split(" ").length, 1);
    assert.deepEqual(verifyStandardWebhook({ secret: newSecret, headers: afterRequest!.headers, body: afterRequest!.body, nowMs: h.clock.now }), { ok: true });
    assert.equal(verifyStandardWebhook({ secret: oldSecret, headers: afterRequest!.headers, body: afterRequest!.body, nowMs: h.clock.now }).ok, false);
    assert.equal((await h.call("GET", "/v1/merchant/webhook-endpoint", { token: m.key })).body.previousSecretValidUntil, null);
  });

  test("bounded concurrency, and a large or hostile answer is cut to 1024 bytes of printable text", async () => {
    const m = await newMerchant("Busy Shop");
    const inbox = await receiver(() => ({ status: 200, delayMs: 300, body: "\u0000\u001b[31m" + "x".repeat(1024 * 1024) }));
    await setEndpoint(m, inbox.url);
    for (let n = 0; n < 10; n += 1) await enqueue(m.id, "payment.succeeded", { n });
    assert.deepEqual(await worker().runDue(), { attempted: 10 });
    assert.equal(inbox.inFlightMax, 4, "OBOL_WEBHOOK_CONCURRENCY=4 at once, never more");
    const attempts = (await h.call("GET", "/v1/merchant/webhook-attempts?limit=100", { token: m.key })).body.attempts;
    assert.equal(attempts.length, 10);
    for (const a of attempts) {
      assert.equal(a.outcome, "success");
      assert.ok(a.responseExcerpt.length <= 1024);
      assert.ok(a.responseExcerpt.startsWith("\ufffd\ufffd[31m"), JSON.stringify(a.responseExcerpt.slice(0, 10)));
    }
  });
});

describe("the outbox", () => {
  test("an event enqueued in a transaction that rolls back is never sent; enqueue outside a transaction or with a bad type throws", async () => {
    const m = await newMerchant("Outbox Shop");
    const inbox = await receiver(() => ({ status: 200 }));
    await setEndpoint(m, inbox.url);
    let rolledBackId = "";
    await assert.rejects(h.platform.services.db.transaction().execute(async (trx) => {
      rolledBackId = (await webhooks().enqueue(trx, { merchantId: m.id, type: "payment.failed", data: { reason: "declined" } })).eventId;
      throw new Error("the payment's own change failed");
    }), /the payment's own change failed/);
    assert.match(rolledBackId, /^evt_/);
    await assert.rejects(webhooks().enqueue(h.platform.services.db, { merchantId: m.id, type: "payment.failed", data: {} }), /inside the caller's transaction/);
    await assert.rejects(h.platform.services.db.transaction().execute((trx) => webhooks().enqueue(trx, { merchantId: m.id, type: "payment.stolen" as "payment.failed", data: {} })), /unknown webhook event type/);
    await assert.rejects(h.platform.services.db.transaction().execute((trx) => webhooks().enqueue(trx, { merchantId: "not-a-uuid", type: "payment.failed", data: {} })), /merchantId/);
    await assert.rejects(h.platform.services.db.transaction().execute((trx) => webhooks().enqueue(trx, { merchantId: m.id, type: "payment.failed", data: { amount: 1.5 } })), /safe integers/);
    await worker().runDue();
    assert.equal(inbox.received.length, 0);
    assert.equal((await h.call("GET", "/v1/merchant/webhook-events", { token: m.key })).body.events.length, 0);
    const events = await sql<{ n: bigint }>`SELECT count(*) AS n FROM webhook_events WHERE id = ${rolledBackId}`.execute(h.platform.services.db);
    assert.equal(events.rows[0]!.n, 0n);
  });

  test("a claim abandoned mid-send (a dead worker) is sent again, with the same id, once its lease runs out", async () => {
    const m = await newMerchant("Lease Shop");
    const inbox = await receiver(() => ({ status: 200 }));
    await setEndpoint(m, inbox.url);
    const id = await enqueue(m.id, "payment.succeeded", { paymentId: "p-7" });
    const store = new WebhookStore(h.platform.services.db);
    const now = h.clock.now;
    const claimed = await store.claimDue(new Date(now), new Date(now + worker().leaseMs), 100);
    assert.deepEqual(claimed.map((c) => c.eventId), [id], "the dead worker's claim");
    assert.deepEqual(await worker().runDue(), { attempted: 0 }, "nobody else takes it while the lease runs");
    h.clock.advance(worker().leaseMs);
    assert.deepEqual(await worker().runDue(), { attempted: 1 });
    assert.equal(inbox.forEvent(id).length, 1);
    const event = (await webhooks().event(m.id, id))!;
    assert.equal(event.delivery.status, "delivered");
    assert.equal(event.delivery.attempts, 2, "the abandoned claim counts as an attempt");
    // The dead worker's late report, had it come back, changes nothing (its claim is stale).
    const stale = await h.platform.services.db.transaction().execute((trx) => store.settle(trx, claimed[0]!, { status: "failed", at: new Date(), statusCode: 500, errorClass: "http_status" }));
    assert.equal(stale, false);
    assert.equal((await webhooks().event(m.id, id))!.delivery.status, "delivered");
  });

  test("an event for a merchant without an endpoint fails at once (no_endpoint) and can be redelivered once there is one", async () => {
    const m = await newMerchant("Late Endpoint Shop");
    const id = await enqueue(m.id, "payment.succeeded", { paymentId: "p-8" });
    await worker().runDue();
    const failed = (await h.call("GET", `/v1/merchant/webhook-events/${id}`, { token: m.key })).body;
    assert.equal(failed.delivery.status, "failed");
    assert.equal(failed.delivery.lastErrorClass, "no_endpoint");
    assert.equal((await h.call("POST", `/v1/merchant/webhook-events/${id}/redeliver`, { token: m.key })).body.error.code, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
    const inbox = await receiver(() => ({ status: 200 }));
    await setEndpoint(m, inbox.url);
    assert.equal((await h.call("POST", `/v1/merchant/webhook-events/${id}/redeliver`, { token: m.key })).status, 202);
    await worker().runDue();
    assert.equal(inbox.forEvent(id).length, 1);
  });

  test("no secret anywhere but sealed: not in the logs, not in the delivery log, not in any webhook table", async () => {
    const m = await newMerchant("Canary Shop");
    const inbox = await receiver(() => ({ status: 200, body: "ok" }));
    const secret = await setEndpoint(m, inbox.url);
    const rotated = (await h.call("POST", "/v1/merchant/webhook-endpoint/rotate-secret", { token: m.key })).body.secret as string;
    await h.call("POST", "/v1/merchant/webhook-events/test", { token: m.key });
    await worker().runDue();
    assert.equal(inbox.received.length, 1);
    for (const s of [secret, rotated]) {
      const base64 = s.slice("whsec_".length);
      const hex = Buffer.from(base64, "base64").toString("hex");
      assert.ok(!logs.includes(base64) && !logs.includes(hex), "a secret reached the logs");
      for (const table of ["webhook_endpoints", "webhook_events", "webhook_deliveries", "webhook_attempts", "webhook_sealing", "notifications"]) {
        const dump = (await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table)} t`.execute(h.platform.services.db)).rows.map((r) => r.row).join("\n");
        assert.ok(!dump.includes(base64) && !dump.includes(hex), `a secret is stored in clear in ${table}`);
      }
    }
    assert.ok(logs.length > 0, "the logger did log");
  });
});

describe("SSRF in production mode (private targets denied)", () => {
  let denying: Harness;
  before(async () => {
    denying = await openHarness({ webhookWorker: "manual", env: { OBOL_WEBHOOK_PRIVATE_TARGETS: "deny", OBOL_WEBHOOK_TIMEOUT_MS: "400" } });
  });
  after(async () => {
    await denying.stop();
  });

  test("loopback, private and local-name URLs are refused when set; nothing is stored", async () => {
    const key = denying.demo.merchant.apiKey;
    for (const url of ["http://127.0.0.1:8080/", "http://localhost/", "http://[::1]/", "http://10.0.0.1/", "http://0x7f.1/", "http://intranet/hooks", "http://169.254.169.254/"]) {
      const reply = await denying.call("PUT", "/v1/merchant/webhook-endpoint", { token: key, json: { url } });
      assert.equal(reply.status, 422, `${url}: ${reply.text}`);
      assert.equal(reply.body.error.code, "ERR_WEBHOOK_URL_FORBIDDEN");
    }
    assert.equal((await denying.call("GET", "/v1/merchant/webhook-endpoint", { token: key })).status, 404);
    assertEveryResponseWellFormed(denying);
  });

  test("an endpoint that turns private after it was set (here: stored directly) is refused at send time, before any connection", async () => {
    const inbox = await receiver(() => ({ status: 200 }));
    const merchantId = denying.demo.merchant.id;
    const set = await denying.call("PUT", "/v1/merchant/webhook-endpoint", { token: denying.demo.merchant.apiKey, json: { url: "https://hooks.example.com/obol" } });
    assert.equal(set.status, 201, set.text);
    await sql`UPDATE webhook_endpoints SET url = ${inbox.url} WHERE merchant_id = ${merchantId}::uuid`.execute(denying.platform.services.db);
    const { eventId } = await denying.platform.services.db.transaction().execute((trx) => denying.platform.services.webhooks.enqueue(trx, { merchantId, type: "payment.succeeded", data: {} }));
    await denying.platform.services.webhooks.worker.runDue();
    assert.equal(inbox.received.length, 0);
    const event = (await denying.platform.services.webhooks.event(merchantId, eventId))!;
    assert.equal(event.delivery.status, "pending", "a refusal is a failed attempt, retried on schedule");
    assert.equal(event.delivery.lastErrorClass, "target_refused");
    assert.equal(event.attempts[0]!.errorClass, "target_refused");
  });
});
