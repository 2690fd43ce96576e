/**
 * Ledger throughput benchmark (T9 baseline, T10 API path, T11 group commit). A benchmark, not a test: it prints
 * figures and judges none of them. Every figure is shown beside pgbench's tpcb-like TPS measured on the same
 * PostgreSQL in the same run, because absolute numbers mean little across machines and disks.
 *
 *   npm run bench:ledger                        throwaway PostgreSQL 15 on loopback, 20 s per phase
 *   BENCH_SECONDS=60 npm run bench:ledger       longer phases
 *   DATABASE_URL=postgres://… npm run bench:ledger
 *       an existing server; the role needs CREATEDB: three scratch databases (pgbench, ledger, api) are
 *       created and dropped again
 *
 * Phases: pgbench -i -s 10, pgbench -c 8 -j 2 -T s, then LedgerService with group commit (defaults), with
 * batching off (1 transfer per commit, 1 commit in flight), with 1 transfer per commit but 8 in flight, and
 * P2P payments through the HTTP API on loopback.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import type { TransferInput } from "@obol/ledger";
import { openDatabase, type Database } from "../src/db/database.js";
import { migrate } from "../src/db/migrations.js";
import { loadConfig } from "../src/config.js";
import { createPlatform, type Platform } from "../src/platform.js";
import { LedgerService, defaultBatcherLimits, ledgerMigrations, type BatcherLimits } from "../src/modules/ledger/index.js";
import { startPostgres, type ThrowawayPostgres } from "../test/support/postgres.js";
import { BENCH_SECONDS, Samples, createScratchDatabase, log, percentile, printEnvironment, printTable, redact, runPgbench, runningChild, type Row } from "./support/bench-kit.js";

// ── settings ────────────────────────────────────────────────────────────────────────────────────────────────
/** Concurrent submit loops against LedgerService, each with one transfer in flight (T11: 32 clients). */
const LEDGER_LOOPS = 32;
const LEDGER_ACCOUNTS = 1_000;
/** Every wallet starts with this much, so that no transfer of the run can meet insufficient funds. */
const WALLET_FUNDING = 1_000_000_000n;
const TRANSFER_AMOUNT_MAX = 100;
/** Connections per pool: more than any phase keeps busy (batchesInFlightMax ≤ 8), so the pool never queues. */
const POOL_SIZE = 10;
const PROGRESS_EVERY_MS = 5_000;
const CURRENCY = "KES";

// ── ledger ──────────────────────────────────────────────────────────────────────────────────────────────────
async function setUpLedger(database: Database): Promise<string[]> {
  await migrate(database.db, ledgerMigrations);
  const setup = new LedgerService(database.db, Date.now);
  const source = randomUUID();
  const wallets = Array.from({ length: LEDGER_ACCOUNTS }, () => randomUUID());
  await database.db.transaction().execute(async (trx) => {
    await setup.createAccount(trx, { id: source, currency: CURRENCY, kind: "funding", ownerType: "platform", ownerId: null, mustNotOverdraw: false });
    for (const id of wallets) {
      await setup.createAccount(trx, { id, currency: CURRENCY, kind: "wallet", ownerType: "user", ownerId: randomUUID(), mustNotOverdraw: true });
    }
  });
  const results = await Promise.all(wallets.map((wallet) =>
    setup.submit([{ id: randomUUID(), kind: "posted", debitAccountId: source, creditAccountId: wallet, amount: WALLET_FUNDING, code: 2 }])));
  const notOk = results.filter(([code]) => code !== "ok").length;
  if (notOk > 0) throw new Error(`${notOk} of ${LEDGER_ACCOUNTS} funding transfers failed`);
  await setup.close();
  return wallets;
}

