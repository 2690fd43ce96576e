import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

/**
 * The reference bank's storage: embedded PGlite (a directory, or memory) or a PostgreSQL server
 * (OBOL_BANK_DATABASE_URL). Raw parameterized SQL behind a two-method interface: the bank has a
 * dozen statements, and depending on @obol/platform's Kysely helpers would make a cycle (the
 * platform embeds the bank). int8 always comes back as bigint, on both drivers.
 */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters): migrations. */
  exec(script: string): Promise<void>;
}

export interface BankDatabase extends Sql {
  readonly kind: "pglite" | "postgres";
  /** Runs `work` in one transaction; retried on serialization failures and deadlocks. */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const INT8_OID = 20;
const transactionAttemptsMax = 8;
const retryableSqlStates = new Set(["40001", "40P01"]);

/**
 * `template`: an empty PGlite cluster (a tar, PGlite's dumpDataDir format) to unpack into a new data directory
 * instead of running initdb, which is most of a first start's time; the platform's build makes one.
 */
export async function openBankDatabase(options: { url?: string | undefined; dataDir?: string | undefined; poolSize?: number; template?: Blob | undefined }): Promise<BankDatabase> {
  if (options.url !== undefined) return openPostgres(options.url, options.poolSize ?? 5);
  return openPglite(options.dataDir, options.template);
}

async function openPglite(dataDir: string | undefined, template: Blob | undefined): Promise<BankDatabase> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const unpack = template !== undefined && (dataDir === undefined || !existsSync(join(dataDir, "PG_VERSION")));
  const db = await PGlite.create({
    ...(dataDir === undefined ? {} : { dataDir }), ...(unpack ? { loadDataDir: template } : {}), parsers: { [INT8_OID]: (value: string) => BigInt(value) },
    // The bank's embedded data is small; 16 MB of shared buffers (not initdb's 128 MB, zeroed at every start) holds it whole.
    startParams: [...PGlite.defaultStartParams, "-c", "shared_buffers=16MB"],
  });
  const sql = (runner: { query: PGlite["query"]; exec: PGlite["exec"] }): Sql => ({
    query: async <T>(text: string, params: readonly unknown[] = []) => (await runner.query<T>(text, params as unknown[])).rows,
    exec: async (script: string) => { await runner.exec(script); },
  });
  return {
    kind: "pglite",
    ...sql(db),
    // PGlite is one session: its transaction() runs exclusively, other queries wait for it.
    transaction: (work) => db.transaction((tx) => work(sql(tx))),
    close: () => db.close(),
  };
}

async function openPostgres(url: string, poolSize: number): Promise<BankDatabase> {
  const pool = new pg.Pool({
    connectionString: url, max: poolSize, application_name: "obol-bank", connectionTimeoutMillis: 10_000,
    types: { getTypeParser: (oid: number, format?: "text" | "binary") => (oid === INT8_OID ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format ?? "text")) } as pg.CustomTypesConfig,
  });
  pool.on("error", () => { /* an idle connection died; the pool replaces it */ });
  await pool.query("select 1");
  const run = (client: pg.Pool | pg.PoolClient): Sql => ({
    query: async <T>(text: string, params: readonly unknown[] = []) => (await client.query(text, params as unknown[])).rows as T[],
    // Without parameters pg uses the simple query protocol, which runs several statements.
    exec: async (script: string) => { await client.query(script); },
  });
  return {
    kind: "postgres",
    ...run(pool),
    async transaction(work) {
      for (let attempt = 1; ; attempt += 1) {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const result = await work(run(client));
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          const state = (error as { code?: string }).code;
          if (state === undefined || !retryableSqlStates.has(state) || attempt >= transactionAttemptsMax) throw error;
        } finally {
          client.release();
        }
      }
    },
    close: () => pool.end(),
  };
}
