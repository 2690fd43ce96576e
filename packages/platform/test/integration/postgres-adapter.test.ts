import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";
import { migrate, type Migration } from "../../src/db/migrations.js";
import { isObolError } from "../../src/errors/obol-error.js";
import { createTempDatabase, databaseUrlFromEnv, type TempDatabase } from "../support/postgres.js";

// The PostgreSQL half of what test/db proves on PGlite: same types, same migration rules, plus the advisory
// lock that only matters with real concurrent connections. Each file gets its own database on DATABASE_URL.
let temp: TempDatabase;
let database: Database;
before(async () => {
  temp = await createTempDatabase(databaseUrlFromEnv());
  database = await openDatabase({ url: temp.url, poolSize: 4 });
});
after(async () => {
  await database?.close();
  await temp?.drop();
});

const BEYOND_DOUBLE = 9_007_199_254_740_993n;

test("pg returns int8, sum(int8)::bigint, count(*) and int8[] as bigint, numeric as string", async () => {
  await sql`create table balances (id bigint primary key, amount bigint not null)`.execute(database.db);
  await database.db
    .insertInto("balances")
    .values([
      { id: 1n, amount: 5n },
      { id: 2n, amount: BEYOND_DOUBLE },
    ])
    .execute();
  assert.deepEqual(await database.db.selectFrom("balances").selectAll().orderBy("id").execute(), [
    { id: 1n, amount: 5n },
    { id: 2n, amount: BEYOND_DOUBLE },
  ]);
  const { rows } = await sql`
    select sum(amount)::bigint as total, count(*) as n, array[1::int8, null] as a, 1.50::numeric(10, 2) as rate
    from balances`.execute(database.db);
  assert.deepEqual(rows, [{ total: BEYOND_DOUBLE + 5n, n: 2n, a: [1n, null], rate: "1.50" }]);
});

const migrations: Migration[] = Array.from({ length: 5 }, (_, index) => ({
  module: "race",
  name: `00${index}`,
  sql: `create table race_${index} (id bigint primary key); insert into race_${index} values (${index})`,
}));

test("two processes migrating at once apply every migration exactly once", async () => {
  const other = await openDatabase({ url: temp.url, poolSize: 2 });
  try {
    const [first, second] = await Promise.all([migrate(database.db, migrations), migrate(other.db, migrations)]);
    const all = [...first.applied, ...second.applied].sort();
    assert.deepEqual(all, migrations.map((m) => `race/${m.name}`)); // each once, none twice, none missing
  } finally {
    await other.close();
  }
  const { rows } = await sql<{ n: bigint }>`select count(*) as n from schema_migrations where module = 'race'`.execute(
    database.db,
  );
  assert.deepEqual(rows, [{ n: 5n }]);
});

test("a changed applied migration is refused on PostgreSQL too", async () => {
  const changed = migrations.map((m, index) => (index === 2 ? { ...m, sql: m.sql.replace("(2)", "(20)") } : m));
  await assert.rejects(migrate(database.db, changed), (error: unknown) => isObolError(error, "ERR_MIGRATION_CHANGED"));
});