async function runLedgerPhase(name: string, database: Database, wallets: readonly string[], limits: BatcherLimits, limitsNote: string): Promise<Row> {
  const service = new LedgerService(database.db, Date.now, limits);
  const latencies = new Samples();
  const codes = new Map<string, number>();
  let errors = 0;
  let firstError: unknown;
  log(`ledger: ${name}: ${LEDGER_LOOPS} loops of single P2P transfers among ${wallets.length} wallets, ${BENCH_SECONDS} s (${limitsNote})`);
  const startedAt = performance.now();
  const deadline = startedAt + BENCH_SECONDS * 1_000;
  let answered = 0;
  const ticker = setInterval(() => {
    log(`ledger: ${name}: ${answered} answered, ${(answered / ((performance.now() - startedAt) / 1000)).toFixed(0)}/s so far`);
  }, PROGRESS_EVERY_MS);
  try {
    await Promise.all(Array.from({ length: LEDGER_LOOPS }, async () => {
      while (performance.now() < deadline) {
        const debit = Math.floor(Math.random() * wallets.length);
        const credit = (debit + 1 + Math.floor(Math.random() * (wallets.length - 1))) % wallets.length;
        const transfer: TransferInput = {
          id: randomUUID(), kind: "posted", debitAccountId: wallets[debit]!, creditAccountId: wallets[credit]!,
          amount: BigInt(1 + Math.floor(Math.random() * TRANSFER_AMOUNT_MAX)), code: 1,
        };
        const sentAt = performance.now();
        try {
          const [code] = await service.submit([transfer]);
          latencies.push(performance.now() - sentAt);
          codes.set(code!, (codes.get(code!) ?? 0) + 1);
        } catch (error) {
          errors += 1;
          firstError ??= error;
        }
        answered += 1;
      }
    }));
  } finally {
    clearInterval(ticker);
  }
  // Measured until the last in-flight answer, so the rate is never flattered by work left unfinished.
  const seconds = (performance.now() - startedAt) / 1_000;
  await service.close();
  const ok = codes.get("ok") ?? 0;
  const { batches, transfers, retries } = service.batcher.stats;
  const others = [...codes].filter(([code]) => code !== "ok").map(([code, n]) => `${n} ${code}`);
  if (errors > 0) others.push(`${errors} errors (first: ${firstError instanceof Error ? firstError.message : String(firstError)})`);
  const perCommit = batches === 0 ? 0 : transfers / batches;
  log(`ledger: ${name}: ${ok} ok in ${seconds.toFixed(1)} s = ${(ok / seconds).toFixed(0)}/s; ${batches} commits, ` +
    `${perCommit.toFixed(1)} transfers/commit, ${retries} retries${others.length > 0 ? `; NOT OK: ${others.join(", ")}` : ""}`);
  const sorted = latencies.sorted();
  return { name: `ledger: ${name}`, perSecond: ok / seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
    note: `${perCommit.toFixed(1)} transfers/commit, ${retries} retries${others.length > 0 ? `, ${others.join(", ")}` : ""}` };
}

// ── HTTP API ────────────────────────────────────────────────────────────────────────────────────────────────
// The full API path of a P2P payment (bearer session, idempotency row, wallet lookups, ledger batch, receipt):
// the platform as `obol start` wires it (createPlatform → buildApp) on loopback, against its own scratch
// database. The clients run in a worker thread so that they do not share the server's event loop; on a small
// host they still share its cores (and PostgreSQL's).
const API_CLIENTS = 32;
const API_USERS = 32;
const API_TOP_UP = 100_000_000n;
const API_PASSWORD = "bench-password-not-secret";

interface ApiWorkerData { baseUrl: string; users: { token: string; msisdn: string }[]; clients: number; seconds: number }
type ApiWorkerMessage =
  | { type: "progress"; answered: number }
  | { type: "done"; seconds: number; latencies: Float64Array; statuses: Record<string, number>; errors: number; firstError: string | undefined };

