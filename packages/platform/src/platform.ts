import { createPublicKey, randomBytes, X509Certificate } from "node:crypto";
import { readOrCreatePassphraseFile } from "@obol/pki";
import { join } from "node:path";
import { signEcdsaP256, verifyEcdsaP256 } from "@obol/crypto";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { checkDurability, type DurabilityReport } from "./db/durability.js";
import { openDatabase, type Database } from "./db/database.js";
import { ObolError } from "./errors/obol-error.js";
import { isNewPgliteDir, pgliteTemplate as loadPgliteTemplate } from "./db/pglite-template.js";
import { migrate, type Migration, type MigrationProgress } from "./db/migrations.js";
import type { Config } from "./config.js";
import { buildApp } from "./http/app.js";
import { CallerResolver } from "./http/caller.js";
import type { RouteContext } from "./http/context.js";
import { auditMigrations } from "./modules/audit/migrations.js";
import { AuditService, type CheckpointSigner } from "./modules/audit/service.js";
import { channelMigrations } from "./modules/channel/migrations.js";
import { ChannelStore } from "./modules/channel/store.js";
import { WalletChannel } from "./modules/channel/service.js";
import { loadOrCreateKeys, makeKeys, type PlatformKeys } from "./modules/pki/keys.js";
import { pkiMigrations } from "./modules/pki/migrations.js";
import { PkiService } from "./modules/pki/service.js";
import { loadOrCreateSessionKek } from "./modules/sessionkeys/kek.js";
import { sessionKeyMigrations } from "./modules/sessionkeys/migrations.js";
import { SessionKeyService } from "./modules/sessionkeys/service.js";
import { authMigrations } from "./modules/auth/migrations.js";
import { AccountService } from "./modules/auth/account.js";
import { AuthService, defaultAuthLimits } from "./modules/auth/service.js";
import { RequestSigning } from "./modules/auth/request-signing.js";
import { idempotencyMigrations } from "./modules/idempotency/migrations.js";
import { IdempotencyService } from "./modules/idempotency/service.js";
import { LedgerService, defaultBatcherLimits, ledgerMigrations } from "./modules/ledger/index.js";
import { partiesMigrations } from "./modules/parties/migrations.js";
import { walletMigrations } from "./modules/wallet/migrations.js";
import { paymentWalletOperations } from "./modules/payments/wallet-operations.js";
import { PaymentsService, ProductsService, PurchasesService, defaultPaymentsLimits, paymentsMigrations } from "./modules/payments/index.js";
import { PartiesService } from "./modules/parties/service.js";
import { WalletService } from "./modules/wallet/service.js";
import { notificationsMigrations } from "./modules/notifications/migrations.js";
import { NotificationsService } from "./modules/notifications/service.js";
import { webhooksMigrations } from "./modules/webhooks/migrations.js";
import { WebhookSecretSealer } from "./modules/webhooks/secret-sealer.js";
import { WebhooksService } from "./modules/webhooks/service.js";
import { MerchantCallbacks } from "./modules/webhooks/callbacks.js";
import { openBankEndpoint, type BankEndpoint, type BankEndpointOverride } from "./modules/banking/endpoint.js";
import { bankingMigrations } from "./modules/banking/migrations.js";
import { BankingService } from "./modules/banking/service.js";
import { BankingStore } from "./modules/banking/store.js";
import { settlementMigrations } from "./modules/settlement/migrations.js";
import { SettlementService } from "./modules/settlement/service.js";
import { ecashMigrations } from "./modules/ecash/migrations.js";
import { EcashService } from "./modules/ecash/service.js";
import { OutageBackoff } from "./db/unavailable.js";

/** Every module's migrations, in dependency order. */
export const allMigrations: Migration[] = [
  ...ledgerMigrations, ...partiesMigrations, ...authMigrations, ...idempotencyMigrations, ...auditMigrations, ...pkiMigrations, ...channelMigrations, ...sessionKeyMigrations,
  ...paymentsMigrations,
  ...notificationsMigrations,
  ...webhooksMigrations,
  ...bankingMigrations, ...settlementMigrations,
  ...ecashMigrations,
  ...walletMigrations,
];

