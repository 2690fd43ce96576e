import pino from "pino";
import { loadConfig, type Config } from "../config.js";
import { armFailpoints } from "../failpoints.js";
import { seedDemoData, type DemoLogins } from "../demo-data.js";
import { createPlatform, type Platform, type PlatformOptions } from "../platform.js";
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
    onKeyCreation: () => process.stderr.write("  first start: creating the platform's root CA, issuing CA and service keys\n"),
  });
  done();
  for (const problem of platform.durability.problems) process.stderr.write(`! not for production: ${problem.message}\n`);
  return platform;
}

export async function start(options: { demo: boolean; overrides: Overrides }): Promise<number> {
  const config = loadConfig(process.env, options.overrides);
  // `npm start` needs nothing installed: a development demo without OBOL_BANK_URL gets the reference bank in-process.
  if (options.demo && !config.production && config.bank.mode === "none") config.bank = { ...config.bank, mode: "embedded" };
  armFailpoints(config.failpoints);
  const logger = pino({
    level: config.logLevel,
    // Credentials never reach the logs, whatever a log call includes.
    redact: { paths: ["req.headers.authorization", "req.headers.cookie", "*.password", "*.token", "*.apiKey"], censor: "[redacted]" },
  });
  const platform = await openPlatform(config, {
    logger,
    onFatal: (error) => {
      logger.fatal({ err: error }, "ledger invariant broken: stopping");
      process.exit(70);
    },
  });
  const logins = options.demo ? await seedDemoData(platform.services, platform.bank.embedded?.bank) : undefined;
  const address = await platform.app.listen({ host: config.host, port: config.port });
  printBanner(address, config, options.demo, logins);
  printBank(platform);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) { process.stderr.write("second signal: exiting now\n"); process.exit(1); }
    stopping = true;
    logger.info({ signal }, "shutting down: draining requests and ledger batches");
    const timer = setTimeout(() => { logger.error("shutdown grace period over: exiting"); process.exit(1); }, config.limits.shutdownGraceMs);
    platform.stop().then(() => { clearTimeout(timer); logger.info("stopped"); process.exit(0); }, (error) => { logger.error({ err: error }, "shutdown failed"); process.exit(1); });
  };
  process.once("SIGINT", () => shutdown("SIGINT"));
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  return new Promise<number>(() => {}); // runs until a signal
}

function printBanner(address: string, config: Config, demo: boolean, logins: DemoLogins | undefined): void {
  const lines = [
    "",
    `Obol is running at ${address}  (${config.production ? "production" : "development"} mode, currencies ${config.currencies.join(", ")})`,
    `  API docs:  ${address}/docs`,
    `  Health:    ${address}/health    Metrics: ${address}/metrics`,
  ];
  if (logins !== undefined) {
    lines.push("", "Demo logins (generated now, shown this once, stored only as hashes):");
    for (const user of logins.users) lines.push(`  user      ${user.msisdn}  password ${user.password}   (${user.displayName})`);
    lines.push(`  operator  ${logins.operator.username}  password ${logins.operator.password}`);
    lines.push(`  merchant  ${logins.merchant.legalName}  API key ${logins.merchant.apiKey}`);
    for (const account of logins.bankAccounts ?? []) lines.push(`  bank      ${account.msisdn}  account ${account.number} at the reference bank (linked; its codes: GET /admin/accounts/${account.number}/messages)`);
    lines.push("", `Try: curl -s -X POST ${address}/v1/auth/login -H 'content-type: application/json' -d '{"msisdn":"${logins.users[0]!.msisdn}","password":"${logins.users[0]!.password}"}'`);
  } else if (demo) {
    lines.push("", `Demo data already exists in ${config.dataDir}; its logins were printed when it was created.`, `To start over, stop Obol and delete ${config.dataDir}.`);
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
