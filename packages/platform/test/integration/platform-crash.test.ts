/**
 * The platform as users meet it: real `obol start` processes on a real PostgreSQL, real HTTP.
 * - many clients, two platform processes, one database: money is conserved and every
 *   acknowledged transfer is stored exactly once;
 * - kill -9 under load while clients retry with their Idempotency-Keys: nothing twice, nothing lost;
 * - production mode refuses to start on storage that can lose commits.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import pg from "pg";
import { createTempDatabase, databaseUrlFromEnv, startPostgres, type TempDatabase } from "../support/postgres.js";
import { freePort, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";

const accountsCount = 50;
const openingBalance = 100_000n;
let database: TempDatabase;
let sql: pg.Pool;
const users: { msisdn: string; token: string }[] = [];

type Answer = { status: number; body: any };

/** POST that retries with the same Idempotency-Key until the answer is definitive (not a network error, not 5xx). */
async function postUntilDefinitive(base: () => string, path: string, token: string, key: string, body: unknown): Promise<Answer & { attempts: number }> {
  for (let attempts = 1; ; attempts += 1) {
    try {
      const response = await fetch(base() + path, {
        method: "POST", body: JSON.stringify(body),
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, "idempotency-key": key },
        signal: AbortSignal.timeout(10_000),
      });
      const json = await response.json();
      if (response.status < 500) return { status: response.status, body: json, attempts };
    } catch { /* connection refused or reset: the process is down, retry */ }
    await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 100));
    assert.ok(attempts < 2_000, `no definitive answer for ${key}`);
  }
}

async function call(base: string, method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(base + path, {
    method, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}), "idempotency-key": randomUUID() },
  });
  const json = await response.json();
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

async function walletTotals(): Promise<{ total: bigint; negative: number; count: number }> {
  const { rows } = await sql.query(`SELECT coalesce(sum(credits_posted - debits_posted), 0)::text AS total,
      count(*) FILTER (WHERE credits_posted - debits_posted - debits_pending < 0)::int AS negative, count(*)::int AS count
    FROM ledger_accounts WHERE kind = 'wallet'`);
  return { total: BigInt(rows[0].total), negative: rows[0].negative, count: rows[0].count };
}

async function assertLedgerProven(): Promise<void> {
  // Each balance equals its postings and open reservations; all postings sum to zero.
  const { rows } = await sql.query(`
    SELECT a.id FROM ledger_accounts a
    WHERE a.debits_posted <> coalesce((SELECT -sum(amount) FROM ledger_postings p WHERE p.account_id = a.id AND amount < 0), 0)
       OR a.credits_posted <> coalesce((SELECT sum(amount) FROM ledger_postings p WHERE p.account_id = a.id AND amount > 0), 0)
       OR a.debits_pending <> coalesce((SELECT sum(amount) FROM ledger_transfers t WHERE t.debit_account_id = a.id AND pending_state = 'pending'), 0)`);
  assert.deepEqual(rows, [], "accounts whose balance differs from their postings");
  const sum = await sql.query(`SELECT coalesce(sum(amount), 0)::text AS s FROM ledger_postings`);
  assert.equal(sum.rows[0].s, "0");
}

before(async () => {
  database = await createTempDatabase(databaseUrlFromEnv());
  sql = new pg.Pool({ connectionString: database.url, max: 2 });
  // Users register, log in and top up through the API, like anyone else.
  const platform = spawnPlatform({ databaseUrl: database.url, port: await freePort() });
  try {
    await waitReady(platform);
    await Promise.all(Array.from({ length: accountsCount }, async (_, k) => {
      const msisdn = `+2547${String(10_000_000 + k).padStart(8, "0")}`;
      const password = `pw-${randomUUID()}`;
      await call(platform.url, "POST", "/v1/users", { msisdn, displayName: `Load ${k}`, password });
      const { token } = await call(platform.url, "POST", "/v1/auth/login", { msisdn, password });
      await call(platform.url, "POST", "/v1/me/top-ups", { amount: openingBalance.toString(), currency: "KES" }, token);
      users.push({ msisdn, token });
    }));
  } finally {
    await platform.kill("SIGTERM");
  }
});

