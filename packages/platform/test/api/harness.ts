// Shared helpers of the API specification tests: one in-memory platform per test file, seeded with
// the demo data, driven through Fastify's inject (no socket). Every JSON error body that passes
// through `call` is recorded, so a file can check that it only ever saw documented error codes.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import type { FastifyBaseLogger } from "fastify";
import { sql } from "kysely";
import { pino, type Logger } from "pino";
import { loadConfig } from "../../src/config.js";
import { seedDemoData, type DemoLogins } from "../../src/demo-data.js";
import { apiErrors } from "../../src/errors/api-errors.js";
import { createPlatform, type Platform } from "../../src/platform.js";
import { openSnapshotDatabase, snapshotKeyPassphrase } from "../support/snapshot.js";

/** A clock the test moves by hand; starts at the real time so database defaults (now()) stay close. */
export class ManualClock {
  now = Date.now();
  readonly read = (): number => this.now;
  advance(ms: number): void {
    this.now += ms;
  }
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body, or undefined when the body is not JSON. */
  body: any;
  text: string;
  /** The body's bytes (binary answers). */
  bytes: Uint8Array;
}

export interface CallOptions {
  token?: string;
  /** A value to send as JSON. */
  json?: unknown;
  /** A raw body, sent as is (with the content-type given in headers, application/json by default). */
  raw?: string;
  /** A binary body, sent as application/octet-stream unless headers say otherwise. */
  binary?: Uint8Array;
  /** An Idempotency-Key; `idem: true` makes a fresh random one. */
  idem?: string | true;
  headers?: Record<string, string>;
}

export interface Harness {
  platform: Platform;
  clock: ManualClock;
  demo: DemoLogins;
  currency: string;
  /** Demo users A and B with their ids, wallet account ids and a fresh login token each. */
  a: Party;
  b: Party;
  /** A token of the demo admin. */
  adminToken: string;
  /** Every `error.code` seen in a response body so far, with one example request each. */
  errorCodes: Map<string, string>;
  /** Every HTTP status seen, with one example request each. */
  statuses: Map<number, string>;
  /** Requests whose response had no x-request-id header. */
  missingRequestId: string[];
  call(method: string, url: string, options?: CallOptions): Promise<Reply>;
  login(msisdn: string, password: string): Promise<string>;
  /** Logs A, B and the admin in again (after the clock passed the session TTL). */
  relogin(): Promise<void>;
  stop(): Promise<void>;
}

export interface Party {
  id: string;
  msisdn: string;
  password: string;
  accountId: string;
  token: string;
}

export interface HarnessOptions {
  env?: NodeJS.ProcessEnv;
  logger?: FastifyBaseLogger | false;
  /** "manual": the webhook worker sends only when the test calls runDue. */
  webhookWorker?: "timer" | "manual";
}

export async function openHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new ManualClock();
  // Restored from the run's migrated, keyed snapshot (support/snapshot.ts) instead of a fresh initdb.
  const config = loadConfig({ DATABASE_URL: "", OBOL_KEY_PASSPHRASE: snapshotKeyPassphrase, ...options.env });
  const platform = await createPlatform(config, {
    logger: options.logger ?? false, memory: true, clock: clock.read, database: await openSnapshotDatabase(config),
    ...(options.webhookWorker ? { webhookWorker: options.webhookWorker } : {}),
  });
  const demo = (await seedDemoData(platform.services))!;
  const errorCodes = new Map<string, string>();
  const statuses = new Map<number, string>();
  const missingRequestId: string[] = [];

  const call = async (method: string, url: string, o: CallOptions = {}): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.idem !== undefined) headers["idempotency-key"] = o.idem === true ? randomUUID() : o.idem;
    let payload: string | Buffer | undefined;
    if (o.json !== undefined) payload = JSON.stringify(o.json);
    if (o.raw !== undefined) payload = o.raw;
    if (payload !== undefined) headers["content-type"] = "application/json";
    if (o.binary !== undefined) {
      payload = Buffer.from(o.binary);
      headers["content-type"] = "application/octet-stream";
    }
    Object.assign(headers, o.headers);
    const response = await platform.app.inject({ method: method as "GET", url, headers, ...(payload === undefined ? {} : { payload }) });
    let body: any;
    try {
      body = response.json();
    } catch {
      body = undefined;
    }
    const label = `${method} ${url}`;
    if (!statuses.has(response.statusCode)) statuses.set(response.statusCode, label);
    if (typeof response.headers["x-request-id"] !== "string" || response.headers["x-request-id"] === "") missingRequestId.push(label);
    const code = body?.error?.code;
    if (typeof code === "string" && !errorCodes.has(code)) errorCodes.set(code, label);
    return { status: response.statusCode, headers: response.headers, body, text: response.body, bytes: new Uint8Array(response.rawPayload) };
  };

  const login = async (msisdn: string, password: string): Promise<string> => {
    const reply = await call("POST", "/v1/auth/login", { json: { msisdn, password } });
    assert.equal(reply.status, 200, `login ${msisdn}: ${reply.text}`);
    return reply.body.token as string;
  };

  const currency = config.currencies[0]!;
  const party = async (index: number): Promise<Party> => {
    const { msisdn, password } = demo.users[index]!;
    const user = (await platform.services.parties.userByMsisdn(msisdn))!;
    const wallet = (await platform.services.wallet.balances(user.id)).find((w) => w.currency === currency)!;
    return { id: user.id, msisdn, password, accountId: wallet.accountId, token: await login(msisdn, password) };
  };
  const adminLogin = async (): Promise<string> => {
    const reply = await call("POST", "/v1/admin/login", { json: demo.operator });
    assert.equal(reply.status, 200, reply.text);
    return reply.body.token as string;
  };

  const harness: Harness = {
    platform, clock, demo, currency, a: await party(0), b: await party(1), adminToken: await adminLogin(), errorCodes, statuses, missingRequestId, call, login,
    async relogin() {
      harness.a.token = await login(harness.a.msisdn, harness.a.password);
      harness.b.token = await login(harness.b.msisdn, harness.b.password);
      harness.adminToken = await adminLogin();
    },
    stop: () => platform.stop(),
  };
  return harness;
}

