import { join } from "node:path";
import { FaultRuleError, parseFaultsEnv, type FaultRule } from "./faults.js";

export interface BankConfig {
  host: string;
  port: number;
  /** PostgreSQL server; when absent, embedded PGlite under dataDir/pglite. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Seals the bank's private keys; generated into dataDir when unset. */
  keyPassphrase: string | undefined;
  /** Guards /admin (with loopback); unset: the admin endpoints are off. */
  adminToken: string | undefined;
  /** Where the certificates clients pin are written (PEM: signing, then encryption). */
  certificateFile: string;
  faults: FaultRule[];
  freshnessWindowMs: number;
  logLevel: string;
}

export class BankConfigError extends Error {}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** The reference bank's settings, from the environment. No default secret: nothing here is one. */
export function loadBankConfig(env: NodeJS.ProcessEnv): BankConfig {
  const dataDir = env.OBOL_BANK_DATA_DIR || "./data/bank";
  const keyPassphrase = env.OBOL_BANK_KEY_PASSPHRASE || undefined;
  if (keyPassphrase !== undefined && keyPassphrase.length < 12) throw new BankConfigError("OBOL_BANK_KEY_PASSPHRASE must be at least 12 characters");
  const adminToken = env.OBOL_BANK_ADMIN_TOKEN || undefined;
  if (adminToken !== undefined && !/^[\x21-\x7e]{16,256}$/.test(adminToken)) throw new BankConfigError("OBOL_BANK_ADMIN_TOKEN must be 16 to 256 visible ASCII characters");
  const logLevel = env.LOG_LEVEL ?? "info";
  if (!logLevels.includes(logLevel)) throw new BankConfigError(`LOG_LEVEL must be one of ${logLevels.join(", ")}`);
  let faults: FaultRule[];
  try {
    faults = parseFaultsEnv(env.OBOL_BANK_FAULTS);
  } catch (error) {
    if (error instanceof FaultRuleError) throw new BankConfigError(`OBOL_BANK_FAULTS: ${error.message}`);
    throw error;
  }
  return {
    host: env.OBOL_BANK_HOST || "127.0.0.1",
    port: integer(env, "OBOL_BANK_PORT", 3100, 0, 65535),
    databaseUrl: env.OBOL_BANK_DATABASE_URL || undefined,
    dataDir,
    keyPassphrase,
    adminToken,
    certificateFile: env.OBOL_BANK_CERT_FILE || join(dataDir, "bank-certificates.pem"),
    faults,
    freshnessWindowMs: integer(env, "OBOL_BANK_FRESHNESS_WINDOW_MS", 120_000, 1_000, 3_600_000),
    logLevel,
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new BankConfigError(`${name} must be an integer in ${min}..${max}`);
  return value;
}
