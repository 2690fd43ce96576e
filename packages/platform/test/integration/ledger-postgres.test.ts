import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import type { ResultCode, TransferInput } from "@obol/ledger";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrations.js";
import { LedgerService, ledgerMigrations } from "../../src/modules/ledger/index.js";
import { createTempDatabase, databaseUrlFromEnv, type TempDatabase } from "../support/postgres.js";

// The ledger service against a real PostgreSQL, with two services on two pools standing in for two platform
// processes that share one database (T1's invariants without the kill -9, T5's double-spend race). Each run
// gets its own database on DATABASE_URL, so reruns and parallel test files never see each other's rows.

const CLIENTS = 16;
const TRANSFERS_PER_CLIENT = 1_000;
const WALLETS = 50;
const AMOUNT_MAX = 50;
// Small enough that wallets run dry often (so the overdraft rule is really exercised), large enough that
// most transfers still succeed.
const FUNDING_MAX = 500;
// 20 connections in all, as T5 asks; each batcher uses at most batchesInFlightMax of its own at once.
const POOL_SIZE = 10;
const CURRENCY = "KES";
const P2P_CODE = 1;
const FUNDING_CODE = 2;

// Every run logs its seed: account choice and amounts replay with OBOL_TEST_SEED (the interleaving of
// the clients does not, it is up to the scheduler).
const seed = Number(process.env.OBOL_TEST_SEED ?? Math.floor(Math.random() * 2 ** 32));

