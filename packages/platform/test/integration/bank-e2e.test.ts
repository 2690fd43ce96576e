/**
 * The platform and the reference bank as two real processes on loopback (`obol start`, `obol bank
 * start`), each on its own PostgreSQL database. Users link bank accounts through the API, top up and
 * withdraw under every fault switch of the bank, with the bank process stopped, and with the
 * platform killed (SIGKILL at a failpoint) between the bank's booking and the ledger commit.
 *
 * Afterwards, for every user: bank balance + wallet balance = what the bank account was funded with
 * (nobody debited twice, nothing lost); every operation is in exactly one final state; the bank's
 * settlement account mirrors the platform's clearing account; both books prove; `obol bank reconcile`
 * reports zero mismatches.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createTempDatabase, databaseUrlFromEnv, type TempDatabase } from "../support/postgres.js";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { cliPath, freePort, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";
import { bankDataDir, registerPlatform, spawnBank, waitBankReady, type BankProcess } from "../support/bank-process.js";

const opening = 1_000_000n;
let platformDb: TempDatabase;
let bankDb: TempDatabase;
let sql: pg.Pool;
let bankDir: { dir: string; remove(): Promise<void> };
let bankPort: number;
let bank: BankProcess;
let platformPort: number;
let platform: PlatformProcess;
const customers: { id: string; msisdn: string; token: string; account: string }[] = [];

function platformEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OBOL_BANK_URL: `http://127.0.0.1:${bankPort}`, OBOL_BANK_CERT: bank.certificateFile, OBOL_BANK_TIMEOUT_MS: "3000",
    OBOL_BANK_RETRY_MS: "50", OBOL_BANK_SWEEP_INTERVAL_MS: "100", OBOL_BANK_RESEND_WINDOW_MS: "600000", ...extra,
  };
}

async function startPlatform(extra: Record<string, string> = {}): Promise<void> {
  platform = spawnPlatform({ databaseUrl: platformDb.url, port: platformPort, env: platformEnv(extra) });
  await waitReady(platform, 90_000);
}

async function startBank(): Promise<void> {
  bank = spawnBank({ port: bankPort, dataDir: bankDir.dir, databaseUrl: bankDb.url });
  await waitBankReady(bank, 90_000);
}

async function api(method: string, path: string, o: { token?: string; json?: unknown; idem?: string } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(platform.url + path, {
    method, signal: AbortSignal.timeout(30_000),
    headers: { ...(o.json === undefined ? {} : { "content-type": "application/json" }), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.idem ? { "idempotency-key": o.idem } : {}) },
    ...(o.json === undefined ? {} : { body: JSON.stringify(o.json) }),
  });
  return { status: response.status, body: await response.json() };
}

async function newCustomer(): Promise<(typeof customers)[number]> {
  const msisdn = `+2547${String(30_000_000 + customers.length).padStart(8, "0")}`;
  const password = `pw-${randomUUID()}`;
  const created = await api("POST", "/v1/users", { json: { msisdn, displayName: `Customer ${customers.length}`, password } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { token } = (await api("POST", "/v1/auth/login", { json: { msisdn, password } })).body;
  const account = await bank.admin("POST", "/admin/accounts", { holderName: `Customer ${customers.length}`, currency: "KES", msisdn, opening: opening.toString() });
  const started = await api("POST", "/v1/me/bank-accounts", { token, json: { accountNumber: account.number, currency: "KES" } });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const messages = await bank.admin("GET", `/admin/accounts/${account.number}/messages`);
  const code = /is ([0-9]{6})\./.exec(messages.messages[0].body)![1]!;
  const confirmed = await api("POST", `/v1/me/bank-accounts/${started.body.linkId}/confirm`, { token, json: { code } });
  assert.equal(confirmed.body.status, "active", JSON.stringify(confirmed.body));
  const customer = { id: created.body.id as string, msisdn, token, account: account.number as string };
  customers.push(customer);
  return customer;
}

/** POSTs until the platform answers (it may be restarting), with the same Idempotency-Key every time. */
async function move(path: string, token: string, amount: string, idem: string): Promise<{ status: number; body: any }> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    try {
      const answer = await api("POST", path, { token, idem, json: { amount, currency: "KES" } });
      if (answer.status < 500) return answer;
    } catch { /* down or restarting */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer for ${path} ${idem}`);
}

/** Polls the operation until it is final (the platform's sweeper resolves it). */
async function final(token: string, operationId: string): Promise<string> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const answer = await api("GET", `/v1/me/bank-operations/${operationId}`, { token }).catch(() => undefined);
    if (answer !== undefined && answer.status === 200 && answer.body.status !== "pending") return answer.body.status as string;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`operation ${operationId} never ended`);
}

async function faults(rules: unknown[]): Promise<void> {
  await bank.admin("PUT", "/admin/faults", rules);
}

async function wallet(userId: string): Promise<{ posted: bigint; held: bigint }> {
  const { rows } = await sql.query(`SELECT (credits_posted - debits_posted)::text AS posted, debits_pending::text AS held FROM ledger_accounts WHERE owner_id = $1 AND kind = 'wallet'`, [userId]);
  return { posted: BigInt(rows[0].posted), held: BigInt(rows[0].held) };
}

async function bankBalance(account: string): Promise<bigint> {
  return BigInt((await bank.admin("GET", `/admin/accounts/${account}`)).balance);
}

/** Nobody is debited twice and nothing is lost: what left the bank account is in the wallet. */
async function assertConserved(c: (typeof customers)[number]): Promise<void> {
  const w = await wallet(c.id);
  assert.equal(await bankBalance(c.account) + w.posted, opening, `bank + wallet of ${c.msisdn}`);
  assert.equal(w.held, 0n, `no hold left on ${c.msisdn}`);
}

before(async () => {
  const server = databaseUrlFromEnv();
  platformDb = await createTempDatabase(server);
  bankDb = await createTempDatabase(server);
  sql = new pg.Pool({ connectionString: platformDb.url, max: 2 });
  bankDir = await bankDataDir();
  bankPort = await freePort();
  platformPort = await freePort();
  await startBank();
  await startPlatform();
  await registerPlatform(bank, platform.url);
});

after(async () => {
  // What went wrong inside the processes, if anything did (their logs are at warn level).
  for (const line of `${platform?.output() ?? ""}\n${bank?.output() ?? ""}`.split("\n")) if (/"level":(50|60)/.test(line)) console.log(line.slice(0, 600));
  await platform?.kill("SIGTERM");
  await bank?.kill("SIGTERM");
  await sql?.end();
  await platformDb?.drop();
  await bankDb?.drop();
  await bankDir?.remove();
});

describe("top-up and withdrawal between two processes", { timeout: 600_000 }, () => {
  test("without faults: 201 both ways, the bank and the wallet agree", async () => {
    const c = await newCustomer();
    const up = await move("/v1/me/top-ups", c.token, "50000", randomUUID());
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const down = await move("/v1/me/withdrawals", c.token, "20000", randomUUID());
    assert.equal(down.status, 201, JSON.stringify(down.body));
    assert.deepEqual(await wallet(c.id), { posted: 30_000n, held: 0n });
    await assertConserved(c);
  });

  for (const kind of ["top-ups", "withdrawals"] as const) {
    const bankKind = kind === "top-ups" ? "debit" : "credit";
    const cases: Array<[string, unknown[], string]> = [
      ["decline", [{ fault: "decline", kinds: [bankKind], count: 1 }], "declined"],
      ["slow", [{ fault: "slow", kinds: [bankKind], count: 1, delayMs: 6_000 }], "completed"],
      ["down", [{ fault: "down", count: 3 }], "completed"],
      ["applied_response_lost", [{ fault: "applied_response_lost", kinds: [bankKind], count: 1 }], "completed"],
    ];
    for (const [name, rules, expected] of cases) {
      test(`${kind} with the bank fault ${name}: ${expected}, exactly once`, async () => {
        const c = await newCustomer();
        if (kind === "withdrawals") assert.equal((await move("/v1/me/top-ups", c.token, "40000", randomUUID())).status, 201);
        await faults(rules);
        const answer = await move(`/v1/me/${kind}`, c.token, "10000", randomUUID());
        // The rules stay until the operation is final: under load the platform's timeout can run out before
        // the bank has even opened the message, and clearing them then would test nothing.
        const operationId = answer.body.operationId ?? answer.body.error?.details?.operationId;
        assert.ok(operationId, JSON.stringify(answer.body));
        const ended = await final(c.token, operationId);
        await faults([]);
        if (ended !== expected) {
          const op = await sql.query(`SELECT state, reason, msg_id, bank_reference, attempts, first_sent_at FROM banking_operations WHERE id = $1`, [operationId]);
          const entries = await bank.admin("GET", `/admin/accounts/${c.account}/entries`);
          assert.fail(`${name}: ${ended}, not ${expected}; answer ${JSON.stringify(answer)}; operation ${JSON.stringify(op.rows)}; bank entries ${JSON.stringify(entries)}`);
        }
        const w = await wallet(c.id);
        const moved = expected === "completed" ? 10_000n : 0n;
        assert.equal(w.posted, kind === "top-ups" ? moved : 40_000n - moved);
        await assertConserved(c);
      });
    }
  }

  test("the bank process is down (connection refused): pending, then completed once it is back", async () => {
    const c = await newCustomer();
    await bank.kill("SIGKILL");
    const answer = await move("/v1/me/top-ups", c.token, "15000", randomUUID());
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    await startBank();
    assert.equal(await final(c.token, answer.body.operationId), "completed");
    await assertConserved(c);
    assert.equal((await wallet(c.id)).posted, 15_000n);
  });
});

describe("kill -9 of the platform between the bank's booking and the ledger commit", { timeout: 600_000 }, () => {
  const cases: Array<[string, string, string]> = [
    ["banking.after_bank_debit", "top-ups", "the bank debited, nothing recorded yet"],
    ["banking.before_ledger", "top-ups", "the booking recorded, the wallet not yet credited"],
    ["banking.after_bank_credit", "withdrawals", "the bank paid out, nothing recorded yet"],
  ];
  for (const [failpoint, kind, moment] of cases) {
    test(`${failpoint} (${moment}): after the restart the operation completes once; the client's retry gets the outcome`, async () => {
      const c = await newCustomer();
      if (kind === "withdrawals") assert.equal((await move("/v1/me/top-ups", c.token, "30000", randomUUID())).status, 201);
      await platform.kill("SIGTERM");
      await startPlatform({ OBOL_FAILPOINTS: failpoint });
      const idem = randomUUID();
      // The request's own drive hits the failpoint, or (if the bank's answer came after the timeout) the sweeper does.
      const cut = await api("POST", `/v1/me/${kind}`, { token: c.token, idem, json: { amount: "12000", currency: "KES" } }).catch((error: Error) => error);
      assert.ok(cut instanceof Error || cut.status === 202, `no outcome before the failpoint: ${JSON.stringify(cut)}`);
      const died = await Promise.race([platform.exited.then(() => "died"), new Promise((resolve) => setTimeout(() => resolve("alive"), 120_000))]);
      assert.equal(died, "died");
      assert.equal(platform.child.signalCode, "SIGKILL");
      assert.match(platform.output(), new RegExp(`failpoint ${failpoint.replace(".", "\\.")}: SIGKILL`), "it died at the failpoint");
      const atBank = await bankBalance(c.account);
      assert.equal(atBank, kind === "top-ups" ? opening - 12_000n : opening - 30_000n + 12_000n, "the bank booked it once");
      await startPlatform();
      const answer = await move(`/v1/me/${kind}`, c.token, "12000", idem);
      assert.ok(answer.status === 201 || answer.status === 202, JSON.stringify(answer.body));
      assert.equal(await final(c.token, answer.body.operationId), "completed");
      assert.equal(await bankBalance(c.account), atBank, "no second booking");
      await assertConserved(c);
    });
  }
});

