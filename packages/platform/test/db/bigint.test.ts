import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";

// One in-memory PGlite per file: opening one costs 1.5–3 s.
let database: Database;
before(async () => {
  database = await openDatabase({ memory: true });
  await sql`create table accounts (id bigint primary key, balance bigint not null, rate numeric(20, 4))`.execute(database.db);
});
after(() => database.close());

const BEYOND_DOUBLE = 9_007_199_254_740_993n; // 2^53 + 1: a double would round it to …992

test("int8 columns come back as bigint, small and large values alike", async () => {
  await database.db
    .insertInto("accounts")
    .values([
      { id: 1n, balance: 5n, rate: "1.5" },
      { id: 2n, balance: BEYOND_DOUBLE, rate: null },
      { id: 3n, balance: -BEYOND_DOUBLE, rate: null },
    ])
    .execute();
  const rows = await database.db.selectFrom("accounts").selectAll().orderBy("id").execute();
  assert.deepEqual(rows, [
    { id: 1n, balance: 5n, rate: "1.5000" },
    { id: 2n, balance: BEYOND_DOUBLE, rate: null },
    { id: 3n, balance: -BEYOND_DOUBLE, rate: null },
  ]);
  // PGlite's default parser would return 5 (a number) here; the override must win.
  assert.equal(typeof rows[0]?.balance, "bigint");
});

test("sum(bigint) cast to bigint and count(*) are bigint; an uncast sum is a numeric string", async () => {
  const { rows } = await sql<{ total: bigint; raw: string; n: bigint }>`
    select sum(balance)::bigint as total, sum(balance) as raw, count(*) as n
    from accounts where id in (1, 2)`.execute(database.db);
  assert.deepEqual(rows, [{ total: BEYOND_DOUBLE + 5n, raw: (BEYOND_DOUBLE + 5n).toString(), n: 2n }]);
});

test("bigint parameters round-trip exactly, through the simple and the extended protocol", async () => {
  const extended = await sql<{ v: bigint }>`select ${BEYOND_DOUBLE}::bigint as v`.execute(database.db);
  assert.deepEqual(extended.rows, [{ v: BEYOND_DOUBLE }]);
  const simple = await sql<{ v: bigint }>`select 9223372036854775807::bigint as v`.execute(database.db);
  assert.deepEqual(simple.rows, [{ v: 9_223_372_036_854_775_807n }]);
});

test("int8[] elements are bigint", async () => {
  const { rows } = await sql<{ a: Array<bigint | null> }>`select array[1::int8, null, ${BEYOND_DOUBLE}::int8] as a`.execute(
    database.db,
  );
  assert.deepEqual(rows, [{ a: [1n, null, BEYOND_DOUBLE] }]);
});

test("int4 stays a number", async () => {
  const { rows } = await sql<{ v: number }>`select 7::int4 as v`.execute(database.db);
  assert.deepEqual(rows, [{ v: 7 }]);
});