/** mulberry32: a tiny seeded PRNG, enough to pick accounts and amounts. */
function prng(state: number): () => number {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function progress(message: string): void {
  // stderr, because the test runner passes it through as it happens; diagnostics only appear at the end.
  process.stderr.write(`ledger-postgres: ${message}\n`);
}

let temp: TempDatabase;
const databases: Database[] = [];
const services: LedgerService[] = [];

before(async () => {
  temp = await createTempDatabase(databaseUrlFromEnv());
  for (let i = 0; i < 2; i += 1) databases.push(await openDatabase({ url: temp.url, poolSize: POOL_SIZE }));
  // Both "processes" migrate at once, as they would at startup; the advisory lock lets one of them do it.
  await Promise.all(databases.map((database) => migrate(database.db, ledgerMigrations)));
  for (const database of databases) services.push(new LedgerService(database.db, Date.now));
  progress(`seed ${seed} (rerun with OBOL_TEST_SEED=${seed}); database ${new URL(temp.url).pathname.slice(1)}`);
});

after(async () => {
  await Promise.all(services.map((service) => service.close()));
  await Promise.all(databases.map((database) => database.close()));
  await temp?.drop();
});

function service(index: number): LedgerService {
  const found = services[index % services.length];
  assert.ok(found, "the ledger services did not start");
  return found;
}

async function newAccount(mustNotOverdraw: boolean, kind = "wallet"): Promise<string> {
  const id = randomUUID();
  await service(0).createAccount(databases[0]!.db, { id, currency: CURRENCY, kind, ownerType: "user", ownerId: randomUUID(), mustNotOverdraw });
  return id;
}

async function balances(ids: readonly string[]): Promise<Map<string, bigint>> {
  const rows = (await sql<{ id: string; balance: bigint; dpe: bigint; cpe: bigint }>`
    SELECT id, credits_posted - debits_posted AS balance, debits_pending AS dpe, credits_pending AS cpe
    FROM ledger_accounts WHERE id = ANY(${ids}::uuid[])`.execute(databases[0]!.db)).rows;
  assert.equal(rows.length, ids.length, "every account exists");
  for (const row of rows) assert.deepEqual([row.dpe, row.cpe], [0n, 0n], `no reservations on ${row.id}`);
  return new Map(rows.map((row) => [row.id, row.balance]));
}

function countInto(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

type Posted = TransferInput & { debitAccountId: string; creditAccountId: string; amount: bigint };

/** What test (a) leaves behind for test (c). */
const concurrent = {
  accounts: [] as string[],
  /** Every transfer some client was told `ok` for (funding included), with the service that said it. */
  acked: [] as { transfer: Posted; serviceIndex: number }[],
};

test("(a) 16 clients on two services: 16,000 random transfers among 50 wallets keep every invariant", async () => {
  const source = await newAccount(false, "funding");
  const wallets = await Promise.all(Array.from({ length: WALLETS }, () => newAccount(true)));
  const accounts = [source, ...wallets];
  concurrent.accounts = accounts;
  const rng = prng(seed);

  const expected = new Map<string, bigint>(accounts.map((id) => [id, 0n]));
  const move = (t: Posted) => {
    expected.set(t.debitAccountId, expected.get(t.debitAccountId)! - t.amount);
    expected.set(t.creditAccountId, expected.get(t.creditAccountId)! + t.amount);
  };
  const acked: { transfer: Posted; serviceIndex: number }[] = [];

  const funding = wallets.map((wallet): Posted => ({
    id: randomUUID(), kind: "posted", debitAccountId: source, creditAccountId: wallet,
    amount: BigInt(1 + Math.floor(rng() * FUNDING_MAX)), code: FUNDING_CODE,
  }));
  const fundingResults = await Promise.all(funding.map((t, i) => service(i).submit([t])));
  assert.deepEqual(fundingResults.map((r) => r[0]), funding.map(() => "ok"), "every wallet is funded");
  funding.forEach((t, i) => { acked.push({ transfer: t, serviceIndex: i % 2 }); move(t); });
  const funded = funding.reduce((sum, t) => sum + t.amount, 0n);
  progress(`(a) funded ${WALLETS} wallets with ${funded} in total; starting ${CLIENTS} clients × ${TRANSFERS_PER_CLIENT} transfers`);

  const codes = new Map<string, number>();
  const failures: unknown[] = [];
  let done = 0;
  const startedAt = performance.now();
  const clients = Array.from({ length: CLIENTS }, async (_, c) => {
    const clientRng = prng(seed + 1 + c);
    const serviceIndex = c % 2;
    for (let n = 0; n < TRANSFERS_PER_CLIENT; n += 1) {
      const debit = Math.floor(clientRng() * WALLETS);
      const credit = (debit + 1 + Math.floor(clientRng() * (WALLETS - 1))) % WALLETS;
      const transfer: Posted = {
        id: randomUUID(), kind: "posted", debitAccountId: wallets[debit]!, creditAccountId: wallets[credit]!,
        amount: BigInt(1 + Math.floor(clientRng() * AMOUNT_MAX)), code: P2P_CODE,
      };
      try {
        const [code] = await service(serviceIndex).submit([transfer]);
        countInto(codes, code!);
        if (code === "ok") acked.push({ transfer, serviceIndex });
      } catch (error) {
        countInto(codes, "exception");
        failures.push(error);
      }
      done += 1;
      if (done % 4_000 === 0) progress(`(a) ${done}/${CLIENTS * TRANSFERS_PER_CLIENT} transfers answered`);
    }
  });
  await Promise.all(clients);
  const seconds = (performance.now() - startedAt) / 1000;
  const stats = services.map((s) => s.batcher.stats);
  progress(`(a) ${CLIENTS * TRANSFERS_PER_CLIENT} transfers in ${seconds.toFixed(1)} s; results ${JSON.stringify(Object.fromEntries(codes))}; ` +
    `batches/retries per service ${stats.map((s) => `${s.batches}/${s.retries}`).join(", ")}`);

  // Zero rejections: every submission got a ledger answer, and only the two answers this load can produce.
  assert.deepEqual(failures, [], "no submission was rejected or threw");
  assert.deepEqual([...codes.keys()].filter((code) => code !== "ok" && code !== "insufficient_funds"), [], "only ok and insufficient_funds");
  // Without any refusal the "never negative" check below would prove nothing about the overdraft rule.
  assert.ok((codes.get("insufficient_funds") ?? 0) > 0, "some transfers ran into insufficient funds");
  assert.ok((codes.get("ok") ?? 0) > 0, "some transfers succeeded");
  for (const { transfer } of acked.slice(funding.length)) move(transfer);
  concurrent.acked = acked;

  // Money is conserved, no wallet is overdrawn, and every balance is exactly what the acknowledgements add up to.
  const stored = await balances(accounts);
  assert.equal([...stored.values()].reduce((sum, b) => sum + b, 0n), 0n, "the sum of all balances is unchanged (0)");
  assert.equal(stored.get(source), -funded, "only funding left the source");
  const negative = wallets.filter((id) => stored.get(id)! < 0n);
  assert.deepEqual(negative, [], "no mustNotOverdraw wallet is negative");
  assert.deepEqual(stored, expected, "each balance = funding + acknowledged credits − acknowledged debits");

  // The transfers table holds exactly the acknowledged transfers: none lost, none twice, none unacknowledged.
  const key = (id: string, debit: string, credit: string, amount: bigint) => `${id} ${debit} ${credit} ${amount}`;
  const rows = (await sql<{ id: string; debit_account_id: string; credit_account_id: string; amount: bigint }>`
    SELECT id, debit_account_id, credit_account_id, amount FROM ledger_transfers
    WHERE debit_account_id = ANY(${accounts}::uuid[]) OR credit_account_id = ANY(${accounts}::uuid[])`.execute(databases[1]!.db)).rows;
  const storedTransfers = rows.map((r) => key(r.id, r.debit_account_id, r.credit_account_id, r.amount)).sort();
  const ackedTransfers = acked.map(({ transfer: t }) => key(t.id, t.debitAccountId, t.creditAccountId, t.amount)).sort();
  assert.equal(storedTransfers.length, ackedTransfers.length, "as many stored transfers as acknowledgements");
  assert.deepEqual(storedTransfers, ackedTransfers, "stored transfers = acknowledged transfers");

  // Each one is journalled exactly once: one debit and one credit posting of its amount.
  const postings = (await sql<{ transfer_id: string; account_id: string; amount: bigint }>`
    SELECT transfer_id, account_id, amount FROM ledger_postings WHERE account_id = ANY(${accounts}::uuid[])`.execute(databases[1]!.db)).rows;
  const storedPostings = postings.map((p) => `${p.transfer_id} ${p.account_id} ${p.amount}`).sort();
  const ackedPostings = acked.flatMap(({ transfer: t }) => [`${t.id} ${t.debitAccountId} ${-t.amount}`, `${t.id} ${t.creditAccountId} ${t.amount}`]).sort();
  assert.deepEqual(storedPostings, ackedPostings, "postings = two per acknowledged transfer");

  const report = await service(1).verify();
  assert.deepEqual(report.mismatches, [], "every stored balance equals its postings");
  assert.equal(report.postingsSum, 0n, "all postings sum to zero");
  assert.ok(report.accounts >= accounts.length);
});

test("(b) 200 concurrent debits of 10 against a balance of 100 on two services: exactly 10 succeed", async () => {
  const wallet = await newAccount(true);
  const sink = await newAccount(false);
  const source = await newAccount(false, "funding");
  assert.deepEqual(await service(0).submit([{ id: randomUUID(), kind: "posted", debitAccountId: source, creditAccountId: wallet, amount: 100n, code: FUNDING_CODE }]), ["ok"]);

  const debits = Array.from({ length: 200 }, (): Posted => ({
    id: randomUUID(), kind: "posted", debitAccountId: wallet, creditAccountId: sink, amount: 10n, code: P2P_CODE,
  }));
  const results = await Promise.all(debits.map((t, i) => service(i).submit([t]).then(([code]) => code, (error: unknown) => error)));
  const counts = new Map<string, number>();
  results.forEach((r) => countInto(counts, typeof r === "string" ? r : "exception"));
  progress(`(b) results ${JSON.stringify(Object.fromEntries(counts))}`);
  assert.deepEqual(results.filter((r) => typeof r !== "string"), [], "no submission threw");
  assert.equal(counts.get("ok"), 10);
  assert.equal(counts.get("insufficient_funds"), 190);

  const stored = await balances([wallet, sink]);
  assert.equal(stored.get(wallet), 0n, "final balance 0");
  assert.equal(stored.get(sink), 100n);
  const okIds = debits.filter((_, i) => results[i] === "ok").map((t) => t.id).sort();
  const storedIds = (await sql<{ id: string }>`SELECT id FROM ledger_transfers WHERE debit_account_id = ${wallet}::uuid`
    .execute(databases[0]!.db)).rows.map((r) => r.id).sort();
  assert.deepEqual(storedIds, okIds, "the stored debits are exactly the 10 acknowledged ones");
});

test("(c) resubmitting every acknowledged transfer of (a), through the other service, gives exists and moves nothing", async () => {
  const { accounts, acked } = concurrent;
  assert.ok(acked.length > WALLETS, "test (a) ran and left acknowledged transfers");
  const before = await balances(accounts);
  const transfersBefore = (await sql<{ n: bigint }>`SELECT count(*) AS n FROM ledger_transfers`.execute(databases[0]!.db)).rows[0]!.n;

  // A client retrying after a lost response may reach the other process; split the retries over 16 loops.
  const codes = new Map<string, number>();
  const failures: unknown[] = [];
  const startedAt = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let k = c; k < acked.length; k += CLIENTS) {
      const { transfer, serviceIndex } = acked[k]!;
      try {
        const [code] = await service(serviceIndex + 1).submit([transfer]);
        countInto(codes, code as ResultCode);
      } catch (error) {
        countInto(codes, "exception");
        failures.push(error);
      }
    }
  }));
  progress(`(c) ${acked.length} retries in ${((performance.now() - startedAt) / 1000).toFixed(1)} s; results ${JSON.stringify(Object.fromEntries(codes))}`);

  assert.deepEqual(failures, [], "no retry was rejected or threw");
  assert.deepEqual(Object.fromEntries(codes), { exists: acked.length }, "every retry answers exists");
  assert.deepEqual(await balances(accounts), before, "no balance changed");
  const transfersAfter = (await sql<{ n: bigint }>`SELECT count(*) AS n FROM ledger_transfers`.execute(databases[0]!.db)).rows[0]!.n;
  assert.equal(transfersAfter, transfersBefore, "no transfer was added");
  const report = await service(0).verify();
  assert.deepEqual(report.mismatches, []);
  assert.equal(report.postingsSum, 0n);
});