async function postJson(baseUrl: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(`${baseUrl}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

async function measureApi(serverUrl: string): Promise<Row> {
  const apiDb = await createScratchDatabase(serverUrl, "api");
  let platform: Platform | undefined;
  try {
    log(`api: starting the platform (createPlatform/buildApp) on 127.0.0.1 against ${apiDb.name}`);
    const config = loadConfig({ DATABASE_URL: apiDb.url, OBOL_CURRENCIES: CURRENCY, LOG_LEVEL: "silent" }, { production: false, port: 0 });
    platform = await createPlatform(config, { logger: false, onFatal: (error) => log(`api: FATAL ledger invariant: ${String(error)}`) });
    const baseUrl = await platform.app.listen({ host: "127.0.0.1", port: 0 });

    log(`api: registering, logging in and topping up ${API_USERS} users through the API`);
    const users = await Promise.all(Array.from({ length: API_USERS }, async (_, i) => {
      const msisdn = `+25471${String(i).padStart(7, "0")}`;
      const created = await postJson(baseUrl, "/v1/users", { msisdn, displayName: `Bench ${i}`, password: API_PASSWORD });
      if (created.status !== 201) throw new Error(`POST /v1/users: ${created.status} ${JSON.stringify(created.body)}`);
      const login = await postJson(baseUrl, "/v1/auth/login", { msisdn, password: API_PASSWORD });
      if (login.status !== 200) throw new Error(`POST /v1/auth/login: ${login.status} ${JSON.stringify(login.body)}`);
      const token = String(login.body.token);
      const topUp = await postJson(baseUrl, "/v1/me/top-ups", { amount: API_TOP_UP.toString(), currency: CURRENCY },
        { authorization: `Bearer ${token}`, "idempotency-key": randomUUID() });
      if (topUp.status !== 201) throw new Error(`POST /v1/me/top-ups: ${topUp.status} ${JSON.stringify(topUp.body)}`);
      return { token, msisdn };
    }));

    log(`api: ${API_CLIENTS} keep-alive clients POST /v1/transfers (P2P, Idempotency-Key) among ${API_USERS} users, ${BENCH_SECONDS} s`);
    const data: ApiWorkerData = { baseUrl, users, clients: API_CLIENTS, seconds: BENCH_SECONDS };
    const done = await new Promise<Extract<ApiWorkerMessage, { type: "done" }>>((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url), { workerData: data });
      const startedAt = performance.now();
      worker.on("message", (message: ApiWorkerMessage) => {
        if (message.type === "progress") {
          log(`api: ${message.answered} answered, ${(message.answered / ((performance.now() - startedAt) / 1000)).toFixed(0)}/s so far`);
        } else resolve(message);
      });
      worker.on("error", reject);
      worker.on("exit", (code) => reject(new Error(`API client worker exited (${code}) without a result`)));
    });

    const acked = done.statuses["201"] ?? 0;
    const others = Object.entries(done.statuses).filter(([status]) => status !== "201").map(([status, n]) => `${n}× HTTP ${status}`);
    if (done.errors > 0) others.push(`${done.errors} errors (first: ${done.firstError})`);
    const { batches, transfers, retries } = platform.services.ledger.batcher.stats;
    const perCommit = batches === 0 ? 0 : transfers / batches;
    log(`api: ${acked} acknowledged (201) in ${done.seconds.toFixed(1)} s = ${(acked / done.seconds).toFixed(0)}/s; ` +
      `${perCommit.toFixed(1)} transfers/commit, ${retries} retries${others.length > 0 ? `; NOT 201: ${others.join(", ")}` : ""}`);
    const report = await platform.services.ledger.verify();
    log(`api: verify: ${report.accounts} accounts, ${report.mismatches.length} mismatches, postings sum ${report.postingsSum}`);
    if (report.mismatches.length > 0 || report.postingsSum !== 0n) throw new Error("the API run left a ledger that does not add up");
    const sorted = done.latencies;
    return { name: "api: POST /v1/transfers", perSecond: acked / done.seconds, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99),
      note: `${API_CLIENTS} keep-alive clients, ${perCommit.toFixed(1)} transfers/commit${others.length > 0 ? `, ${others.join(", ")}` : ""}` };
  } finally {
    await platform?.stop();
    await apiDb.drop();
  }
}

/** Runs in the worker thread: the HTTP clients. */
async function runApiClients({ baseUrl, users, clients, seconds }: ApiWorkerData): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const target = new URL("/v1/transfers", baseUrl);
  const post = (token: string, key: string, body: string) => new Promise<number>((resolve, reject) => {
    const request = http.request(target, {
      method: "POST", agent,
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body), authorization: `Bearer ${token}`, "idempotency-key": key },
    }, (response) => {
      response.resume(); // the receipt is not needed, but the socket is only reused once the body is read
      response.on("end", () => resolve(response.statusCode ?? 0));
      response.on("error", reject);
    });
    request.on("error", reject);
    request.end(body);
  });

  const latencies = new Samples();
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let answered = 0;
  const startedAt = performance.now();
  const deadline = startedAt + seconds * 1_000;
  const ticker = setInterval(() => parentPort!.postMessage({ type: "progress", answered } satisfies ApiWorkerMessage), PROGRESS_EVERY_MS);
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const payer = c % users.length;
    while (performance.now() < deadline) {
      const payee = (payer + 1 + Math.floor(Math.random() * (users.length - 1))) % users.length;
      const body = JSON.stringify({ toMsisdn: users[payee]!.msisdn, amount: String(1 + Math.floor(Math.random() * TRANSFER_AMOUNT_MAX)), currency: CURRENCY });
      const sentAt = performance.now();
      try {
        const status = await post(users[payer]!.token, randomUUID(), body);
        latencies.push(performance.now() - sentAt);
        statuses[status] = (statuses[status] ?? 0) + 1;
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      answered += 1;
    }
  }));
  clearInterval(ticker);
  agent.destroy();
  const sorted = latencies.sorted();
  const message: ApiWorkerMessage = { type: "done", seconds: (performance.now() - startedAt) / 1_000, latencies: sorted, statuses, errors, firstError };
  parentPort!.postMessage(message, [sorted.buffer as ArrayBuffer]);
}

async function main(): Promise<number> {
  let server: ThrowawayPostgres | undefined;
  const cleanups: (() => Promise<void>)[] = [];
  const cleanUp = async () => {
    for (const step of cleanups.splice(0).reverse()) await step().catch((error: unknown) => log(`cleanup: ${(error as Error).message}`));
    if (server !== undefined) { await server.stop(); log("postgres: throwaway cluster stopped"); server = undefined; }
  };
  // Ctrl-C must not leave a cluster (or pgbench) running behind.
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping`);
    runningChild?.kill("SIGTERM");
    void cleanUp().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  try {
    let serverUrl = process.env.DATABASE_URL;
    if (serverUrl) {
      log(`postgres: using DATABASE_URL ${redact(serverUrl)}`);
    } else {
      log("postgres: starting a throwaway PostgreSQL 15 on loopback");
      server = await startPostgres();
      serverUrl = server.url;
      log(`postgres: started at ${server.url} (${server.dir})`);
    }
    await printEnvironment(serverUrl);

    const rows: Row[] = [];
    const baseline = await runPgbench(serverUrl);
    rows.push(baseline);

    const ledgerDb = await createScratchDatabase(serverUrl, "ledger");
    cleanups.push(() => ledgerDb.drop());
    const database = await openDatabase({ url: ledgerDb.url, poolSize: POOL_SIZE });
    cleanups.push(() => database.close());
    log(`ledger: creating and funding ${LEDGER_ACCOUNTS} wallets in ${ledgerDb.name}`);
    const wallets = await setUpLedger(database);

    const d = defaultBatcherLimits;
    rows.push(await runLedgerPhase("group commit", database, wallets, d,
      `defaults: ≤${d.batchTransfersMax} transfers/commit, ${d.batchesInFlightMax} commits in flight, wait ${d.batchWaitMs} ms`));
    rows.push(await runLedgerPhase("batching off", database, wallets, { ...d, batchTransfersMax: 1, batchesInFlightMax: 1 },
      "1 transfer/commit, 1 commit in flight"));
    rows.push(await runLedgerPhase("1/commit, 8 in flight", database, wallets, { ...d, batchTransfersMax: 1, batchesInFlightMax: 8 },
      "1 transfer/commit, 8 commits in flight: PostgreSQL's own WAL group commit only"));

    rows.push(await measureApi(serverUrl));

    // Not a threshold: a ledger that does not add up after a benchmark is a bug, whatever the speed.
    const report = await new LedgerService(database.db, Date.now).verify();
    log(`ledger: verify: ${report.accounts} accounts, ${report.mismatches.length} mismatches, postings sum ${report.postingsSum}`);

    printTable(rows, baseline.perSecond, [
      "per s: pgbench = committed transactions/s (tps excluding connection setup); ledger = acknowledged transfers/s.",
      "Latency: per transaction (pgbench -l) or per submit() call until its commit resolved (ledger).",
    ]);
    return report.mismatches.length === 0 && report.postingsSum === 0n ? 0 : 1;
  } finally {
    await cleanUp();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

if (isMainThread) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(`bench:ledger failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
} else {
  await runApiClients(workerData as ApiWorkerData);
}
