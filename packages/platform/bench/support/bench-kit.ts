/**
 * What every benchmark of this package shares: the run log, latency samples and percentiles,
 * scratch databases, pgbench's tpcb-like baseline measured on the same PostgreSQL in the same run,
 * the environment header and the result table with each row's ratio to pgbench.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { POSTGRES_BIN_DIR } from "../../test/support/postgres.js";

const execFileAsync = promisify(execFile);

/** Length of each measured phase. pgbench's -T takes whole seconds, so this is an integer. */
export const BENCH_SECONDS = parseSeconds(process.env.BENCH_SECONDS, 20);
export const PGBENCH_SCALE = 10;
export const PGBENCH_CLIENTS = 8;
export const PGBENCH_THREADS = 2;

export function parseSeconds(text: string | undefined, fallback: number): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 3_600) throw new Error(`BENCH_SECONDS must be an integer in 1..3600, got ${text}`);
  return value;
}

// ── output ──────────────────────────────────────────────────────────────────────────────────────────────────
const benchStartedAt = performance.now();
export function log(message: string): void {
  const at = ((performance.now() - benchStartedAt) / 1000).toFixed(1).padStart(6);
  console.log(`[${at} s] ${message}`);
}

export interface Row {
  name: string;
  /** Committed transactions (pgbench) or acknowledged transfers (ledger) per second. */
  perSecond: number;
  p50Ms: number | undefined;
  p99Ms: number | undefined;
  note: string;
}

export function percentile(sorted: Float64Array, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Latency samples, kept as numbers in a growable typed array: a 60 s phase can record a few million. */
export class Samples {
  private values = new Float64Array(1 << 16);
  length = 0;
  push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }
  sorted(): Float64Array {
    return this.values.slice(0, this.length).sort();
  }
}

export function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

