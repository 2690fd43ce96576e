import { randomBytes } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { readOrCreatePassphraseFile } from "@obol/pki";
import { dirname, join } from "node:path";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { BankBooks } from "./books.js";
import type { BankConfig } from "./config.js";
import { openBankDatabase, type BankDatabase } from "./db.js";
import { FaultSwitches } from "./faults.js";
import { buildBankApp } from "./http.js";
import { bankCertificatesPem, loadOrCreateBankKeys, type BankKeys } from "./keys.js";
import { migrateBank } from "./schema.js";
import { BankService } from "./service.js";

export interface ReferenceBank {
  readonly config: BankConfig;
  readonly db: BankDatabase;
  readonly books: BankBooks;
  readonly keys: BankKeys;
  readonly faults: FaultSwitches;
  readonly service: BankService;
  readonly app: FastifyInstance;
  /** The certificates clients pin (signing, then encryption), PEM. */
  readonly certificatesPem: string;
  stop(): Promise<void>;
}

export interface CreateBankOptions {
  readonly logger: FastifyBaseLogger | false;
  /** Everything in memory (tests, the embedded bank of an in-memory platform). */
  readonly memory?: boolean;
  readonly clock?: () => number;
  /** Told when the bank's keys are created (first start). */
  readonly onKeyCreation?: () => void;
  /** An empty PGlite cluster for a new data directory (see openBankDatabase). */
  readonly pgliteTemplate?: Blob | undefined;
}

const nonceSweepIntervalMs = 10 * 60_000;

/** Opens the bank's storage, migrates, loads or creates its keys, and builds its HTTP app (not yet listening). */
export async function createReferenceBank(config: BankConfig, options: CreateBankOptions): Promise<ReferenceBank> {
  const clock = options.clock ?? Date.now;
  const db = await openBankDatabase(config.databaseUrl !== undefined ? { url: config.databaseUrl } : { dataDir: options.memory ? undefined : join(config.dataDir, "pglite"), template: options.pgliteTemplate });
  try {
    await migrateBank(db);
    const passphrase = await bankPassphrase(config, options.memory === true);
    const existing = (await db.query("SELECT 1 FROM bank_keys LIMIT 1")).length > 0;
    if (!existing) options.onKeyCreation?.();
    const keys = await loadOrCreateBankKeys(db, passphrase, new Date(clock()));
    const books = new BankBooks(db, clock);
    const faults = new FaultSwitches(config.faults);
    const service = new BankService({ db, books, keys, faults, clock, freshnessWindowMs: config.freshnessWindowMs });
    const certificatesPem = bankCertificatesPem(keys);
    if (!options.memory) {
      await mkdir(dirname(config.certificateFile), { recursive: true });
      await writeFile(config.certificateFile, certificatesPem);
    }
    const app = await buildBankApp({ service, books, faults, certificatesPem, adminToken: config.adminToken, logger: options.logger });
    const sweep = setInterval(() => { service.purgeNonces().catch(() => {}); }, nonceSweepIntervalMs).unref();
    return {
      config, db, books, keys, faults, service, app, certificatesPem,
      async stop() {
        clearInterval(sweep);
        await app.close();
        await db.close();
      },
    };
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
}

/** OBOL_BANK_KEY_PASSPHRASE, or one generated beside the bank's data (mode 0600), or a fresh one in memory. */
async function bankPassphrase(config: BankConfig, memory: boolean): Promise<string> {
  if (config.keyPassphrase !== undefined) return config.keyPassphrase;
  if (memory) return randomBytes(24).toString("base64url");
  return readOrCreatePassphraseFile(config.dataDir);
}
