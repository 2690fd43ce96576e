import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { migrate } from "../../src/db/migrations.js";
import { openDatabase, type Database } from "../../src/db/database.js";
import { LedgerService, ledgerMigrations } from "../../src/modules/ledger/index.js";

let database: Database;
let ledger: LedgerService;
let now = 1_000_000;

before(async () => {
  database = await openDatabase({ memory: true });
  await migrate(database.db, ledgerMigrations);
  ledger = new LedgerService(database.db, () => now);
});
after(async () => {
  await ledger.close();
  await database.close();
});

async function newAccount(mustNotOverdraw: boolean, currency = "KES"): Promise<string> {
  const id = randomUUID();
  await ledger.createAccount(database.db, { id, currency, kind: "wallet", ownerType: "user", ownerId: randomUUID(), mustNotOverdraw });
  return id;
}

async function fund(accountId: string, amount: bigint): Promise<void> {
  const source = await newAccount(false);
  assert.deepEqual(await ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: source, creditAccountId: accountId, amount, code: 1 }]), ["ok"]);
}

describe("ledger store on embedded PostgreSQL", () => {
  test("200 concurrent debits of 10 against 100: exactly 10 succeed, balance never negative", async () => {
    const wallet = await newAccount(true);
    const sink = await newAccount(false);
    await fund(wallet, 100n);
    const results = await Promise.all(Array.from({ length: 200 }, () =>
      ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: wallet, creditAccountId: sink, amount: 10n, code: 1 }])));
    const codes = results.map((r) => r[0]);
    assert.equal(codes.filter((c) => c === "ok").length, 10);
    assert.equal(codes.filter((c) => c === "insufficient_funds").length, 190);
    const account = (await ledger.account(wallet))!;
    assert.equal(account.creditsPosted - account.debitsPosted, 0n);
    assert.ok(ledger.batcher.stats.batches < 200, "concurrent requests were grouped into fewer commits");
  });

  test("the same transfer submitted twice, even at once, is stored exactly once", async () => {
    const a = await newAccount(false);
    const b = await newAccount(false);
    const transfer = { id: randomUUID(), kind: "posted" as const, debitAccountId: a, creditAccountId: b, amount: 7n, code: 1 };
    const results = await Promise.all([ledger.submit([transfer]), ledger.submit([transfer]), ledger.submit([transfer])]);
    assert.deepEqual(results.map((r) => r[0]).sort(), ["exists", "exists", "ok"]);
    assert.equal((await ledger.account(b))!.creditsPosted, 7n);
  });

  test("pending transfers reserve, post and expire through the store and the sweeper", async () => {
    const wallet = await newAccount(true);
    const merchant = await newAccount(false);
    await fund(wallet, 100n);
    const held = randomUUID();
    const expiring = randomUUID();
    assert.deepEqual(await ledger.submit([{ id: held, kind: "pending", debitAccountId: wallet, creditAccountId: merchant, amount: 40n, code: 2 }]), ["ok"]);
    assert.deepEqual(await ledger.submit([{ id: expiring, kind: "pending", debitAccountId: wallet, creditAccountId: merchant, amount: 60n, timeoutMs: 5_000, code: 2 }]), ["ok"]);
    assert.deepEqual(await ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: wallet, creditAccountId: merchant, amount: 1n, code: 1 }]), ["insufficient_funds"]);
    assert.deepEqual(await ledger.submit([{ id: randomUUID(), kind: "post_pending", pendingId: held, amount: 30n, code: 2 }]), ["ok"]);
    now += 5_000;
    assert.equal(await ledger.expireDue(), 1);
    const account = (await ledger.account(wallet))!;
    assert.deepEqual([account.debitsPending, account.debitsPosted, account.creditsPosted], [0n, 30n, 100n]);
    assert.deepEqual(await ledger.submit([{ id: randomUUID(), kind: "void_pending", pendingId: expiring, code: 2 }]), ["pending_transfer_expired"]);
  });

  test("each stored balance equals the sum of its postings", async () => {
    const report = await ledger.verify();
    assert.ok(report.accounts > 5);
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.postingsSum, 0n);
  });

  test("the database itself refuses unbalanced entries, changed postings and overdrafts", async () => {
    const a = await newAccount(true);
    const b = await newAccount(false);
    const transferId = randomUUID();
    await fund(a, 5n);
    await ledger.submit([{ id: transferId, kind: "posted", debitAccountId: a, creditAccountId: b, amount: 5n, code: 1 }]);
    await assert.rejects(sql`INSERT INTO ledger_postings (transfer_id, account_id, currency, amount) VALUES (${transferId}::uuid, ${a}::uuid, 'KES', -1)`.execute(database.db), /unbalanced/);
    await assert.rejects(sql`UPDATE ledger_postings SET amount = amount * 2 WHERE transfer_id = ${transferId}::uuid`.execute(database.db), /append-only/);
    await assert.rejects(sql`DELETE FROM ledger_postings`.execute(database.db), /append-only/);
    await assert.rejects(sql`UPDATE ledger_transfers SET amount = 1 WHERE id = ${transferId}::uuid`.execute(database.db), /may not change/);
    await assert.rejects(sql`UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE id = ${a}::uuid`.execute(database.db), /debits_must_not_exceed_credits/);
    assert.deepEqual((await ledger.verify()).mismatches, []);
  });

  test("a frozen account is refused until unfrozen", async () => {
    const a = await newAccount(true);
    const b = await newAccount(false);
    await fund(a, 10n);
    assert.equal(await ledger.setFrozen(a, true), true);
    const transfer = { id: randomUUID(), kind: "posted" as const, debitAccountId: a, creditAccountId: b, amount: 1n, code: 1 };
    assert.deepEqual(await ledger.submit([transfer]), ["account_frozen"]);
    await ledger.setFrozen(a, false);
    assert.deepEqual(await ledger.submit([transfer]), ["ok"]);
  });

  test("a linked chain (payment and fee) commits whole or not at all", async () => {
    const payer = await newAccount(true);
    const merchant = await newAccount(false);
    const revenue = await newAccount(false);
    await fund(payer, 100n);
    const chain = (amount: bigint, fee: bigint) => [
      { id: randomUUID(), kind: "posted" as const, debitAccountId: payer, creditAccountId: merchant, amount, code: 3 },
      { id: randomUUID(), kind: "posted" as const, debitAccountId: payer, creditAccountId: revenue, amount: fee, code: 4 },
    ];
    assert.deepEqual(await ledger.submit(chain(99n, 2n)), ["linked_event_failed", "insufficient_funds"]);
    assert.deepEqual(await ledger.submit(chain(98n, 2n)), ["ok", "ok"]);
    assert.equal((await ledger.account(payer))!.debitsPosted, 100n);
  });
});
