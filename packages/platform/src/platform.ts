import { join } from "node:path";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { checkDurability, type DurabilityReport } from "./db/durability.js";
import { openDatabase, type Database } from "./db/database.js";
import { migrate, type Migration, type MigrationProgress } from "./db/migrations.js";
import type { Config } from "./config.js";
import { buildApp } from "./http/app.js";
import { CallerResolver } from "./http/caller.js";
import type { RouteContext } from "./http/context.js";
import { auditMigrations } from "./modules/audit/migrations.js";
import { AuditService } from "./modules/audit/service.js";
import { authMigrations } from "./modules/auth/migrations.js";
import { AuthService, defaultAuthLimits } from "./modules/auth/service.js";
import { idempotencyMigrations } from "./modules/idempotency/migrations.js";
import { IdempotencyService } from "./modules/idempotency/service.js";
import { LedgerService, defaultBatcherLimits, ledgerMigrations } from "./modules/ledger/index.js";
import { partiesMigrations } from "./modules/parties/migrations.js";
import { PartiesService } from "./modules/parties/service.js";
import { WalletService } from "./modules/wallet/service.js";

/** Every module's migrations, in dependency order. */
export const allMigrations: Migration[] = [...ledgerMigrations, ...partiesMigrations, ...authMigrations, ...idempotencyMigrations, ...auditMigrations];

export interface PlatformOptions {
  logger: FastifyBaseLogger | false;
  clock?: () => number;
  /** Keep PGlite in memory (tests, `obol demo`). */
  memory?: boolean;
  onMigration?: (progress: MigrationProgress) => void;
  /** A broken ledger invariant: the caller should log and exit. */
  onFatal?: (error: unknown) => void;
}

export interface Platform {
  config: Config;
  database: Database;
  durability: DurabilityReport;
  services: RouteContext;
  app: FastifyInstance;
  /** Stops taking requests, finishes those in flight and every accepted ledger batch, closes storage. */
  stop(): Promise<void>;
}

const housekeepingIntervalMs = 10 * 60_000;
const sweepIntervalMs = 1_000;

/** Opens storage, refuses unsafe settings in production, migrates, and wires modules to the API. */
export async function createPlatform(config: Config, options: PlatformOptions): Promise<Platform> {
  const clock = options.clock ?? Date.now;
  const database = config.databaseUrl !== undefined
    ? await openDatabase({ url: config.databaseUrl, poolSize: config.limits.dbPoolSize })
    : await openDatabase(options.memory ? { memory: true } : { dataDir: join(config.dataDir, "pglite") });
  let accepting = false;
  try {
    const durability = await checkDurability(database, { production: config.production });
    await migrate(database.db, allMigrations, options.onMigration);

    const db = database.db;
    // PGlite has one connection: a second batch in flight would only queue behind the first.
    const batcherLimits = database.kind === "pglite" ? { ...defaultBatcherLimits, batchesInFlightMax: 1 } : defaultBatcherLimits;
    const ledger = new LedgerService(db, clock, batcherLimits, options.onFatal);
    const parties = new PartiesService(db, ledger, config.currencies);
    const auth = new AuthService(db, clock, { ...defaultAuthLimits, sessionTtlMs: config.limits.sessionTtlMs });
    const idempotency = new IdempotencyService(db, clock);
    const wallet = new WalletService(ledger, parties, config.currencies, { bankTransferAmountMax: config.limits.bankTransferAmountMax });
    // Checkpoints are signed once the platform's service key exists (PKI); until then the chain alone.
    const audit = new AuditService(db, clock);
    const services: RouteContext = {
      db, ledger, parties, auth, idempotency, wallet, audit, callers: new CallerResolver(auth, parties), isAcceptingWork: () => accepting,
    };
    const app = await buildApp(services, { bodyBytesMax: config.limits.bodyBytesMax, logger: options.logger });

    const log = (error: unknown) => app.log.error({ err: error }, "background task failed");
    ledger.startSweeper(sweepIntervalMs, log);
    const housekeeping = setInterval(() => {
      Promise.all([idempotency.purgeExpired(), auth.purgeExpired()]).catch(log);
    }, housekeepingIntervalMs).unref();
    accepting = true;

    return {
      config, database, durability, services, app,
      async stop() {
        accepting = false;
        clearInterval(housekeeping);
        await app.close();
        await ledger.close();
        await database.close();
      },
    };
  } catch (error) {
    await database.close().catch(() => {});
    throw error;
  }
}
