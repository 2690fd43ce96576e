import { existsSync } from "node:fs";
import { createServer } from "node:http";
import { isAbsolute, join } from "node:path";
import pino from "pino";
import { isPkiError } from "@obol/pki";
import { loadConfig, type Config } from "../config.js";
import { finishFirstStart, prepareDataDir } from "../data-dir.js";
import { demoLoginsPath, formatDemoLogins, writeDemoLoginsFile } from "../demo-logins-file.js";
import { errorBody } from "../errors/api-errors.js";
import { ObolError } from "../errors/obol-error.js";
import { armFailpoints } from "../failpoints.js";
import { seedDemoData, type DemoLogins } from "../demo-data.js";
import { createPlatform, type Platform, type PlatformOptions, type StartTimings } from "../platform.js";
import type { MigrationProgress } from "../db/migrations.js";

type Overrides = { production?: boolean; port?: number };

/** Shows what a start is doing, on stderr, so stdout stays for logs and results. */
export function progress(message: string): () => void {
  const started = performance.now();
  process.stderr.write(`… ${message}`);
  return () => process.stderr.write(` done (${Math.round(performance.now() - started)} ms)\n`);
}

function onMigration(p: MigrationProgress): void {
  if (p.status === "applied") process.stderr.write(`  migration ${p.id} applied (${Math.round(p.durationMs)} ms)\n`);
}

export async function openPlatform(config: Config, options: Omit<PlatformOptions, "onMigration">): Promise<Platform> {
  const where = config.databaseUrl !== undefined ? "PostgreSQL at DATABASE_URL"
    : options.memory ? "in-memory embedded PostgreSQL (PGlite)" : `embedded PostgreSQL (PGlite) in ${config.dataDir}`;
  const done = progress(`opening ${where} and migrating\n`);
  const platform = await createPlatform(config, {
    ...options, onMigration,
    onKeyCreation: () => process.stderr.write("  first start: making the platform's keys (root CA, issuing CA, P-256 signing, RSA-2048 encryption) and sealing them (scrypt), once\n"),
    onBankKeyCreation: () => process.stderr.write("  first start: making the reference bank's keys (CA, P-256 signing, RSA-2048 encryption), once\n"),
  });
  done();
  for (const problem of platform.durability.problems) process.stderr.write(`! not for production: ${problem.message}\n`);
  return platform;
}

/**
 * `obol start`. The port is claimed first: while the platform opens (and on a first start makes its keys and
 * demo data) a placeholder answers /health 200 and everything else 503 ERR_NOT_READY, and a busy port fails
 * the start before anything is created. The first start of a data directory is all or nothing (data-dir.ts);
 * the demo logins are written to a file before the banner shows them. A failed start is one line on stderr
 * and exit status 1 (the stack too with OBOL_DEBUG=1).
 */
