/**
 * Throwaway PostgreSQL 15 clusters for integration tests: initdb into a temp dir, listen on loopback only,
 * trust auth, gone after stop(). Uses the Debian binaries explicitly (not whatever `pg_ctl` is on PATH) so a
 * fresh CI machine and a dev machine run the same thing.
 */
import { execFile } from "node:child_process";
import { chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";

const run = promisify(execFile);

export const POSTGRES_BIN_DIR = process.env.OBOL_PG_BIN_DIR ?? "/usr/lib/postgresql/15/bin";

export type ThrowawayPostgres = {
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
  /** Stops the server but keeps its files (outage tests): `fast` disconnects everyone and checkpoints; `immediate` is a crash. */
  halt(mode?: "fast" | "immediate"): Promise<void>;
  /** Starts a halted server again, on the same port. */
  resume(): Promise<void>;
};

export type StartPostgresOptions = {
  /** Extra server settings, passed as `-c name=value` (e.g. `{ fsync: "off" }`). */
  settings?: Record<string, string>;
  /** Fixed port; default: a free one. */
  port?: number;
};

/** DATABASE_URL for integration tests. Fails (not skips) when it is missing, so CI cannot pass vacuously. */
export function databaseUrlFromEnv(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error(
      "DATABASE_URL is not set. Integration tests need a PostgreSQL server: run them with " +
        "`npm run test:integration` (it starts a throwaway cluster) or export DATABASE_URL=postgres://…",
    );
  }
  return url;
}

const isRoot = process.getuid?.() === 0;

/** PostgreSQL refuses to run as root, so as root every server command runs as the `postgres` user. */
async function runAsServerUser(command: string, args: string[]): Promise<void> {
  const [file, fileArgs] = isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  await run(file, fileArgs, { timeout: 60_000 });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function settingArgs(settings: Record<string, string>): string {
  return Object.entries(settings)
    .map(([name, value]) => {
      // pg_ctl hands -o to a shell; refuse anything that would need quoting instead of quoting it.
      if (!/^[a-z_.]+$/.test(name) || !/^[\w.:-]+$/.test(value)) throw new Error(`Unsupported setting ${name}=${value}`);
      return ` -c ${name}=${value}`;
    })
    .join("");
}

export async function startPostgres(options: StartPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const dir = await mkdtemp(join(tmpdir(), "obol-pg-"));
  const dataDir = join(dir, "data");
  const logFile = join(dir, "server.log");
  try {
    if (isRoot) {
      const { stdout } = await run("id", ["-u", "postgres"]);
      const { stdout: gid } = await run("id", ["-g", "postgres"]);
      await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    }
    // --no-sync: a throwaway cluster does not need its initial files fsynced; saves time on every start.
    await runAsServerUser(join(POSTGRES_BIN_DIR, "initdb"), [
      "-D", dataDir, "-A", "trust", "-U", "postgres", "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
    ]);
    const attemptsMax = options.port === undefined ? 3 : 1;
    for (let attempt = 1; ; attempt++) {
      const port = options.port ?? (await freePort());
      try {
        // -l: without a log file the server inherits pg_ctl's stdout and execFile would wait for it forever.
        await runAsServerUser(join(POSTGRES_BIN_DIR, "pg_ctl"), [
          "-D", dataDir, "-l", logFile, "-w", "-t", "30",
          "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${settingArgs(options.settings ?? {})}`,
          "start",
        ]);
      } catch (error) {
        if (attempt < attemptsMax) continue; // the free port was taken between probing and binding
        const log = await readFile(logFile, "utf8").catch(() => "");
        throw new Error(`PostgreSQL did not start on port ${port}: ${(error as Error).message}\n${log.slice(-2000)}`);
      }
      const pgCtl = (args: string[]) => runAsServerUser(join(POSTGRES_BIN_DIR, "pg_ctl"), ["-D", dataDir, ...args]);
      const halt = (mode: "fast" | "immediate" = "fast") => pgCtl(["-m", mode, "-w", "stop"]);
      const resume = () => pgCtl(["-l", logFile, "-w", "-t", "60", "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1${settingArgs(options.settings ?? {})}`, "start"]);
      let stopped: Promise<void> | undefined;
      const stop = () =>
        (stopped ??= (async () => {
          await runAsServerUser(join(POSTGRES_BIN_DIR, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"]).catch(() => {});
          await rm(dir, { recursive: true, force: true });
        })());
      return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, dir, stop, halt, resume };
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export type TempDatabase = { url: string; drop(): Promise<void> };

/**
 * A fresh database on the server at `serverUrl`, so that test files running in parallel against one
 * DATABASE_URL never see each other's tables (schema_migrations included).
 */
export async function createTempDatabase(serverUrl: string): Promise<TempDatabase> {
  const name = `obol_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await withClient(serverUrl, (client) => client.query(`create database ${name}`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => withClient(serverUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => {}),
  };
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