/** Number of transfers in the ledger (posted, pending, voided: every row). */
export async function ledgerTransferCount(h: Harness): Promise<number> {
  const rows = (await sql<{ n: string | number | bigint }>`SELECT count(*) AS n FROM ledger_transfers`.execute(h.platform.services.db)).rows;
  return Number(rows[0]!.n);
}

/** Idempotency rows: all, and those holding a stored answer. */
export async function idempotencyCounts(h: Harness): Promise<{ all: number; answered: number }> {
  const rows = (await sql<{ all: string | number | bigint; answered: string | number | bigint }>`
    SELECT count(*) AS all, count(status_code) AS answered FROM idempotency_keys`.execute(h.platform.services.db)).rows;
  return { all: Number(rows[0]!.all), answered: Number(rows[0]!.answered) };
}

/** The stored answer of one (scope, key), if any. */
export async function storedAnswer(h: Harness, userId: string, key: string): Promise<{ status: number | null; response: any } | undefined> {
  const rows = (await sql<{ status_code: number | null; response: string | null }>`
    SELECT status_code, response FROM idempotency_keys WHERE scope = ${`user:${userId}`} AND key = ${key}`.execute(h.platform.services.db)).rows;
  const row = rows[0];
  // The answer is stored as the exact text that was sent.
  return row === undefined ? undefined : { status: row.status_code, response: row.response === null ? null : JSON.parse(row.response) };
}

/** Posted, held and available amounts of a user's wallet, as strings. */
export async function wallet(h: Harness, userId: string): Promise<{ posted: string; held: string; available: string; frozen: boolean }> {
  const found = (await h.platform.services.wallet.balances(userId)).find((w) => w.currency === h.currency)!;
  return { posted: found.posted, held: found.held, available: found.available, frozen: found.frozen };
}

export interface Snapshot {
  a: Awaited<ReturnType<typeof wallet>>;
  b: Awaited<ReturnType<typeof wallet>>;
  transfers: number;
  idempotency: { all: number; answered: number };
}

/** What a refused request must leave untouched. */
export async function snapshot(h: Harness): Promise<Snapshot> {
  return { a: await wallet(h, h.a.id), b: await wallet(h, h.b.id), transfers: await ledgerTransferCount(h), idempotency: await idempotencyCounts(h) };
}

/**
 * What held for every response of a file: each error code is documented in apiErrors, no request
 * failed with a 5xx, and each response carried an x-request-id.
 */
export function assertEveryResponseWellFormed(h: Harness): void {
  assert.ok(h.errorCodes.size > 0, "no error response was seen at all");
  for (const [code, example] of h.errorCodes) {
    assert.ok(Object.hasOwn(apiErrors, code), `undocumented error code ${code} (first seen on ${example})`);
  }
  for (const [status, example] of h.statuses) {
    assert.ok(status < 500, `a request answered ${status} (first seen on ${example})`);
  }
  assert.deepEqual(h.missingRequestId, [], "responses without x-request-id");
}

/** A trace-level logger whose lines a test can read: it checks that passwords and tokens never reach the log. */
export function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      lines.push(chunk.toString());
      callback();
    },
  });
  return { logger: pino({ level: "trace" }, stream), lines };
}
