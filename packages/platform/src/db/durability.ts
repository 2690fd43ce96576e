import { sql } from "kysely";
import { ObolError } from "../errors/obol-error.js";
import type { Database, DatabaseKind } from "./database.js";

/** One reason the storage could lose acknowledged commits, with the fix an operator should apply. */
export type DurabilityProblem = { setting: string; value: string; message: string };

export type DurabilityReport = {
  kind: DatabaseKind;
  /** Server settings as read (PostgreSQL only; empty for PGlite). */
  settings: Record<string, string>;
  problems: DurabilityProblem[];
};

/** Server settings read from PostgreSQL. default_transaction_isolation is reported, not judged. */
export const DURABILITY_SETTINGS = ["fsync", "synchronous_commit", "full_page_writes", "default_transaction_isolation"] as const;

const PGLITE_PROBLEM: DurabilityProblem = {
  setting: "storage",
  value: "pglite",
  message:
    "PGlite (embedded storage) never calls fsync: committed payments survive a process crash but not an OS " +
    "crash or power loss. Set DATABASE_URL to a PostgreSQL server for production.",
};

/**
 * Pure core: what is unsafe about these settings.
 *
 * synchronous_commit: only `off` is refused. `on`, `remote_apply`, `remote_write` and `local` all wait until
 * the commit's WAL is flushed to the local disk before acknowledging; they differ only in how long they also
 * wait for synchronous standbys, and without standbys they behave identically. `off` acknowledges before the
 * flush, so the last commits (up to 3 × wal_writer_delay) can vanish after an OS crash although the client
 * was told they succeeded. Choosing the standby level is a replication decision, not a local durability one.
 */
export function assessDurability(kind: DatabaseKind, settings: Record<string, string>): DurabilityProblem[] {
  if (kind === "pglite") return [PGLITE_PROBLEM];
  const problems: DurabilityProblem[] = [];
  const value = (name: string) => (settings[name] ?? "").trim().toLowerCase();
  if (value("fsync") === "off") {
    problems.push({
      setting: "fsync",
      value: "off",
      message:
        "fsync=off: PostgreSQL does not force writes to disk, so an OS crash or power loss can corrupt the " +
        "database and lose committed payments. Fix: set `fsync = on` in postgresql.conf (or ALTER SYSTEM SET " +
        "fsync = on) and reload the server.",
    });
  }
  if (value("synchronous_commit") === "off") {
    problems.push({
      setting: "synchronous_commit",
      value: "off",
      message:
        "synchronous_commit=off: commits are acknowledged before their WAL reaches the disk, so the latest " +
        "acknowledged payments can be lost after a crash. Fix: set `synchronous_commit = on` in " +
        "postgresql.conf (or ALTER SYSTEM SET synchronous_commit = on) and reload; also remove any " +
        "ALTER ROLE/ALTER DATABASE … SET synchronous_commit = off for the Obol role and database.",
    });
  }
  if (value("full_page_writes") === "off") {
    problems.push({
      setting: "full_page_writes",
      value: "off",
      message:
        "full_page_writes=off: a crash during a page write can leave torn pages that WAL replay cannot " +
        "repair. Fix: set `full_page_writes = on` in postgresql.conf (or ALTER SYSTEM SET full_page_writes " +
        "= on) and reload the server.",
    });
  }
  return problems;
}

/**
 * Reads the storage's durability settings. In production any problem is refused with ERR_UNSAFE_STORAGE
 * (details: the problems); outside production the report is returned so the caller can warn.
 */
export async function checkDurability(database: Database, options: { production: boolean }): Promise<DurabilityReport> {
  const settings = database.kind === "postgres" ? await readSettings(database) : {};
  const problems = assessDurability(database.kind, settings);
  if (options.production && problems.length > 0) {
    throw new ObolError(
      "ERR_UNSAFE_STORAGE",
      `Refusing to run in production on storage that can lose committed payments:\n` +
        problems.map((problem) => `- ${problem.message}`).join("\n"),
      { kind: database.kind, problems },
    );
  }
  return { kind: database.kind, settings, problems };
}

async function readSettings(database: Database): Promise<Record<string, string>> {
  // current_setting(name) is SHOW as a function: one round trip, and it sees ALTER ROLE/DATABASE overrides
  // exactly as our sessions do.
  const { rows } = await sql<Record<string, string>>`select ${sql.join(
    DURABILITY_SETTINGS.map((name) => sql`current_setting(${sql.lit(name)}) as ${sql.id(name)}`),
  )}`.execute(database.db);
  const row = rows[0];
  if (!row) throw new ObolError("ERR_DB_UNAVAILABLE", "Reading the server settings returned no row");
  return row;
}
