import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";

let database: Database;
before(async () => {
  database = await openDatabase({ memory: true });
  await sql`create table counters (id int primary key, value bigint not null)`.execute(database.db);
});
after(() => database.close());

test("a query issued during another caller's transaction waits and never sees its uncommitted rows", async () => {
  await sql`create table pending (id int)`.execute(database.db);
  let insideTransaction: () => void = () => {};
  const transactionStarted = new Promise<void>((resolve) => (insideTransaction = resolve));

  const transaction = database.db
    .transaction()
    .execute(async (trx) => {
      await trx.insertInto("pending").values({ id: 1 }).execute();
      insideTransaction();
      await sleep(50);
      throw new Error("roll back on purpose");
    })
    .catch((error: Error) => error.message);

  await transactionStarted;
  // On one shared PGlite session without serialization this would run inside the open transaction and count 1.
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from pending`.execute(database.db);
  assert.equal(await transaction, "roll back on purpose");
  assert.deepEqual(rows, [{ n: 0n }]);
});

test("concurrent read-modify-write transactions do not interleave", async () => {
  await database.db.insertInto("counters").values({ id: 1, value: 0n }).execute();
  const increments = 20;
  await Promise.all(
    Array.from({ length: increments }, () =>
      database.db.transaction().execute(async (trx) => {
        const row = await trx.selectFrom("counters").select("value").where("id", "=", 1).executeTakeFirstOrThrow();
        await sleep(1); // give any other caller the chance to slip in between read and write
        await trx.updateTable("counters").set({ value: (row.value as bigint) + 1n }).where("id", "=", 1).execute();
      }),
    ),
  );
  const row = await database.db.selectFrom("counters").select("value").where("id", "=", 1).executeTakeFirstOrThrow();
  assert.equal(row.value, BigInt(increments));
});

test("savepoints roll back only their part", async () => {
  await sql`create table saved (id int)`.execute(database.db);
  const trx = await database.db.startTransaction().execute();
  await trx.insertInto("saved").values({ id: 1 }).execute();
  const inner = await trx.savepoint("before second").execute();
  await inner.insertInto("saved").values({ id: 2 }).execute();
  await inner.rollbackToSavepoint("before second").execute();
  await trx.commit().execute();
  const rows = await database.db.selectFrom("saved").select("id").execute();
  assert.deepEqual(rows, [{ id: 1 }]);
});

test("a failed query releases the connection and reports affected rows afterwards", async () => {
  await assert.rejects(sql`select * from no_such_table`.execute(database.db), /no_such_table/);
  const result = await database.db.updateTable("counters").set({ value: 0n }).where("id", "=", 1).executeTakeFirst();
  assert.equal(result.numUpdatedRows, 1n);
});

test("several statements without parameters run in one call", async () => {
  const { rows } = await sql<{ n: number }>`create table multi (id int); insert into multi values (1), (2); select count(*)::int as n from multi`.execute(
    database.db,
  );
  assert.deepEqual(rows, [{ n: 2 }]);
});