after(async () => {
  await sql?.end();
  await database?.drop();
});

describe("platform processes on PostgreSQL", { timeout: 240_000 }, () => {
  test("16 clients x 1,000 random P2P transfers over two platform processes: conserved, each ack stored once", async () => {
    const before = await walletTotals();
    const processes = [spawnPlatform({ databaseUrl: database.url, port: await freePort() }), spawnPlatform({ databaseUrl: database.url, port: await freePort() })];
    try {
      await Promise.all(processes.map((p) => waitReady(p)));
      const acknowledged = new Map<string, string>();
      const outcomes = new Map<string, number>();
      await Promise.all(Array.from({ length: 16 }, async (_, client) => {
        const base = processes[client % 2]!.url;
        for (let n = 0; n < 1_000; n += 1) {
          const payer = users[Math.floor(Math.random() * users.length)]!;
          let payee = users[Math.floor(Math.random() * users.length)]!;
          if (payee === payer) payee = users[(users.indexOf(payer) + 1) % users.length]!;
          const amount = 1 + Math.floor(Math.random() * 5_000);
          const key = `c${client}-${n}-${randomUUID()}`;
          const answer = await postUntilDefinitive(() => base, "/v1/transfers", payer.token, key, { toMsisdn: payee.msisdn, amount: String(amount), currency: "KES" });
          const code = answer.status === 201 ? "ok" : answer.body.error.code;
          outcomes.set(code, (outcomes.get(code) ?? 0) + 1);
          if (answer.status === 201) acknowledged.set(key, answer.body.transferId);
          else assert.equal(answer.body.error.code, "ERR_INSUFFICIENT_FUNDS", `unexpected answer ${JSON.stringify(answer.body)}`);
        }
      }));
      console.log(`outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
      assert.ok(acknowledged.size > 10_000, "most transfers succeed");

      const after = await walletTotals();
      assert.equal(after.total, before.total, "the sum of wallet balances is unchanged");
      assert.equal(after.negative, 0, "no wallet is negative");
      const ids = [...acknowledged.values()];
      const stored = await sql.query(`SELECT id::text, count(*) OVER () AS n FROM ledger_transfers WHERE id = ANY($1::uuid[])`, [ids]);
      assert.equal(stored.rowCount, ids.length, "every acknowledged transfer is stored");
      assert.equal(new Set(ids).size, ids.length, "every acknowledgement names its own transfer");
      const p2pStored = await sql.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE code = 1`);
      assert.equal(p2pStored.rows[0].n, ids.length, "no transfer is stored that no client was told about");
      await assertLedgerProven();
    } finally {
      await Promise.all(processes.map((p) => p.kill("SIGTERM")));
    }
  });

  test("kill -9 of the platform under load, clients retrying with the same keys: nothing applied twice, no acknowledged transfer lost", async () => {
    const before = await walletTotals();
    const p2pBefore = (await sql.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE code = 1`)).rows[0].n as number;
    const port = await freePort();
    let platform: PlatformProcess = spawnPlatform({ databaseUrl: database.url, port });
    await waitReady(platform);

    let running = true;
    let kills = 0;
    const killer = (async () => {
      while (running) {
        await new Promise((resolve) => setTimeout(resolve, 700 + Math.random() * 800));
        if (!running) break;
        await platform.kill("SIGKILL");
        kills += 1;
        platform = spawnPlatform({ databaseUrl: database.url, port });
        await waitReady(platform);
      }
    })();

    const answers = new Map<string, { body: any; status: number; request: unknown; token: string }>();
    let retried = 0;
    try {
      await Promise.all(Array.from({ length: 8 }, async (_, client) => {
        for (let n = 0; n < 150; n += 1) {
          const payer = users[(client * 7 + n) % users.length]!;
          const payee = users[(client * 7 + n + 1 + (n % 13)) % users.length]!;
          const request = { toMsisdn: payee.msisdn, amount: String(1 + (n % 97)), currency: "KES" };
          const key = `crash-${client}-${n}-${randomUUID()}`;
          const answer = await postUntilDefinitive(() => platform.url, "/v1/transfers", payer.token, key, request);
          if (answer.attempts > 1) retried += 1;
          answers.set(key, { ...answer, request, token: payer.token });
        }
      }));
    } finally {
      running = false;
      await killer;
    }
    console.log(`kills: ${kills}; requests that needed a retry: ${retried}; answers: ${answers.size}`);
    assert.ok(kills >= 2, "the platform was killed during the load");
    assert.ok(retried > 0, "some requests were cut off by a kill and retried");

    try {
      const acknowledged = [...answers.values()].filter((a) => a.status === 201).map((a) => a.body.transferId as string);
      for (const a of answers.values()) assert.ok(a.status === 201 || a.body.error.code === "ERR_INSUFFICIENT_FUNDS", JSON.stringify(a.body));
      const stored = await sql.query(`SELECT id::text FROM ledger_transfers WHERE id = ANY($1::uuid[])`, [acknowledged]);
      assert.equal(stored.rowCount, acknowledged.length, "no acknowledged transfer is missing");
      const p2pAfter = (await sql.query(`SELECT count(*)::int AS n FROM ledger_transfers WHERE code = 1`)).rows[0].n as number;
      assert.equal(p2pAfter - p2pBefore, acknowledged.length, "no transfer was applied without its acknowledgement, none twice");
      assert.equal((await walletTotals()).total, before.total);
      await assertLedgerProven();
      // Every key, replayed after the storm, answers exactly as it did.
      const sample = [...answers.entries()].slice(0, 200);
      for (const [key, a] of sample) {
        const replay = await postUntilDefinitive(() => platform.url, "/v1/transfers", a.token, key, a.request);
        assert.deepEqual([replay.status, replay.body], [a.status, a.body], `replay of ${key}`);
      }
    } finally {
      await platform.kill("SIGTERM");
    }
  });
});

describe("production mode refuses unsafe storage", { timeout: 120_000 }, () => {
  const unsafe: Record<string, string>[] = [{ fsync: "off" }, { synchronous_commit: "off" }, { full_page_writes: "off" }];

  test("obol start --production exits with ERR_UNSAFE_STORAGE for each unsafe setting, and starts on a safe server", async () => {
    const servers = await Promise.all([...unsafe.map((settings) => startPostgres({ settings })), startPostgres()]);
    try {
      for (const [index, settings] of unsafe.entries()) {
        const platform = spawnPlatform({ databaseUrl: servers[index]!.url, port: await freePort(), args: ["--production"] });
        const code = await Promise.race([platform.exited, new Promise((resolve) => setTimeout(() => resolve("timeout"), 30_000))]);
        await platform.kill();
        const [setting] = Object.keys(settings);
        assert.equal(code, 1, `exit code with ${setting}=off; output:\n${platform.output()}`);
        assert.match(platform.output(), /ERR_UNSAFE_STORAGE/);
        assert.match(platform.output(), new RegExp(`${setting}=off`));
      }
      const safe = spawnPlatform({ databaseUrl: servers[3]!.url, port: await freePort(), args: ["--production"] });
      await waitReady(safe);
      assert.match(safe.output(), /production mode/);
      assert.equal(await safe.kill("SIGTERM"), 0, "a clean shutdown exits 0");
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });

  test("obol start --production refuses embedded PGlite", async () => {
    const platform = spawnPlatform({ port: await freePort(), args: ["--production"], env: { OBOL_DATA_DIR: `/tmp/obol-prod-${randomUUID()}` } });
    assert.equal(await platform.exited, 1);
    assert.match(platform.output(), /ERR_UNSAFE_STORAGE/);
  });
});
