import { mkdir } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { ObolError } from "../errors/obol-error.js";
import { INT8_OID, int8AsBigintTypes, parseInt8 } from "./int8-parsing.js";
import { PGliteDialect } from "./pglite-dialect.js";
import { isNewPgliteDir } from "./pglite-template.js";

export type DatabaseKind = "pglite" | "postgres";

export type Database = {
  kind: DatabaseKind;
  db: Kysely<any>;
  close(): Promise<void>;
};

export type DatabaseConfig = {
  /** A postgres:// URL (DATABASE_URL). When set, PostgreSQL through a pg.Pool; otherwise embedded PGlite. */
  url?: string;
  /** PGlite only: where its files live. Default `./data/pglite`, relative to the working directory. */
  dataDir?: string;
  /** PGlite only: keep everything in memory (tests). */
  memory?: boolean;
  /** PGlite only: an empty cluster to unpack into a new data directory instead of running initdb (db/pglite-template.ts). */
  template?: Blob | undefined;
  /** PostgreSQL only: connections in the pool. */
  poolSize?: number;
  /** PostgreSQL only: how long to wait for a connection (new or from the pool) before failing. */
  connectTimeoutMs?: number;
  /** PostgreSQL only: errors of idle pooled connections (e.g. the server restarted). Default: ignored. */
  onIdleConnectionError?: (error: Error) => void;
};

export const DEFAULT_PGLITE_DATA_DIR = "./data/pglite";
/**
 * PGlite zeroes its shared buffers at every start: initdb's default 128 MB costs about half a second of the
 * start. The embedded store holds development and demo data (production and the benchmarks use PostgreSQL),
 * which 16 MB of buffers holds whole; the operating system caches the files too.
 */
export const pgliteStartSettings = ["-c", "shared_buffers=16MB"];
export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Opens the storage: PostgreSQL when a URL is given, PGlite otherwise. Both return int8 as bigint and
 * numeric as string. For PostgreSQL a first query runs here so that a wrong URL fails at startup.
 */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  if (config.url !== undefined) {
    if (config.dataDir !== undefined || config.memory) {
      throw new ObolError("ERR_DB_CONFIG", "Give either a PostgreSQL url or PGlite options (dataDir/memory), not both");
    }
    return openPostgres(config.url, config);
  }
  if (config.poolSize !== undefined) {
    throw new ObolError("ERR_DB_CONFIG", "poolSize applies to PostgreSQL only; PGlite has a single connection");
  }
  if (config.memory && config.dataDir !== undefined) {
    throw new ObolError("ERR_DB_CONFIG", "Give either memory: true or a dataDir for PGlite, not both");
  }
  return openPglite(config.memory ? undefined : (config.dataDir ?? DEFAULT_PGLITE_DATA_DIR), config.template);
}

async function openPostgres(url: string, config: DatabaseConfig): Promise<Database> {
  const poolSize = config.poolSize ?? DEFAULT_POOL_SIZE;
  if (!Number.isInteger(poolSize) || poolSize < 1) {
    throw new ObolError("ERR_DB_CONFIG", `poolSize must be a positive integer, got ${poolSize}`);
  }
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: config.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    application_name: "obol",
    // A half-open connection (a peer gone without a FIN) is noticed by TCP keepalives instead of never.
    keepAlive: true,
    types: int8AsBigintTypes,
  });
  // A pg client emits 'error' when its connection dies (pg_terminate_backend, a server restart, a cut
  // network). Without a listener that is an unhandled 'error' event and kills the process. The pool
  // listens only while a client is idle; a client checked out by a transaction, between two of its
  // queries, has no listener of the pool's. So every client gets one of its own for its whole life:
  // the query in flight (or the next one) fails with the connection error, the request answers 503
  // (db/unavailable.ts), and a broken client is not queryable, so the pool discards it on release.
  pool.on("connect", (client) => client.on("error", () => {}));
  // Idle clients: the pool already drops that connection; the next query reconnects.
  pool.on("error", (error) => config.onIdleConnectionError?.(error));
  try {
    await pool.query("select 1");
  } catch (error) {
    await pool.end().catch(() => {});
    throw new ObolError("ERR_DB_UNAVAILABLE", `Cannot connect to PostgreSQL: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool }) });
  return { kind: "postgres", db, close: () => db.destroy() };
}

async function openPglite(dataDir: string | undefined, template: Blob | undefined): Promise<Database> {
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const unpack = template !== undefined && (dataDir === undefined || isNewPgliteDir(dataDir));
  // PGlite's own int8 parser returns a number when the value fits in 2^53 and a bigint otherwise, so a
  // column's JS type would depend on its value. Override it to always return bigint, like the pg pool.
  const pglite = await PGlite.create({
    ...(dataDir !== undefined ? { dataDir } : {}),
    ...(unpack ? { loadDataDir: template } : {}),
    startParams: [...PGlite.defaultStartParams, ...pgliteStartSettings],
    parsers: { [INT8_OID]: parseInt8 },
  });
  const db = new Kysely<any>({ dialect: new PGliteDialect(pglite) });
  return { kind: "pglite", db, close: () => db.destroy() };
}