export interface PlatformOptions {
  logger: FastifyBaseLogger | false;
  clock?: () => number;
  /** Keep PGlite in memory (tests, `obol demo`). */
  memory?: boolean;
  onMigration?: (progress: MigrationProgress) => void;
  /** Told when the platform's CA and keys are created (first start: a few seconds). */
  onKeyCreation?: () => void;
  /** Told when the embedded reference bank creates its keys (its first start). */
  onBankKeyCreation?: () => void;
  /** Filled in with how long each part of the start took (milliseconds; keys and bank overlap). */
  timings?: StartTimings;
  /** A broken ledger invariant: the caller should log and exit. */
  onFatal?: (error: unknown) => void;
  /** "manual": the webhook worker runs only when called (tests drive `webhooks.worker.runDue`). Default "timer". */
  webhookWorker?: "timer" | "manual";
  /** `obol pki hsm-init`: open although PKCS#11 is configured and the issuing CA key is still sealed. */
  sealedIssuingKeyAllowed?: boolean;
  /** A bank to use instead of the configured one (tests: an in-process reference bank). */
  bank?: BankEndpointOverride;
  /** "manual": no settlement timer; the caller runs settlements (tests). */
  settlementScheduler?: "auto" | "manual";
  /**
   * Storage opened by the caller, used instead of the configured one and closed by stop() (tests: an
   * in-memory PGlite restored from a migrated, keyed snapshot). Code only: no setting reaches it.
   */
  database?: Database;
}

export interface Platform {
  config: Config;
  database: Database;
  durability: DurabilityReport;
  services: RouteContext;
  app: FastifyInstance;
  /** The bank connection; `embedded` when the reference bank runs in this process. */
  bank: BankEndpoint;
  /** Stops taking requests, finishes those in flight and every accepted ledger batch, closes storage. */
  stop(): Promise<void>;
}

/** Where a start's time went, in milliseconds. `keys` and `bank` run at the same time. */
export interface StartTimings {
  database?: number;
  keys?: number;
  bank?: number;
}

const housekeepingIntervalMs = 10 * 60_000;
const sweepIntervalMs = 1_000;
/** How much of a webhook receiver's answer is read and kept in the delivery log. */
const webhookResponseBytesMax = 1024;

