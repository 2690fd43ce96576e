/**
 * Idempotency is linearizable across processes (issue 16, item 2): two `obol start` processes on
 * one PostgreSQL; requests with one Idempotency-Key and one body sent to both at once.
 * - At the insufficient-funds boundary: the payer holds 1 less than the amount while a credit of 1
 *   races the twins. Either outcome is right; the twins must agree with each other, with the stored
 *   answer, and with the ledger (201 iff the transfer is there), and a later retry must replay it.
 * - The ordinary case: 8 twins over both processes, one ledger effect, one answer.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { transferIdFor } from "../../src/modules/idempotency/service.js";
import { createTempDatabase, databaseUrlFromEnv, type TempDatabase } from "../support/postgres.js";
import { freePort, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";

type User = { id: string; msisdn: string; token: string };
type Answer = { status: number; body: any };

let database: TempDatabase;
let sql: pg.Pool;
let processes: PlatformProcess[] = [];
let payer: User;
let payee: User;
let feeder: User;

async function call(base: string, method: string, path: string, body?: unknown, token?: string, key: string = randomUUID()): Promise<Answer> {
  const response = await fetch(base + path, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}), "idempotency-key": key },
    signal: AbortSignal.timeout(60_000),
  });
  return { status: response.status, body: await response.json() };
}

async function register(base: string, k: number, topUp: bigint): Promise<User> {
  const msisdn = `+2547${String(30_000_000 + k).padStart(8, "0")}`;
  const password = `pw-${randomUUID()}`;
  const created = await call(base, "POST", "/v1/users", { msisdn, displayName: `Twin ${k}`, password });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const login = await call(base, "POST", "/v1/auth/login", { msisdn, password });
  if (topUp > 0n) assert.equal((await call(base, "POST", "/v1/me/top-ups", { amount: topUp.toString(), currency: "KES" }, login.body.token)).status, 201);
  return { id: created.body.id, msisdn, token: login.body.token };
}

async function available(user: User): Promise<bigint> {
  const { rows } = await sql.query(`SELECT (credits_posted - debits_posted - debits_pending)::text AS a FROM ledger_accounts WHERE owner_id = $1 AND kind = 'wallet' AND currency = 'KES'`, [user.id]);
  return BigInt(rows[0].a);
}

async function storedAnswer(user: User, key: string): Promise<Answer | undefined> {
  const { rows } = await sql.query(`SELECT status_code, response FROM idempotency_keys WHERE scope = $1 AND key = $2`, [`user:${user.id}`, key]);
  return rows[0]?.status_code == null ? undefined : { status: rows[0].status_code, body: JSON.parse(rows[0].response) };
}

async function transferExists(id: string): Promise<boolean> {
  return (await sql.query(`SELECT 1 FROM ledger_transfers WHERE id = $1`, [id])).rowCount === 1;
}

const later = <T>(ms: number, send: () => Promise<T>) => new Promise<void>((resolve) => setTimeout(resolve, ms)).then(send);

before(async () => {
  database = await createTempDatabase(databaseUrlFromEnv());
  sql = new pg.Pool({ connectionString: database.url, max: 2 });
  processes = [spawnPlatform({ databaseUrl: database.url, port: await freePort() }), spawnPlatform({ databaseUrl: database.url, port: await freePort() })];
  await Promise.all(processes.map((p) => waitReady(p)));
  const base = processes[0]!.url;
  payer = await register(base, 0, 1_000n);
  payee = await register(base, 1, 0n);
  feeder = await register(base, 2, 1_000_000n);
});

after(async () => {
  await Promise.all(processes.map((p) => p.kill("SIGTERM")));
  await sql?.end();
  await database?.drop();
});

describe("one key, one body, two processes", { timeout: 280_000 }, () => {
  test("100 pairs of twins at the insufficient-funds boundary, a credit racing them: each pair agrees, with the stored answer and the ledger", async () => {
    const outcomes = { applied: 0, refused: 0 };
    for (let round = 0; round < 100; round += 1) {
      const key = `twin-${round}-${randomUUID()}`;
      const body = { toMsisdn: payee.msisdn, amount: String((await available(payer)) + 1n), currency: "KES" };
      const twin = (p: PlatformProcess) => () => call(p.url, "POST", "/v1/transfers", body, payer.token, key);
      // The credit lands somewhere among the twins: a few ms of jitter each, different every round.
      const credit = later(Math.floor(Math.random() * 6), () => call(processes[round % 2]!.url, "POST", "/v1/transfers", { toMsisdn: payer.msisdn, amount: "1", currency: "KES" }, feeder.token));
      const pair = await Promise.all([later(Math.floor(Math.random() * 6), twin(processes[0]!)), later(Math.floor(Math.random() * 6), twin(processes[1]!))]);
      assert.equal((await credit).status, 201);

      const [first, second] = pair as [Answer, Answer];
      assert.ok(first.status === 201 || (first.status === 422 && first.body.error.code === "ERR_INSUFFICIENT_FUNDS"), JSON.stringify(first));
      assert.deepEqual(second, first, `round ${round}: the two processes answered differently`);
      assert.deepEqual(await storedAnswer(payer, key), first, `round ${round}: the stored answer is not the one sent`);
      const applied = await transferExists(transferIdFor(`user:${payer.id}`, key, 0));
      assert.equal(applied, first.status === 201, `round ${round}: answered ${first.status} but the transfer is ${applied ? "" : "not "}in the ledger`);
      outcomes[applied ? "applied" : "refused"] += 1;
      // Now the funds are there either way; a retry still gets the committed answer.
      assert.deepEqual(await twin(processes[(round + 1) % 2]!)(), first);
    }
    console.log(`boundary pairs: ${JSON.stringify(outcomes)}`);
  });

  test("8 twins over both processes with enough funds, 20 times: one answer, one ledger effect", async () => {
    for (let round = 0; round < 20; round += 1) {
      const key = `ordinary-${round}-${randomUUID()}`;
      const body = { toMsisdn: payee.msisdn, amount: "3", currency: "KES" };
      const before = await available(payer);
      const answers = await Promise.all(Array.from({ length: 8 }, (_, k) => call(processes[k % 2]!.url, "POST", "/v1/transfers", body, feeder.token, key)));
      for (const answer of answers) assert.deepEqual(answer, answers[0], `round ${round}: twins answered differently`);
      assert.equal(answers[0]!.status, 201, JSON.stringify(answers[0]));
      assert.deepEqual(await storedAnswer(feeder, key), answers[0]);
      const { rows } = await sql.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE id = $1`, [answers[0]!.body.transferId]);
      assert.equal(rows[0].n, 1);
      assert.equal(await available(payer), before, "the payer is not involved");
    }
    // Exactly one effect per key: 20 transfers of 3 from the feeder to the payee (the boundary test moved other money).
    const { rows } = await sql.query(`SELECT count(*)::int AS n FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id WHERE a.owner_id = $1 AND t.code = 1 AND t.amount = 3`, [feeder.id]);
    assert.equal(rows[0].n, 20);
  });
});
