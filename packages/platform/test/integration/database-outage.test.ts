/**
 * The database goes away under load (issue 16, item 1): a real `obol start` on its own throwaway
 * PostgreSQL 15, 8 clients sending P2P transfers and retrying each with its Idempotency-Key, while
 * - every backend of the platform is terminated (pg_terminate_backend), several times;
 * - the server is stopped (fast shutdown, then a crash: immediate) and started again.
 * The process must stay up; a request the outage reaches gets 503 with Retry-After and a stable
 * code, never a 500; /ready is 503 during the outage and 200 after; afterwards every key has one
 * definite answer, each acknowledged transfer is in the ledger once and nothing else is, the ledger
 * verifies, and the background workers run again (a webhook is delivered).
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { startPostgres, type ThrowawayPostgres } from "../support/postgres.js";
import { freePort, runCli, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";
import { WebhookReceiver } from "../support/webhook-receiver.js";

const usersCount = 12;
const openingBalance = 50_000n;
const clientsCount = 8;
/** Codes a request may meet while the database is away (all 503, all retryable with the same key). */
const outageCodes = new Set(["ERR_DATABASE_UNAVAILABLE", "ERR_LEDGER_UNAVAILABLE"]);

let server: ThrowawayPostgres;
let platform: PlatformProcess;
let inbox: WebhookReceiver;
const users: { msisdn: string; token: string }[] = [];
let merchant: { id: string; key: string };

/** One query on a connection of its own: the server goes away in this test, and a pool's dead client would throw. */
async function query<R extends pg.QueryResultRow = any>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: server.url });
  client.on("error", () => {});
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end().catch(() => {});
  }
}

async function call(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; headers: Headers; body: any }> {
  const response = await fetch(platform.url + path, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}), "idempotency-key": randomUUID() },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: response.headers, body: response.status === 204 ? undefined : await response.json() };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readyStatus(): Promise<number> {
  return (await fetch(`${platform.url}/ready`, { signal: AbortSignal.timeout(30_000) })).status;
}

/** What the clients saw. */
class Tally {
  readonly answers = new Map<string, { status: number; body: any; request: unknown; token: string }>();
  readonly unavailable = new Map<string, number>();
  readonly badResponses: string[] = [];
  networkErrors = 0;
  inProgress = 0;

  sawUnavailable(code: string): void {
    this.unavailable.set(code, (this.unavailable.get(code) ?? 0) + 1);
  }
}