/** Opens storage, refuses unsafe settings in production, migrates, and wires modules to the API. */
export async function createPlatform(config: Config, options: PlatformOptions): Promise<Platform> {
  const clock = options.clock ?? Date.now;
  const timings = options.timings ?? {};
  const since = (started: number) => performance.now() - started;
  const databaseStarted = performance.now();
  const pgliteTemplate = config.databaseUrl === undefined || config.bank.mode === "embedded" ? await loadPgliteTemplate() : undefined;
  // A new embedded database surely has no keys yet: they are made (on the thread pool) while it opens, and the
  // embedded bank opens beside it. PostgreSQL may already hold them: there, they are looked for first.
  const passphrase = await keyPassphrase(config, options.memory === true);
  const urls = { ocspUrl: `${config.publicUrl}/pki/ocsp`, crlUrl: `${config.publicUrl}/pki/crl` };
  const newDatabase = options.database === undefined && config.databaseUrl === undefined && (options.memory === true || isNewPgliteDir(join(config.dataDir, "pglite")));
  const keysStarted = performance.now();
  const premade = newDatabase && config.pkcs11 === undefined ? makeKeys(passphrase, new Date(clock()), urls, options.onKeyCreation) : undefined;
  premade?.catch(() => {}); // awaited (and its failure reported) by loadOrCreateKeys below
  let resolveKeys!: (keys: PlatformKeys) => void;
  let rejectKeys!: (error: unknown) => void;
  const keysMade = new Promise<PlatformKeys>((resolve, reject) => { resolveKeys = resolve; rejectKeys = reject; });
  keysMade.catch(() => {}); // awaited below; the bank only needs it once its own storage is open
  const bankOpened = openBankEndpoint(config.bank, keysMade, {
    clock, dataDir: config.dataDir, memory: options.memory === true, override: options.bank, pgliteTemplate, onKeyCreation: options.onBankKeyCreation,
  }).then((endpoint) => { timings.bank = since(keysStarted); return endpoint; });
  bankOpened.catch(() => {});
  let database: Database;
  try {
    database = options.database !== undefined ? options.database : config.databaseUrl !== undefined
      ? await openDatabase({ url: config.databaseUrl, poolSize: config.limits.dbPoolSize })
      : await openDatabase(options.memory ? { memory: true, template: pgliteTemplate } : { dataDir: join(config.dataDir, "pglite"), template: pgliteTemplate }).catch((error: unknown) => {
        if (options.memory) throw error;
        throw new ObolError("ERR_DATA_DIR", `the database in ${join(config.dataDir, "pglite")} does not open: it is damaged or not Obol's (PGlite: ${(error as Error).message}). Restore it, or move ${config.dataDir} aside to start afresh`, { cause: error });
      });
  } catch (error) {
    rejectKeys(error);
    await bankOpened.then((endpoint) => endpoint.stop(), () => {});
    throw error;
  }
  let accepting = false;
  let closeKeys = async () => {};
  let bank: BankEndpoint | undefined;
  try {
    const durability = await checkDurability(database, { production: config.production });
    await migrate(database.db, allMigrations, options.onMigration);
    timings.database = since(databaseStarted);

    const db = database.db;
    // PGlite has one connection: a second batch in flight would only queue behind the first.
    const batcherLimits = database.kind === "pglite" ? { ...defaultBatcherLimits, batchesInFlightMax: 1 } : defaultBatcherLimits;
    const ledger = new LedgerService(db, clock, batcherLimits, options.onFatal);
    const parties = new PartiesService(db, ledger, config.currencies);
    const auth = new AuthService(db, clock, { ...defaultAuthLimits, sessionTtlMs: config.limits.sessionTtlMs });
    const idempotency = new IdempotencyService(db, clock);
    const requestSigning = new RequestSigning(db, clock);
    const wallet = new WalletService(db, ledger, parties, config.currencies, { bankTransferAmountMax: config.limits.bankTransferAmountMax });
    // The key work (scrypt, RSA generation) runs on libuv's thread pool, all of it at once, while the embedded
    // bank opens its storage on the main thread; nothing here waits for anything it does not need.
    loadOrCreateKeys(db, passphrase, new Date(clock()), urls, options.onKeyCreation, config.pkcs11, options.sealedIssuingKeyAllowed, premade).then(resolveKeys, rejectKeys);
    const keyWork = Promise.allSettled([
      keysMade,
      loadOrCreateSessionKek(db, passphrase),
      EcashService.open({ db, ledger, parties, clock, settings: config.ecash, passphrase }),
      WebhookSecretSealer.open(db, passphrase),
    ]).then((results) => { timings.keys = since(keysStarted); return results; });
    const [[keysResult, kekResult, ecashResult, sealerResult], [bankResult]] = await Promise.all([keyWork, Promise.allSettled([bankOpened])]);
    if (keysResult.status === "fulfilled") closeKeys = keysResult.value.close;
    if (bankResult.status === "fulfilled") bank = bankResult.value;
    if (ecashResult.status === "fulfilled" && [keysResult, kekResult, sealerResult, bankResult].some((r) => r.status === "rejected")) ecashResult.value.stop();
    for (const result of [keysResult, kekResult, ecashResult, sealerResult, bankResult]) if (result.status === "rejected") throw result.reason;
    const keys = (keysResult as PromiseFulfilledResult<PlatformKeys>).value;
    const audit = new AuditService(db, clock, checkpointSigner(keys));
    const pki = new PkiService(db, clock, keys, urls, audit, { legacyRsaDevices: config.legacyRsaDevices });
    const channel = new ChannelStore(db, clock);
    const sessionKeys = new SessionKeyService(db, clock, (kekResult as PromiseFulfilledResult<Uint8Array>).value);
    const ecash = (ecashResult as PromiseFulfilledResult<EcashService>).value;
    const sealer = (sealerResult as PromiseFulfilledResult<WebhookSecretSealer>).value;
    const connected = (bankResult as PromiseFulfilledResult<BankEndpoint>).value;
    const banking = new BankingService({
      store: new BankingStore(db), ledger, parties, client: connected.client, settings: config.bank, currencies: config.currencies, production: config.production,
      bankTransferAmountMax: config.limits.bankTransferAmountMax, clock, onError: (error) => app.log.error({ err: error }, "bank connector"),
    });
    const settlement = new SettlementService({
      db, ledger, parties, banking, settings: config.settlement, currencies: config.currencies, clock, onError: (error) => app.log.error({ err: error }, "settlement"),
    });
    const notifications = new NotificationsService(db, clock);
    const webhooks = new WebhooksService({
      db, clock, notifications, sealer,
      settings: { ...config.webhooks, responseBytesMax: webhookResponseBytesMax, policy: { allowPrivateTargets: config.webhooks.allowPrivateTargets } },
    });
    const payments = new PaymentsService({
      db, ledger, parties, clock, currencies: config.currencies,
      fees: { fixedMinor: config.payments.feeFixedMinor, rateBasisPoints: config.payments.feeRateBasisPoints },
      limits: { ...defaultPaymentsLimits, confirmationTtlMsDefault: config.payments.confirmationTtlMs, escrowAutoReleaseMs: config.payments.escrowAutoReleaseMs, escrowShipDeadlineMs: config.payments.escrowShipDeadlineMs, fundingRetryMs: config.payments.fundingRetryMs },
      events: webhooks, notifications, bank: banking,
    });
    const products = new ProductsService(db, clock, config.currencies);
    const purchases = new PurchasesService({
      db, clock, parties, products, payments,
      callbacks: new MerchantCallbacks({ db, sealer, clock, policy: { allowPrivateTargets: config.webhooks.allowPrivateTargets }, responseBytesMax: webhookResponseBytesMax }),
    });
    const services: RouteContext = {
      db, ledger, parties, auth, account: new AccountService(db, auth, parties, audit), idempotency, wallet, audit, pki, channel, payments, products, purchases,
      notifications,
      webhooks,
      banking,
      settlement,
      ecash,
      walletChannel: new WalletChannel({ pki, store: channel, wallet, parties, ledger, sessionKeys, clock, operations: paymentWalletOperations(payments, parties, products, purchases), legacyRsaDevices: config.legacyRsaDevices }), requestSigning, callers: new CallerResolver(auth, parties, requestSigning), isAcceptingWork: () => accepting,
    };
    const app = await buildApp(services, { bodyBytesMax: config.limits.bodyBytesMax, logger: options.logger });

    const log = (error: unknown) => app.log.error({ err: error }, "background task failed");
    ledger.startSweeper(sweepIntervalMs, log);
    let paymentTimers: NodeJS.Timeout | undefined;
    let paymentRun: Promise<unknown> = Promise.resolve();
    const paymentBackoff = new OutageBackoff();
    const paymentTick = () => {
      let delayMs = sweepIntervalMs;
      paymentRun = Promise.all([payments.runDue(), purchases.runDue()])
        .then(() => { delayMs = paymentBackoff.next(sweepIntervalMs); }, (error) => { delayMs = paymentBackoff.next(sweepIntervalMs, error); log(error); })
        .finally(() => { if (paymentTimers !== undefined) paymentTimers = setTimeout(paymentTick, delayMs).unref(); });
    };
    paymentTimers = setTimeout(paymentTick, sweepIntervalMs).unref();
    if (options.webhookWorker !== "manual") webhooks.worker.start(config.webhooks.pollIntervalMs, log);
    banking.startSweeper();
    if (options.settlementScheduler !== "manual") settlement.start();
    ecash.startSweeper(log);
    const housekeeping = setInterval(() => {
      Promise.all([idempotency.purgeExpired(), auth.purgeExpired(), channel.purgeExpiredNonces(), sessionKeys.purgeExpired(), audit.checkpoint()]).catch(log);
    }, housekeepingIntervalMs).unref();
    accepting = true;

    return {
      config, database, durability, services, app, bank: connected,
      async stop() {
        accepting = false;
        clearInterval(housekeeping);
        clearTimeout(paymentTimers);
        paymentTimers = undefined;
        await paymentRun;
        ecash.stop();
        await app.close();
        await settlement.close();
        await webhooks.worker.stop();
        await banking.close();
        await connected.stop();
        await ledger.close();
        await audit.checkpoint().catch(log);
        await keys.close();
        await database.close();
      },
    };
  } catch (error) {
    rejectKeys(error); // a bank still waiting for the platform's keys gives up
    await closeKeys().catch(() => {});
    await (bank ?? await bankOpened.catch(() => undefined))?.stop().catch(() => {});
    await database.close().catch(() => {});
    throw error;
  }
}

/**
 * The passphrase that seals the platform's keys. Production requires OBOL_KEY_PASSPHRASE (the
 * config refuses to load without it). A development install keeps a generated one beside its
 * data (mode 0600) so that `npm start` needs nothing; an in-memory platform uses a fresh one.
 */
async function keyPassphrase(config: Config, memory: boolean): Promise<string> {
  if (config.keyPassphrase !== undefined) return config.keyPassphrase;
  if (config.production) throw new Error("unreachable: production configs carry a passphrase");
  if (memory) return randomBytes(24).toString("base64url");
  return readOrCreatePassphraseFile(config.dataDir);
}

/** Audit checkpoints are signed with the platform's signing key; key id = its certificate's serial. */
function checkpointSigner(keys: PlatformKeys): CheckpointSigner {
  const certificate = new X509Certificate(keys.signing.certificateDer);
  const publicKey = createPublicKey(keys.signing.privateKey);
  const keyId = `signing:${certificate.serialNumber.toLowerCase()}`;
  return {
    keyId,
    sign: (payload) => signEcdsaP256(keys.signing.privateKey, payload, "der"),
    verify: (id, payload, signature) => id === keyId && verifyEcdsaP256(publicKey, payload, signature, "der"),
  };
}
