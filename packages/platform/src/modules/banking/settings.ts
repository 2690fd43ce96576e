import { ObolError } from "../../errors/obol-error.js";

/**
 * How the platform reaches its bank (OBOL_BANK_*):
 * - remote: OBOL_BANK_URL is the bank's base URL and OBOL_BANK_CERT the file of its pinned
 *   certificates (signing and encryption, PEM). The only mode production accepts.
 * - embedded: the reference bank runs inside the platform process (own PGlite under the data dir,
 *   in-process transport; its admin endpoint on loopback). `OBOL_BANK_URL=embedded`, and the
 *   default of `obol start --demo` in development, so `npm start` needs nothing installed.
 * - none: no bank. In development top-ups and withdrawals move money against the clearing account
 *   only, as before the connector existed; in production every bank operation is refused.
 */
export type BankMode = "remote" | "embedded" | "none";

export interface BankSettings {
  mode: BankMode;
  url: string | undefined;
  certificateFile: string | undefined;
  /** The id the bank registered this platform under; also the KeyName of its messages. */
  clientId: string;
  /** One exchange with the bank (connect, send, answer). */
  timeoutMs: number;
  /** How long an operation whose outcome is unknown is resent; after that it is reversed (cancelled). */
  resendWindowMs: number;
  /** First retry delay of an unresolved operation; doubles to retryMsMax. */
  retryMs: number;
  /** How often the recovery sweeper looks for unresolved operations. */
  sweepIntervalMs: number;
  /** embedded: where the reference bank's admin endpoint listens (loopback; 0 = any free port). */
  embeddedPort: number;
}

export const retryMsMax = 60_000;

export function loadBankSettings(env: NodeJS.ProcessEnv, production: boolean): BankSettings {
  const raw = env.OBOL_BANK_URL?.trim() || undefined;
  let mode: BankMode = raw === undefined ? "none" : raw === "embedded" ? "embedded" : "remote";
  const url = mode === "remote" ? raw!.replace(/\/$/, "") : undefined;
  if (url !== undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ObolError("ERR_CONFIG", "OBOL_BANK_URL must be an http(s) URL or 'embedded'");
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") throw new ObolError("ERR_CONFIG", "OBOL_BANK_URL must be an http(s) URL or 'embedded'");
    const loopback = ["127.0.0.1", "[::1]", "localhost"].includes(parsed.hostname);
    if (production && parsed.protocol !== "https:" && !loopback) throw new ObolError("ERR_CONFIG", "OBOL_BANK_URL must use https in production (plain http only on loopback)");
  }
  const certificateFile = env.OBOL_BANK_CERT || undefined;
  if (mode === "remote" && certificateFile === undefined) throw new ObolError("ERR_CONFIG", "OBOL_BANK_CERT is required with OBOL_BANK_URL: the bank's certificates are pinned, never fetched");
  if (production && mode === "embedded") throw new ObolError("ERR_CONFIG", "the embedded reference bank is for development; production needs OBOL_BANK_URL and OBOL_BANK_CERT");
  const clientId = env.OBOL_BANK_CLIENT_ID || "obol";
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(clientId)) throw new ObolError("ERR_CONFIG", "OBOL_BANK_CLIENT_ID must be [a-z][a-z0-9-]{0,31}");
  return {
    mode, url, certificateFile, clientId,
    timeoutMs: integer(env, "OBOL_BANK_TIMEOUT_MS", 5_000, 100, 60_000),
    resendWindowMs: integer(env, "OBOL_BANK_RESEND_WINDOW_MS", 300_000, 0, 86_400_000),
    retryMs: integer(env, "OBOL_BANK_RETRY_MS", 1_000, 10, retryMsMax),
    sweepIntervalMs: integer(env, "OBOL_BANK_SWEEP_INTERVAL_MS", 1_000, 50, 600_000),
    embeddedPort: integer(env, "OBOL_BANK_EMBEDDED_PORT", 0, 0, 65535),
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) throw new ObolError("ERR_CONFIG", `${name} must be an integer in ${min}..${max}`);
  return value;
}
