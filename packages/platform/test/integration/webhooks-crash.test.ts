/**
 * Webhooks survive kill -9 (issue 4, "a kill -9 between commit and send loses no event"): real
 * `obol start` processes on a real PostgreSQL, a real receiver on loopback. A failpoint makes the
 * platform die with SIGKILL exactly
 * - after the event is committed and claimed, before the request is sent (webhooks.before_send);
 * - after the receiver answered 200, before the success is recorded (webhooks.after_send).
 * A platform started again without the failpoint delivers the event, with the same webhook-id and
 * the same bytes (at least once: in the second case the receiver sees it twice).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { Webhook } from "standardwebhooks";
import { createTempDatabase, databaseUrlFromEnv, type TempDatabase } from "../support/postgres.js";
import { freePort, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";
import { verifyStandardWebhook } from "../support/standard-webhooks-verifier.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

let database: TempDatabase;
let sql: pg.Pool;
let inbox: WebhookReceiver;
/** A 1 s request timeout makes the claim lease 2 s, so a restarted platform re-sends quickly. */
const webhookEnv = { OBOL_WEBHOOK_TIMEOUT_MS: "1000", OBOL_WEBHOOK_POLL_MS: "100" };

before(async () => {
  database = await createTempDatabase(databaseUrlFromEnv());
  sql = new pg.Pool({ connectionString: database.url, max: 2 });
  inbox = await WebhookReceiver.start(() => ({ status: 200, body: "received" }));
});
after(async () => {
  await inbox?.close();
  await sql?.end();
  await database?.drop();
});

async function start(failpoints?: string): Promise<PlatformProcess> {
  const platform = spawnPlatform({ databaseUrl: database.url, port: await freePort(), env: { ...webhookEnv, ...(failpoints ? { OBOL_FAILPOINTS: failpoints } : {}) } });
  await waitReady(platform);
  return platform;
}

async function call(platform: PlatformProcess, method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(platform.url + path, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Queues a webhook.test event. The platform may die before it answers; the event is committed either way. */
async function queueTestEvent(platform: PlatformProcess, merchant: { id: string; key: string }, known: Set<string>): Promise<string> {
  await call(platform, "POST", "/v1/merchant/webhook-events/test", merchant.key).catch(() => undefined);
  return until("the committed event", async () => {
    const { rows } = await sql.query<{ id: string }>("SELECT id FROM webhook_events WHERE merchant_id = $1 ORDER BY seq DESC LIMIT 1", [merchant.id]);
    return rows[0] !== undefined && !known.has(rows[0].id) ? rows[0].id : undefined;
  });
}

async function delivery(eventId: string): Promise<{ status: string; attempts: number }> {
  const { rows } = await sql.query("SELECT status, attempts FROM webhook_deliveries WHERE event_id = $1", [eventId]);
  return rows[0];
}

describe("webhooks across kill -9", { timeout: 180_000 }, () => {
  let merchant: { id: string; key: string };
  let secret: string;
  const events = new Set<string>();

  before(async () => {
    const platform = await start();
    try {
      const created = await call(platform, "POST", "/v1/merchants", undefined, { legalName: "Crash Test Shop", category: "5814" });
      assert.equal(created.status, 201);
      merchant = { id: created.body.id, key: created.body.apiKey };
      const endpoint = await call(platform, "PUT", "/v1/merchant/webhook-endpoint", merchant.key, { url: inbox.url });
      assert.equal(endpoint.status, 201, JSON.stringify(endpoint.body));
      secret = endpoint.body.secret;
    } finally {
      await platform.kill("SIGTERM");
    }
  });

  test("killed after commit, before send: nothing reached the receiver; a restarted platform delivers it, signed, with the committed id", async () => {
    const doomed = await start("webhooks.before_send");
    const eventId = await queueTestEvent(doomed, merchant, events);
    events.add(eventId);
    await doomed.exited;
    assert.equal(doomed.child.signalCode, "SIGKILL", doomed.output());
    assert.match(doomed.output(), /failpoint webhooks\.before_send: SIGKILL/);
    assert.equal(inbox.forEvent(eventId).length, 0, "the platform died before sending");
    assert.deepEqual(await delivery(eventId), { status: "pending", attempts: 1 });

    const restarted = await start();
    try {
      const [received] = await until("the delivery", () => (inbox.forEvent(eventId).length > 0 ? inbox.forEvent(eventId) : undefined));
      assert.equal(received!.headers["webhook-id"], eventId);
      assert.deepEqual(verifyStandardWebhook({ secret, headers: received!.headers, body: received!.body, nowMs: Date.now() }), { ok: true });
      const payload = new Webhook(secret).verify(received!.body, received!.headers as Record<string, string>) as { id: string; type: string };
      assert.deepEqual([payload.id, payload.type], [eventId, "webhook.test"]);
      await until("the recorded delivery", async () => ((await delivery(eventId)).status === "delivered" ? true : undefined));
      assert.deepEqual(await delivery(eventId), { status: "delivered", attempts: 2 });
      const view = await call(restarted, "GET", `/v1/merchant/webhook-events/${eventId}`, merchant.key);
      assert.equal(view.body.delivery.status, "delivered");
      assert.deepEqual(view.body.attempts.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome]), [[2, "success"]], "the killed attempt left no log entry");
    } finally {
      await restarted.kill("SIGTERM");
    }
    assert.equal(inbox.forEvent(eventId).length, 1, "sent exactly once in this case");
  });

  test("killed after the receiver's 200, before recording it: a restarted platform sends it again with the same webhook-id and bytes", async () => {
    const doomed = await start("webhooks.after_send");
    const eventId = await queueTestEvent(doomed, merchant, events);
    events.add(eventId);
    await doomed.exited;
    assert.equal(doomed.child.signalCode, "SIGKILL", doomed.output());
    assert.match(doomed.output(), /failpoint webhooks\.after_send: SIGKILL/);
    assert.equal(inbox.forEvent(eventId).length, 1, "the receiver got it before the platform died");
    assert.deepEqual(await delivery(eventId), { status: "pending", attempts: 1 });

    const restarted = await start();
    try {
      await until("the second delivery", () => (inbox.forEvent(eventId).length >= 2 ? true : undefined));
      await until("the recorded delivery", async () => ((await delivery(eventId)).status === "delivered" ? true : undefined));
    } finally {
      await restarted.kill("SIGTERM");
    }
    const [first, second] = inbox.forEvent(eventId);
    assert.equal(inbox.forEvent(eventId).length, 2);
    assert.equal(second!.headers["webhook-id"], first!.headers["webhook-id"]);
    assert.equal(second!.body, first!.body);
    for (const request of [first!, second!]) assert.deepEqual(verifyStandardWebhook({ secret, headers: request.headers, body: request.body, nowMs: Date.now() }), { ok: true });
    assert.deepEqual(await delivery(eventId), { status: "delivered", attempts: 2 });
  });
});
