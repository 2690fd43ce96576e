import { createHash } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import { ObolError } from "../errors/obol-error.js";

/**
 * A forward-only schema change owned by a module. `sql` may hold several statements; it runs in one
 * transaction together with its bookkeeping row, so it must not use statements that refuse to run inside a
 * transaction block (CREATE INDEX CONCURRENTLY, VACUUM, ALTER TYPE … ADD VALUE on PG < 12).
 * Once applied, a migration must never change: fix mistakes with a new migration.
 */
export type Migration = { module: string; name: string; sql: string };

export type AppliedMigration = { module: string; name: string; checksum: string };

export type MigrationProgress =
  | { status: "skipped"; id: string }
  | { status: "applied"; id: string; durationMs: number };

/**
 * Key for pg_advisory_xact_lock, fixed so that every Obol process contends for the same lock:
 * 0x6f626f6c6d696772 is ASCII "obolmigr". Transaction-scoped, so a crashed migrator cannot leave it held.
 */
export const MIGRATION_LOCK_KEY = 0x6f626f6c6d696772n;

export function migrationId(migration: { module: string; name: string }): string {
  return `${migration.module}/${migration.name}`;
}

/** sha256 (hex) of the exact SQL text; whitespace changes count as changes. */
export function migrationChecksum(sqlText: string): string {
  return createHash("sha256").update(sqlText, "utf8").digest("hex");
}

/**
 * Pure core: which of `migrations` still need to run, given what the database has recorded. Throws
 * ERR_MIGRATION_INVALID for malformed or duplicate entries and ERR_MIGRATION_CHANGED when an applied
 * migration's SQL no longer matches its recorded checksum.
 */
export function planMigrations(migrations: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const seen = new Set<string>();
  for (const migration of migrations) {
    if (!migration.module || !migration.name || !migration.sql.trim()) {
      throw new ObolError("ERR_MIGRATION_INVALID", `Migration ${migrationId(migration)} needs a module, a name and SQL`);
    }
    const id = migrationId(migration);
    if (seen.has(id)) throw new ObolError("ERR_MIGRATION_INVALID", `Migration ${id} is listed twice`);
    seen.add(id);
  }
  const recorded = new Map(applied.map((row) => [migrationId(row), row.checksum]));
  const pending: Migration[] = [];
  for (const migration of migrations) {
    const checksum = recorded.get(migrationId(migration));
    if (checksum === undefined) pending.push(migration);
    else assertUnchanged(migration, checksum);
  }
  return pending;
}

function assertUnchanged(migration: Migration, recordedChecksum: string): void {
  const actualChecksum = migrationChecksum(migration.sql);
  if (actualChecksum !== recordedChecksum) {
    const id = migrationId(migration);
    throw new ObolError(
      "ERR_MIGRATION_CHANGED",
      `Migration ${id} was already applied with different SQL (recorded sha256 ${recordedChecksum}, ` +
        `now ${actualChecksum}). Applied migrations are immutable: restore the original SQL and add a new migration.`,
      { module: migration.module, name: migration.name, recordedChecksum, actualChecksum },
    );
  }
}

/**
 * Applies the pending migrations in the order given, each in its own transaction together with its row in
 * schema_migrations. Every transaction first takes a cluster-wide advisory lock, so processes that start at
 * the same time migrate one after another; whoever comes second re-reads the table under the lock and skips
 * what the first one applied. All checksums are verified before anything new runs.
 */
export async function migrate(
  db: Kysely<any>,
  migrations: readonly Migration[],
  onProgress?: (progress: MigrationProgress) => void,
): Promise<{ applied: string[] }> {
  await db.transaction().execute(async (trx) => {
    await lockMigrations(trx);
    await sql`
      create table if not exists schema_migrations (
        module text not null,
        name text not null,
        checksum text not null,
        applied_at timestamptz not null default now(),
        primary key (module, name)
      )`.execute(trx);
  });

  const pending = planMigrations(migrations, await readApplied(db));
  const pendingIds = new Set(pending.map(migrationId));
  for (const migration of migrations) {
    if (!pendingIds.has(migrationId(migration))) onProgress?.({ status: "skipped", id: migrationId(migration) });
  }

  const applied: string[] = [];
  for (const migration of pending) {
    const id = migrationId(migration);
    const startedAt = performance.now();
    const ran = await db.transaction().execute(async (trx) => {
      await lockMigrations(trx);
      const row = await trx
        .selectFrom("schema_migrations")
        .select("checksum")
        .where("module", "=", migration.module)
        .where("name", "=", migration.name)
        .executeTakeFirst();
      if (row) {
        assertUnchanged(migration, row.checksum as string); // another process applied it meanwhile
        return false;
      }
      await sql.raw(migration.sql).execute(trx);
      await trx
        .insertInto("schema_migrations")
        .values({ module: migration.module, name: migration.name, checksum: migrationChecksum(migration.sql) })
        .execute();
      return true;
    });
    if (ran) {
      applied.push(id);
      onProgress?.({ status: "applied", id, durationMs: performance.now() - startedAt });
    } else {
      onProgress?.({ status: "skipped", id });
    }
  }
  return { applied };
}

async function lockMigrations(trx: Transaction<any>): Promise<void> {
  await sql`select pg_advisory_xact_lock(${sql.lit(MIGRATION_LOCK_KEY.toString())}::bigint)`.execute(trx);
}

async function readApplied(db: Kysely<any>): Promise<AppliedMigration[]> {
  return (await db.selectFrom("schema_migrations").select(["module", "name", "checksum"]).execute()) as AppliedMigration[];
}
