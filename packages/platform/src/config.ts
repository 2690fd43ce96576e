import type { Pkcs11Config } from "@obol/pki/pkcs11";
import { booleanSetting, pkcs11Settings } from "./config-pki.js";
import { ObolError } from "./errors/obol-error.js";
import { parseFailpoints } from "./failpoints.js";
import { isIsoCurrency } from "./money.js";
import { loadBankSettings, type BankSettings } from "./modules/banking/settings.js";
import { loadSettlementSettings, type SettlementSettings } from "./modules/settlement/settings.js";
import { loadEcashConfig, type EcashConfig } from "./modules/ecash/config.js";

export interface Config {
  production: boolean;
  host: string;
  port: number;
  /** PostgreSQL server; when absent, embedded PGlite under dataDir. */
  databaseUrl: string | undefined;
  dataDir: string;
  /** Currencies the platform holds; every user and merchant gets an account in each. */
  currencies: string[];
  logLevel: string;
  /** Seals the platform's private keys at rest (OBOL_KEY_PASSPHRASE); required in production. */
  keyPassphrase: string | undefined;
  /** Where clients reach this platform; written into certificates (OCSP, CRL URLs). */
  publicUrl: string;
  /** Test-only crash points (OBOL_FAILPOINTS); always empty in production. */
  failpoints: string[];
  /** The PKCS#11 token holding the issuing CA key (OBOL_PKCS11_*); undefined: it is sealed in the database. */
  pkcs11: Pkcs11Config | undefined;
  /** Accept RSA device keys and RSA-SHA256 messages signed with them (OBOL_LEGACY_RSA_DEVICES=true). */
  legacyRsaDevices: boolean;
  /** The bank connector (OBOL_BANK_*; modules/banking/settings.ts). */
  bank: BankSettings;
  /** Settlement batches (OBOL_SETTLEMENT_INTERVAL). */
  settlement: SettlementSettings;
  /** Self-verified e-cash (OBOL_ECASH_*, see modules/ecash/config.ts). */
  ecash: EcashConfig;
  limits: {
    bodyBytesMax: number;
    sessionTtlMs: number;
    bankTransferAmountMax: bigint;
    shutdownGraceMs: number;
    dbPoolSize: number;
  };
  payments: {
    /** Platform fee per payment: fixed minor units plus basis points of the amount. */
    feeFixedMinor: bigint;
    feeRateBasisPoints: bigint;
    confirmationTtlMs: number;
    escrowAutoReleaseMs: number;
    escrowShipDeadlineMs: number;
    /** A payment whose funding outcome is unknown (bank pending, crash) is driven again after this. */
    fundingRetryMs: number;
  };
  /** Outgoing webhooks (modules/webhooks). */
  webhooks: {
    /** Loopback and private addresses as targets: refused in production unless OBOL_WEBHOOK_PRIVATE_TARGETS=allow. */
    allowPrivateTargets: boolean;
    requestTimeoutMs: number;
    pollIntervalMs: number;
    concurrencyMax: number;
    secretGraceMs: number;
  };
}

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Reads the configuration from the environment (12-factor), with safe defaults for a local
 * run. There is no default secret anywhere: nothing here is one.
 */