/** A client: transfers with fresh keys until stopped, each retried with its key until it has a definite answer. */
async function client(index: number, tally: Tally, running: () => boolean): Promise<void> {
  for (let n = 0; running(); n += 1) {
    const payer = users[(index * 5 + n) % users.length]!;
    const payee = users[(index * 5 + n + 1 + (n % 7)) % users.length]!;
    const request = { toMsisdn: payee.msisdn, amount: String(1 + ((index * 31 + n) % 400)), currency: "KES" };
    const key = `outage-${index}-${n}-${randomUUID()}`;
    for (;;) {
      let response: Response;
      try {
        response = await fetch(`${platform.url}/v1/transfers`, {
          method: "POST", body: JSON.stringify(request), signal: AbortSignal.timeout(60_000),
          headers: { "content-type": "application/json", authorization: `Bearer ${payer.token}`, "idempotency-key": key },
        });
      } catch {
        tally.networkErrors += 1; // the process is down or hung: the test fails on this
        if (platform.child.exitCode !== null || platform.child.signalCode !== null) return;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const body = await response.json() as any;
      if (response.status === 503) {
        const code = body?.error?.code;
        if (!outageCodes.has(code) || response.headers.get("retry-after") === null) tally.badResponses.push(`503 ${JSON.stringify(body)} retry-after=${response.headers.get("retry-after")}`);
        tally.sawUnavailable(code);
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
        continue;
      }
      if (response.status === 409 && body?.error?.code === "ERR_IDEMPOTENCY_IN_PROGRESS") {
        tally.inProgress += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      if (response.status !== 201 && !(response.status === 422 && body?.error?.code === "ERR_INSUFFICIENT_FUNDS")) {
        tally.badResponses.push(`${response.status} ${JSON.stringify(body)}`);
      }
      tally.answers.set(key, { status: response.status, body, request, token: payer.token });
      break;
    }
  }
}

async function underLoad(tally: Tally, outage: () => Promise<void>): Promise<void> {
  let running = true;
  const clients = Array.from({ length: clientsCount }, (_, index) => client(index, tally, () => running));
  try {
    await new Promise((resolve) => setTimeout(resolve, 500));
    await outage();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    running = false;
    await Promise.all(clients);
  }
}

async function walletTotal(): Promise<bigint> {
  const [row] = await query(`SELECT coalesce(sum(credits_posted - debits_posted), 0)::text AS total FROM ledger_accounts WHERE kind = 'wallet'`);
  return BigInt(row.total);
}

before(async () => {
  server = await startPostgres();
  inbox = await WebhookReceiver.start(() => ({ status: 200, body: "received" }));
  platform = spawnPlatform({ databaseUrl: server.url, port: await freePort(), env: { OBOL_WEBHOOK_TIMEOUT_MS: "1000", OBOL_WEBHOOK_POLL_MS: "100" } });
  await waitReady(platform);
  for (let k = 0; k < usersCount; k += 1) {
    const msisdn = `+2547${String(20_000_000 + k).padStart(8, "0")}`;
    const password = `pw-${randomUUID()}`;
    assert.equal((await call("POST", "/v1/users", { msisdn, displayName: `Outage ${k}`, password })).status, 201);
    const login = await call("POST", "/v1/auth/login", { msisdn, password });
    assert.equal((await call("POST", "/v1/me/top-ups", { amount: openingBalance.toString(), currency: "KES" }, login.body.token)).status, 201);
    users.push({ msisdn, token: login.body.token });
  }
  const created = await call("POST", "/v1/merchants", { legalName: "Outage Test Shop", category: "5814" });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  merchant = { id: created.body.id, key: created.body.apiKey };
  assert.equal((await call("PUT", "/v1/merchant/webhook-endpoint", { url: inbox.url }, merchant.key)).status, 201);
});

after(async () => {
  await platform?.kill("SIGKILL");
  await inbox?.close();
  await server?.stop();
});

describe("the database goes away under load", { timeout: 280_000 }, () => {
  const tally = new Tally();
  let totalBefore: bigint;
  let p2pBefore: number;

  before(async () => {
    totalBefore = await walletTotal();
    p2pBefore = (await query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE code = 1`))[0].n;
  });

  test("every platform backend terminated, five times: the process stays up, requests cut off get 503 + Retry-After", async () => {
    let terminated = 0;
    await underLoad(tally, async () => {
      for (let round = 0; round < 5; round += 1) {
        const rows = await query(`SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'obol' AND pid <> pg_backend_pid()`);
        terminated += rows.filter((r) => r.done).length;
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    });
    console.log(`terminated backends: ${terminated}; answers so far: ${tally.answers.size}; 503s: ${JSON.stringify(Object.fromEntries(tally.unavailable))}`);
    assert.ok(terminated >= 5, "backends of the platform were terminated");
    assert.equal(platform.child.exitCode, null, `the platform exited:\n${platform.output().slice(-3000)}`);
    assert.equal(platform.child.signalCode, null);
    assert.deepEqual(tally.badResponses, [], "answers other than 201, 422 insufficient funds, or 503 + Retry-After with an outage code");
    assert.equal(tally.networkErrors, 0, "requests that got no HTTP answer");
    assert.doesNotMatch(platform.output(), /Unhandled 'error' event|Connection terminated unexpectedly\n\s+at/);
    assert.equal(await readyStatus(), 200);
  });

  for (const mode of ["fast", "immediate"] as const) {
    test(`the server stopped (${mode}) and started again: /ready 503 then 200, requests 503 meanwhile, then served again`, async () => {
      const unavailableBefore = [...tally.unavailable.values()].reduce((a, b) => a + b, 0);
      let sawNotReady = false;
      await underLoad(tally, async () => {
        await server.halt(mode);
        const notReady = await until("/ready to turn 503", async () => ((await readyStatus()) === 503 ? true : undefined), 30_000);
        sawNotReady = notReady;
        const body = await (await fetch(`${platform.url}/ready`)).json() as any;
        assert.equal(body.error.code, "ERR_NOT_READY");
        await new Promise((resolve) => setTimeout(resolve, 1_500)); // the clients meet the outage
        await server.resume();
        await until("/ready to turn 200 again", async () => ((await readyStatus()) === 200 ? true : undefined), 60_000);
      });
      const unavailableAfter = [...tally.unavailable.values()].reduce((a, b) => a + b, 0);
      console.log(`${mode}: 503 answers during the outage: ${unavailableAfter - unavailableBefore}; total answers: ${tally.answers.size}`);
      assert.ok(sawNotReady);
      assert.ok(unavailableAfter > unavailableBefore, "requests met the outage and were answered 503");
      assert.equal(platform.child.exitCode, null, `the platform exited:\n${platform.output().slice(-3000)}`);
      assert.deepEqual(tally.badResponses, []);
      assert.equal(tally.networkErrors, 0);
    });
  }

  test("afterwards: one definite answer per key, each acknowledged transfer applied once and nothing else, the ledger verifies", async () => {
    assert.ok(tally.answers.size >= clientsCount * 3, `only ${tally.answers.size} answers`); // each client finishes at least one request per phase
    const acknowledged = [...tally.answers.values()].filter((a) => a.status === 201).map((a) => a.body.transferId as string);
    const stored = await query(`SELECT id::text FROM ledger_transfers WHERE id = ANY($1::uuid[])`, [acknowledged]);
    assert.equal(stored.length, acknowledged.length, "an acknowledged transfer is missing");
    const p2pAfter = (await query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE code = 1`))[0].n;
    assert.equal(p2pAfter - p2pBefore, acknowledged.length, "a transfer was applied that no client was told about, or twice");
    assert.equal(await walletTotal(), totalBefore, "money was made or lost");
    const verified = await runCli(["ledger", "verify"], { DATABASE_URL: server.url, OBOL_KEY_PASSPHRASE: "integration-test-key-passphrase", HOME: process.env.HOME ?? "/tmp" });
    assert.equal(verified.code, 0, `obol ledger verify:\n${verified.stdout}\n${verified.stderr}`);
    // Every key answers as it did.
    for (const [key, a] of [...tally.answers.entries()].slice(0, 100)) {
      const response = await fetch(`${platform.url}/v1/transfers`, {
        method: "POST", body: JSON.stringify(a.request),
        headers: { "content-type": "application/json", authorization: `Bearer ${a.token}`, "idempotency-key": key },
      });
      assert.deepEqual([response.status, await response.json()], [a.status, a.body], `replay of ${key}`);
    }
  });

  test("the background workers run again: a webhook queued after the outages is delivered", async () => {
    const queued = await call("POST", "/v1/merchant/webhook-events/test", undefined, merchant.key);
    assert.ok(queued.status < 300, JSON.stringify(queued.body));
    const [row] = await query(`SELECT id FROM webhook_events WHERE merchant_id = $1 ORDER BY seq DESC LIMIT 1`, [merchant.id]);
    await until("the delivery", async () => (inbox.forEvent(row.id).length > 0 ? true : undefined), 30_000);
    await until("the recorded delivery", async () => ((await query(`SELECT status FROM webhook_deliveries WHERE event_id = $1`, [row.id]))[0]?.status === "delivered" ? true : undefined), 30_000);
    assert.equal(platform.child.exitCode, null);
  });
});