export async function start(options: { demo: boolean; overrides: Overrides }): Promise<number> {
  const loadedMs = performance.now(); // since the process started: node and the code loading
  let placeholder: PortPlaceholder | undefined;
  let platform: Platform | undefined;
  let config: Config | undefined;
  try {
    config = loadConfig(process.env, options.overrides);
    // `npm start` needs nothing installed: a development demo without OBOL_BANK_URL gets the reference bank in-process.
    if (options.demo && !config.production && config.bank.mode === "none") config.bank = { ...config.bank, mode: "embedded" };
    armFailpoints(config.failpoints);
    placeholder = await claimPort(config.host, config.port);
    const embedded = config.databaseUrl === undefined;
    const usesDataDir = embedded || options.demo || config.keyPassphrase === undefined || config.bank.mode === "embedded";
    const dataDir = usesDataDir ? await prepareDataDir(config.dataDir, embedded) : { firstStart: false, restarted: false };
    if (dataDir.restarted) process.stderr.write(`! the last first start in ${config.dataDir} did not finish (nothing it made was ever used): starting it over\n`);
    const logger = pino({
      level: config.logLevel,
      // Credentials never reach the logs, whatever a log call includes.
      redact: { paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.token", "*.apiKey"], censor: "[redacted]" },
    });
    const timings: StartTimings = {};
    platform = await openPlatform(config, {
      logger, timings,
      onFatal: (error) => {
        logger.fatal({ err: error }, "ledger invariant broken: stopping");
        process.exit(70);
      },
    });
    const demoStarted = performance.now();
    const logins = options.demo ? await seedDemoData(platform.services, platform.bank.embedded?.bank) : undefined;
    const demoMs = options.demo ? performance.now() - demoStarted : undefined;
    const loginsFile = shownPath(demoLoginsPath(config.dataDir));
    if (logins !== undefined) await writeDemoLoginsFile(config.dataDir, formatDemoLogins(logins, new Date(), loginsFile));
    if (dataDir.firstStart) await finishFirstStart(config.dataDir);
    const port = placeholder.port;
    await placeholder.release();
    placeholder = undefined;
    const address = await platform.app.listen({ host: config.host, port });
    process.stderr.write(`${startSummary(performance.now(), loadedMs, timings, demoMs)}\n`);
    printBanner(address, config, options.demo, logins, loginsFile);
    printBank(platform);
    const running = platform;
    const runningConfig = config;

    let stopping = false;
    const shutdown = (signal: string) => {
      if (stopping) { process.stderr.write("second signal: exiting now\n"); process.exit(1); }
      stopping = true;
      logger.info({ signal }, "shutting down: draining requests and ledger batches");
      const timer = setTimeout(() => { logger.error("shutdown grace period over: exiting"); process.exit(1); }, runningConfig.limits.shutdownGraceMs);
      running.stop().then(() => { clearTimeout(timer); logger.info("stopped"); process.exit(0); }, (error) => { logger.error({ err: error }, "shutdown failed"); process.exit(1); });
    };
    process.once("SIGINT", () => shutdown("SIGINT"));
    process.once("SIGTERM", () => shutdown("SIGTERM"));
    return new Promise<number>(() => {}); // runs until a signal
  } catch (error) {
    await placeholder?.release().catch(() => {});
    await platform?.stop().catch(() => {});
    process.stderr.write(`obol: ${startFailure(error, config)}\n`);
    if (process.env.OBOL_DEBUG === "1") process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
    // Whatever a half-opened part may still hold, a failed start ends now.
    setTimeout(() => process.exit(1), 1000).unref();
    return 1;
  }
}

/** The one line a failed start prints: what went wrong and what to do, with a stable code. */
export function startFailure(error: unknown, config: Config | undefined): string {
  if (error instanceof ObolError) return `${error.message} (${error.code})`;
  if (isPkiError(error, "ERR_PKI_BAD_PASSPHRASE")) {
    const source = config?.keyPassphrase !== undefined ? "OBOL_KEY_PASSPHRASE" : `the passphrase in ${join(config?.dataDir ?? "./data", "key-passphrase")}`;
    return `${source} does not open the platform's keys: start with the passphrase this data was made with (ERR_KEY_PASSPHRASE)`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return `start failed: ${message.split("\n")[0]} (ERR_START; OBOL_DEBUG=1 shows the details)`;
}

/** "started in 3.2 s: loading 0.5 s, database 0.4 s, keys 1.1 s, bank 1.3 s (alongside the keys), demo data 0.5 s" */
export function startSummary(totalMs: number, loadedMs: number, timings: StartTimings, demoMs: number | undefined): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const parts = [`loading ${s(loadedMs)}`];
  if (timings.database !== undefined) parts.push(`database ${s(timings.database)}`);
  if (timings.keys !== undefined) parts.push(`keys ${s(timings.keys)}`);
  if (timings.bank !== undefined) parts.push(`bank ${s(timings.bank)} (alongside the keys)`);
  if (demoMs !== undefined) parts.push(`demo data ${s(demoMs)}`);
  return `started in ${s(totalMs)}: ${parts.join(", ")}`;
}

/** A relative path as a shell user types it: `./data/…` rather than `data/…`. */
function shownPath(path: string): string {
  return isAbsolute(path) || path.startsWith("../") ? path : `./${path}`;
}

interface PortPlaceholder {
  port: number;
  release(): Promise<void>;
}

/**
 * Binds the platform's port before anything else, so a busy port fails the start at once, with nothing
 * made. Until the platform takes the port over, /health answers 200 (the process lives) and everything else
 * 503 ERR_NOT_READY (so /ready too); every answer closes its connection, so handing over leaves none behind.
 */
async function claimPort(host: string, port: number): Promise<PortPlaceholder> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    const live = path === "/health" && (request.method === "GET" || request.method === "HEAD");
    const body = live ? { status: "ok" } : errorBody("ERR_NOT_READY", "Obol is starting: try again in a few seconds");
    response.writeHead(live ? 200 : 503, { "content-type": "application/json; charset=utf-8", connection: "close", ...(live ? {} : { "retry-after": "1" }) });
    response.end(request.method === "HEAD" ? undefined : JSON.stringify(body));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host, port, exclusive: true }, resolve);
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    const other = port === 0 || port >= 65535 ? 3001 : port + 1;
    if (code === "EADDRINUSE") throw new ObolError("ERR_PORT_IN_USE", `port ${port} on ${host} is already in use (another Obol, or another program): stop it, or start on another port: PORT=${other} npm start`);
    if (code === "EACCES") throw new ObolError("ERR_PORT_IN_USE", `not allowed to listen on port ${port} on ${host}: use a port above 1023, e.g. PORT=3000 npm start`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND") throw new ObolError("ERR_CONFIG", `HOST=${host} is not an address of this machine: use e.g. HOST=127.0.0.1`);
    throw error;
  }
  const address = server.address();
  return {
    port: typeof address === "object" && address !== null ? address.port : port,
    release: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function printBanner(address: string, config: Config, demo: boolean, logins: DemoLogins | undefined, loginsFile: string): void {
  const lines = [
    "",
    `Obol is running at ${address}  (${config.production ? "production" : "development"} mode, currencies ${config.currencies.join(", ")})`,
    `  API docs:  ${address}/docs`,
    `  Health:    ${address}/health    Metrics: ${address}/metrics`,
  ];
  if (logins !== undefined) {
    lines.push("", `Demo logins (generated now; the database keeps only hashes; saved in ${loginsFile}, mode 0600):`);
    for (const user of logins.users) lines.push(`  user      ${user.msisdn}  password ${user.password}   (${user.displayName})`);
    lines.push(`  operator  ${logins.operator.username}  password ${logins.operator.password}`);
    lines.push(`  merchant  ${logins.merchant.legalName}  API key ${logins.merchant.apiKey}`);
    for (const account of logins.bankAccounts ?? []) lines.push(`  bank      ${account.msisdn}  account ${account.number} at the reference bank (linked; its codes: GET /admin/accounts/${account.number}/messages)`);
    lines.push(`  load them into your shell:  . ${loginsFile}`);
    lines.push("", `Try: curl -s -X POST ${address}/v1/auth/login -H 'content-type: application/json' -d '{"msisdn":"${logins.users[0]!.msisdn}","password":"${logins.users[0]!.password}"}'`);
  } else if (demo) {
    if (existsSync(loginsFile)) {
      lines.push("", `Demo logins: in ${loginsFile}  (load them into your shell:  . ${loginsFile})`);
    } else {
      lines.push("", `Demo data already exists in ${config.dataDir}; its logins were printed when it was created (this data predates ${loginsFile}).`, `To start over, stop Obol and delete ${config.dataDir}.`);
    }
  }
  console.log(lines.join("\n") + "\n");
}

function printBank(platform: Platform): void {
  const { bank } = platform.config;
  const embedded = platform.bank.embedded;
  if (embedded !== undefined) {
    console.log([
      `Bank: the reference bank runs inside this process (its data in ${platform.config.dataDir}/bank).`,
      `  Its admin endpoint (this run only): ${embedded.adminUrl ?? "none"}  token ${embedded.adminToken}`,
      `  e.g. open an account: curl -s -X POST ${embedded.adminUrl ?? ""}/admin/accounts -H 'authorization: Bearer ${embedded.adminToken}' -H 'content-type: application/json' -d '{"holderName":"You","currency":"${platform.config.currencies[0]}","msisdn":"+2547…","opening":"100000"}'`,
      "",
    ].join("\n"));
  } else if (bank.mode === "remote") {
    console.log(`Bank: ${bank.url} (certificates pinned from ${bank.certificateFile}; client id ${bank.clientId})\n`);
  } else {
    console.log(`Bank: none. ${platform.config.production ? "Top-ups and withdrawals are refused until OBOL_BANK_URL is set." : "Top-ups and withdrawals move money against the clearing account only (development)."}\n`);
  }
}

export async function migrateOnly(overrides: Overrides): Promise<number> {
  const platform = await openPlatform(loadConfig(process.env, overrides), { logger: false });
  await platform.stop();
  return 0;
}

export async function ledgerVerify(overrides: Overrides): Promise<number> {
  const platform = await openPlatform(loadConfig(process.env, overrides), { logger: false });
  try {
    const report = await platform.services.ledger.verify();
    console.log(`accounts checked: ${report.accounts}; sum of all postings: ${report.postingsSum}; mismatches: ${report.mismatches.length}`);
    for (const m of report.mismatches) console.log(`  ${m.accountId}: stored ${JSON.stringify(m.stored, big)} computed ${JSON.stringify(m.computed, big)}`);
    return report.mismatches.length === 0 && report.postingsSum === 0n ? 0 : 1;
  } finally {
    await platform.stop();
  }
}

const big = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

export async function auditVerify(overrides: Overrides): Promise<number> {
  const platform = await openPlatform(loadConfig(process.env, overrides), { logger: false });
  try {
    const report = await platform.services.audit.verify((checked) => process.stderr.write(`\r… ${checked} entries checked`));
    process.stderr.write("\n");
    if (!report.ok) {
      console.log(`audit chain BROKEN: first bad entry is #${report.firstBadSeq} (${report.reason})`);
      return 1;
    }
    console.log(`audit chain intact: ${report.entries} entries, head ${Buffer.from(report.head).toString("hex").slice(0, 16)}…`);
    console.log(`signed checkpoints: ${report.checkpoints.checked} checked${report.checkpoints.firstBadSeq === null ? ", all valid" : `; first bad at #${report.checkpoints.firstBadSeq}`}`);
    return report.checkpoints.firstBadSeq === null ? 0 : 1;
  } finally {
    await platform.stop();
  }
}

/** `obol bank reconcile`: the clearing account against the bank's statement; exits 1 on any mismatch. */
export async function bankReconcile(overrides: Overrides, currency: string | undefined): Promise<number> {
  const platform = await openPlatform(loadConfig(process.env, overrides), { logger: false });
  try {
    const chosen = currency ?? platform.config.currencies[0]!;
    const report = await platform.services.banking.reconcile(chosen);
    if (typeof report === "string") {
      console.error(`obol: cannot reconcile: ${report}`);
      return 1;
    }
    console.log(`${chosen}: ${report.ledgerLines} clearing postings, ${report.bankLines} bank entries; matched ${report.matched}, offsetting ${report.offsetting}; mismatches: ${report.mismatches.length}`);
    console.log(`  the ledger says the bank holds ${report.ledgerBalance}; the bank's statement says ${report.bankBalance}`);
    for (const m of report.mismatches) console.log(`  ${m.kind} ${m.reference ?? "(no bank reference)"}: ledger ${JSON.stringify(m.ledger, big)} bank ${JSON.stringify(m.bank, big)}`);
    return report.mismatches.length === 0 && report.ledgerBalance === report.bankBalance ? 0 : 1;
  } finally {
    await platform.stop();
  }
}