export function loadConfig(env: NodeJS.ProcessEnv, overrides: { production?: boolean; port?: number } = {}): Config {
  const production = overrides.production ?? env.NODE_ENV === "production";
  const currencies = (env.OBOL_CURRENCIES ?? "KES").split(",").map((c) => c.trim()).filter(Boolean);
  for (const currency of currencies) {
    if (!isIsoCurrency(currency)) throw new ObolError("ERR_CONFIG", `OBOL_CURRENCIES: ${currency} is not an ISO 4217 code`);
  }
  if (currencies.length === 0 || currencies.length > 16) throw new ObolError("ERR_CONFIG", "OBOL_CURRENCIES must list 1 to 16 currencies");
  const logLevel = env.LOG_LEVEL ?? "info";
  if (!logLevels.includes(logLevel)) throw new ObolError("ERR_CONFIG", `LOG_LEVEL must be one of ${logLevels.join(", ")}`);
  const host = env.HOST ?? "127.0.0.1";
  const port = overrides.port ?? integer(env, "PORT", 3000, 0, 65535);
  const keyPassphrase = env.OBOL_KEY_PASSPHRASE || undefined;
  if (keyPassphrase !== undefined && keyPassphrase.length < 12) throw new ObolError("ERR_CONFIG", "OBOL_KEY_PASSPHRASE must be at least 12 characters");
  if (production && keyPassphrase === undefined) {
    throw new ObolError("ERR_CONFIG", "OBOL_KEY_PASSPHRASE is required in production: it seals the platform's private keys at rest");
  }
  let failpoints: string[];
  try {
    failpoints = parseFailpoints(env.OBOL_FAILPOINTS);
  } catch (error) {
    throw new ObolError("ERR_CONFIG", `OBOL_FAILPOINTS: ${(error as Error).message}`);
  }
  if (production && failpoints.length > 0) throw new ObolError("ERR_CONFIG", "OBOL_FAILPOINTS is for tests and is refused in production");
  const privateTargets = env.OBOL_WEBHOOK_PRIVATE_TARGETS || (production ? "deny" : "allow");
  if (privateTargets !== "allow" && privateTargets !== "deny") throw new ObolError("ERR_CONFIG", "OBOL_WEBHOOK_PRIVATE_TARGETS must be allow or deny");
  const publicUrl = (env.OBOL_PUBLIC_URL ?? `http://${host.includes(":") ? `[${host}]` : host}:${port}`).replace(/\/$/, "");
  if (!/^https?:\/\/[^\s]+$/.test(publicUrl)) throw new ObolError("ERR_CONFIG", "OBOL_PUBLIC_URL must be an http(s) URL");
  return {
    production,
    host,
    port,
    keyPassphrase,
    publicUrl,
    failpoints,
    pkcs11: pkcs11Settings(env),
    legacyRsaDevices: booleanSetting(env, "OBOL_LEGACY_RSA_DEVICES"),
    bank: loadBankSettings(env, production),
    settlement: loadSettlementSettings(env),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: env.OBOL_DATA_DIR ?? "./data",
    currencies,
    logLevel,
    ecash: loadEcashConfig(env, currencies),
    limits: {
      bodyBytesMax: integer(env, "OBOL_BODY_BYTES_MAX", 16 * 1024, 1024, 1024 * 1024),
      sessionTtlMs: integer(env, "OBOL_SESSION_TTL_SECONDS", 900, 60, 86_400) * 1000,
      bankTransferAmountMax: BigInt(integer(env, "OBOL_BANK_TRANSFER_AMOUNT_MAX", 100_000_000, 1, Number.MAX_SAFE_INTEGER)),
      shutdownGraceMs: integer(env, "OBOL_SHUTDOWN_GRACE_MS", 10_000, 0, 120_000),
      dbPoolSize: integer(env, "OBOL_DB_POOL_SIZE", 10, 1, 200),
    },
    payments: {
      feeFixedMinor: BigInt(integer(env, "OBOL_PAYMENT_FEE_FIXED", 0, 0, 1_000_000_000)),
      feeRateBasisPoints: BigInt(integer(env, "OBOL_PAYMENT_FEE_BPS", 100, 0, 10_000)),
      confirmationTtlMs: integer(env, "OBOL_PAYMENT_CONFIRMATION_SECONDS", 60, 10, 86_400) * 1000,
      escrowAutoReleaseMs: integer(env, "OBOL_ESCROW_AUTO_RELEASE_SECONDS", 7 * 86_400, 1, 90 * 86_400) * 1000,
      escrowShipDeadlineMs: integer(env, "OBOL_ESCROW_SHIP_DEADLINE_SECONDS", 14 * 86_400, 1, 90 * 86_400) * 1000,
      fundingRetryMs: integer(env, "OBOL_PAYMENT_FUNDING_RETRY_MS", 5_000, 100, 300_000),
    },
    webhooks: {
      allowPrivateTargets: privateTargets === "allow",
      requestTimeoutMs: integer(env, "OBOL_WEBHOOK_TIMEOUT_MS", 15_000, 100, 60_000),
      pollIntervalMs: integer(env, "OBOL_WEBHOOK_POLL_MS", 1_000, 10, 60_000),
      concurrencyMax: integer(env, "OBOL_WEBHOOK_CONCURRENCY", 8, 1, 64),
      secretGraceMs: integer(env, "OBOL_WEBHOOK_SECRET_GRACE_SECONDS", 86_400, 0, 7 * 86_400) * 1000,
    },
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ObolError("ERR_CONFIG", `${name} must be an integer in ${min}..${max}`);
  return value;
}
