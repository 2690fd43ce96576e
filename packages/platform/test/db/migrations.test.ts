import { after, before, beforeEach, test } from "node:test";
import assert from "node:assert/strict";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";
import {
  migrate,
  migrationChecksum,
  planMigrations,
  type Migration,
  type MigrationProgress,
} from "../../src/db/migrations.js";
import { isObolError } from "../../src/errors/obol-error.js";

let database: Database;
before(async () => {
  database = await openDatabase({ memory: true });
});
after(() => database.close());
beforeEach(async () => {
  await sql`drop table if exists schema_migrations; drop table if exists wallets; drop table if exists fees`.execute(database.db);
});

const createWallets: Migration = { module: "wallets", name: "001-create", sql: "create table wallets (id bigint primary key)" };
const addBalance: Migration = {
  module: "wallets",
  name: "002-balance",
  sql: "alter table wallets add column balance bigint not null default 0; create index wallets_balance on wallets (balance)",
};
const createFees: Migration = { module: "fees", name: "001-create", sql: "create table fees (id bigint primary key)" };

test("applies each migration once, in the given order, and records its checksum", async () => {
  const progress: MigrationProgress[] = [];
  const first = await migrate(database.db, [createWallets, addBalance, createFees], (event) => progress.push(event));
  assert.deepEqual(first.applied, ["wallets/001-create", "wallets/002-balance", "fees/001-create"]);
  assert.deepEqual(
    progress.map((event) => `${event.status} ${event.id}`),
    ["applied wallets/001-create", "applied wallets/002-balance", "applied fees/001-create"],
  );

  const rows = await database.db.selectFrom("schema_migrations").select(["module", "name", "checksum"]).orderBy("applied_at").execute();
  assert.deepEqual(
    rows.map((row) => [row.module, row.name, row.checksum]),
    [createWallets, addBalance, createFees].map((m) => [m.module, m.name, migrationChecksum(m.sql)]),
  );
  await database.db.insertInto("wallets").values({ id: 1n, balance: 10n }).execute(); // the schema really exists
});

test("a second run skips what is applied and applies only the new ones", async () => {
  await migrate(database.db, [createWallets]);
  const progress: MigrationProgress[] = [];
  const second = await migrate(database.db, [createWallets, addBalance], (event) => progress.push(event));
  assert.deepEqual(second.applied, ["wallets/002-balance"]);
  assert.deepEqual(progress.map((event) => event.status), ["skipped", "applied"]);
  const third = await migrate(database.db, [createWallets, addBalance]);
  assert.deepEqual(third.applied, []);
});

test("an applied migration whose SQL changed is refused with ERR_MIGRATION_CHANGED, before anything new runs", async () => {
  await migrate(database.db, [createWallets]);
  const edited = { ...createWallets, sql: createWallets.sql + " -- tweaked" };
  await assert.rejects(migrate(database.db, [edited, createFees]), (error: unknown) => {
    assert.ok(isObolError(error, "ERR_MIGRATION_CHANGED"), String(error));
    assert.match(error.message, /wallets\/001-create/);
    return true;
  });
  const { rows } = await sql<{ fees: string | null }>`select to_regclass('fees')::text as fees`.execute(database.db);
  assert.deepEqual(rows, [{ fees: null }]);
});

test("a failing migration leaves neither its changes nor its record behind", async () => {
  const broken: Migration = { module: "fees", name: "001-create", sql: "create table fees (id bigint); select 1/0" };
  await assert.rejects(migrate(database.db, [createWallets, broken]), /division by zero/);
  const { rows } = await sql<{ fees: string | null }>`select to_regclass('fees')::text as fees`.execute(database.db);
  assert.deepEqual(rows, [{ fees: null }]);
  const recorded = await database.db.selectFrom("schema_migrations").select("name").execute();
  assert.deepEqual(recorded, [{ name: "001-create" }]); // wallets/001-create, committed before the failure
  assert.deepEqual((await migrate(database.db, [createWallets, createFees])).applied, ["fees/001-create"]);
});

test("planMigrations refuses duplicates and empty SQL", () => {
  assert.throws(() => planMigrations([createWallets, { ...createWallets }], []), (error: unknown) =>
    isObolError(error, "ERR_MIGRATION_INVALID"),
  );
  assert.throws(() => planMigrations([{ module: "m", name: "n", sql: "  " }], []), (error: unknown) =>
    isObolError(error, "ERR_MIGRATION_INVALID"),
  );
  assert.deepEqual(
    planMigrations([createWallets, createFees], [{ module: "fees", name: "001-create", checksum: migrationChecksum(createFees.sql) }]),
    [createWallets],
  );
});