describe("afterwards", { timeout: 120_000 }, () => {
  test("every operation is final, the settlement account mirrors the clearing account, both books prove", async () => {
    const open = await sql.query(`SELECT id, state FROM banking_operations WHERE state NOT IN ('completed', 'declined', 'reversed')`);
    assert.deepEqual(open.rows, []);
    for (const c of customers) await assertConserved(c);
    const settlement = BigInt((await bank.admin("GET", "/admin/clients/obol/settlement/KES")).balance);
    const clearing = BigInt((await sql.query(`SELECT coalesce(sum(credits_posted - debits_posted), 0)::text AS b FROM ledger_accounts WHERE kind = 'bank_clearing'`)).rows[0].b);
    assert.equal(settlement, -clearing, "money at the bank = what the clearing account says the platform holds there");
    assert.equal((await bank.admin("GET", "/admin/verify")).balanced, true);
    const sum = await sql.query(`SELECT coalesce(sum(amount), 0)::text AS s FROM ledger_postings`);
    assert.equal(sum.rows[0].s, "0");
  });

  test("obol bank reconcile: every clearing movement matches the bank's statement, zero mismatches", async () => {
    const env = {
      PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", DATABASE_URL: platformDb.url,
      OBOL_KEY_PASSPHRASE: "integration-test-key-passphrase", ...platformEnv(),
    };
    const { stdout } = await promisify(execFile)(process.execPath, [cliPath, "bank", "reconcile", "--currency", "KES"], { env, timeout: 120_000 });
    assert.match(stdout, /mismatches: 0/, stdout);
    const counted = /(\d+) clearing postings, (\d+) bank entries; matched (\d+)/.exec(stdout)!;
    assert.ok(Number(counted[3]) >= customers.length, stdout);
  });
});