// ── databases ───────────────────────────────────────────────────────────────────────────────────────────────
export function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function adminQuery<T extends pg.QueryResultRow>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE with a name of our own (no user input reaches the SQL); returns its URL and a dropper. */
export async function createScratchDatabase(serverUrl: string, purpose: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `obol_bench_${purpose}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(serverUrl, `create database ${name}`);
  return {
    name,
    url: withDatabase(serverUrl, name),
    drop: async () => { await adminQuery(serverUrl, `drop database if exists ${name} with (force)`); },
  };
}

// ── pgbench ─────────────────────────────────────────────────────────────────────────────────────────────────
export function findPgbench(): string {
  const candidates = [join(POSTGRES_BIN_DIR, "pgbench"), "/usr/lib/postgresql/15/bin/pgbench", "/usr/bin/pgbench"];
  const found = candidates.find((path) => existsSync(path));
  if (found === undefined) throw new Error(`pgbench not found (looked at ${candidates.join(", ")}); install postgresql-contrib or postgresql-15`);
  return found;
}

/** pgbench connects with libpq environment variables, so a password never shows up in `ps`. */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env, PGHOST: parsed.hostname, PGPORT: parsed.port || "5432", PGDATABASE: decodeURIComponent(parsed.pathname.slice(1)) };
  if (parsed.username) env.PGUSER = decodeURIComponent(parsed.username);
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  const sslmode = parsed.searchParams.get("sslmode");
  if (sslmode !== null) env.PGSSLMODE = sslmode;
  return env;
}

export let runningChild: ReturnType<typeof spawn> | undefined;

export function runCommand(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    runningChild = child;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on("data", (chunk: Buffer) => { output += chunk.toString(); });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      runningChild = undefined;
      if (code === 0) resolve(output);
      else reject(new Error(`${file} ${args.join(" ")} exited with ${code ?? signal}:\n${output.slice(-2_000)}`));
    });
  });
}

export async function runPgbench(serverUrl: string): Promise<Row> {
  const pgbench = findPgbench();
  const database = await createScratchDatabase(serverUrl, "pgbench");
  const logDir = await mkdtemp(join(tmpdir(), "obol-pgbench-"));
  try {
    const env = libpqEnv(database.url);
    log(`pgbench: initialising scale ${PGBENCH_SCALE} (${PGBENCH_SCALE * 100_000} accounts) in ${database.name}`);
    await runCommand(pgbench, ["-i", "-s", String(PGBENCH_SCALE), "-q"], env);
    log(`pgbench: tpcb-like, ${PGBENCH_CLIENTS} clients, ${PGBENCH_THREADS} threads, ${BENCH_SECONDS} s`);
    // -l writes one line per transaction (3rd field: latency in µs), the only way to get pgbench's p50/p99.
    const output = await runCommand(pgbench, [
      "-c", String(PGBENCH_CLIENTS), "-j", String(PGBENCH_THREADS), "-T", String(BENCH_SECONDS),
      "-l", `--log-prefix=${join(logDir, "pgbench_log")}`,
    ], env);
    // PostgreSQL 14+ prints "(without initial connection time)", older versions "(excluding connections establishing)".
    const match = /^tps = ([\d.]+) \((?:without initial connection time|excluding connections establishing)\)/m.exec(output);
    if (match === null) throw new Error(`no tps line in pgbench output:\n${output}`);
    const failed = /^number of failed transactions: (\d+)/m.exec(output)?.[1];
    const latencies = new Samples();
    for (const file of await readdir(logDir)) {
      for (const line of (await readFile(join(logDir, file), "utf8")).split("\n")) {
        const micros = Number(line.split(" ")[2]);
        if (line !== "" && Number.isFinite(micros)) latencies.push(micros / 1_000);
      }
    }
    const sorted = latencies.sorted();
    const perSecond = Number(match[1]);
    log(`pgbench: ${perSecond.toFixed(0)} tps, ${sorted.length} transactions, ${failed ?? "?"} failed`);
    return { name: "pgbench tpcb-like", perSecond, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
      note: `scale ${PGBENCH_SCALE}, -c ${PGBENCH_CLIENTS} -j ${PGBENCH_THREADS}, 1 txn = 5 statements` };
  } finally {
    await rm(logDir, { recursive: true, force: true });
    await database.drop();
  }
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────────────────
export async function printEnvironment(serverUrl: string): Promise<void> {
  const cores = cpus();
  let commit = "unknown";
  try {
    commit = (await execFileAsync("git", ["rev-parse", "--short", "HEAD"], { timeout: 5_000 })).stdout.trim();
  } catch { /* not a git checkout: the figures still stand, only unattributed */ }
  log(`host: ${cores.length} cores (${cores[0]?.model.trim() ?? "unknown cpu"}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ` +
    `Node ${process.version}, commit ${commit}`);
  const names = ["server_version", "fsync", "synchronous_commit", "full_page_writes", "wal_sync_method", "commit_delay",
    "shared_buffers", "max_connections", "default_transaction_isolation"];
  const rows = await adminQuery<{ name: string; setting: string; unit: string | null }>(serverUrl,
    `select name, setting, unit from pg_settings where name in (${names.map((n) => `'${n}'`).join(", ")})`);
  const byName = new Map(rows.map((r) => [r.name, r.unit !== null && r.unit !== "" ? `${r.setting} × ${r.unit}` : r.setting]));
  log(`postgres: ${redact(serverUrl)}, version ${byName.get("server_version")}`);
  log(`postgres: ${names.slice(1).map((n) => `${n}=${byName.get(n) ?? "?"}`).join(", ")}`);
}

export function printTable(rows: Row[], baseline: number, notes: string[]): void {
  const ms = (value: number | undefined) => (value === undefined ? "-" : value.toFixed(2));
  const header = ["workload", "per s", "p50 ms", "p99 ms", "× pgbench", "notes"];
  const cells = rows.map((r) => [r.name, r.perSecond.toFixed(0), ms(r.p50Ms), ms(r.p99Ms), (r.perSecond / baseline).toFixed(2), r.note]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]) => c.map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ").trimEnd();
  console.log("");
  console.log(line(header));
  console.log(line(widths.map((w) => "-".repeat(w))));
  for (const c of cells) console.log(line(c));
  console.log("");
  for (const note of notes) console.log(note);
}
