import { ObolError } from "../../errors/obol-error.js";

export interface SettlementSettings {
  /** Length of a settlement period (OBOL_SETTLEMENT_INTERVAL): periods are aligned on multiples of it since the epoch, in UTC. */
  intervalMs: number;
}

const units: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
export const settlementIntervalMsMin = 1_000;
export const settlementIntervalMsMax = 31 * 86_400_000;

/** OBOL_SETTLEMENT_INTERVAL: `24h` (default), `15m`, `30s`, `7d`, or a number of seconds. */
export function loadSettlementSettings(env: NodeJS.ProcessEnv): SettlementSettings {
  const text = (env.OBOL_SETTLEMENT_INTERVAL || "24h").trim();
  const match = /^([1-9][0-9]{0,9})([smhd]?)$/.exec(text);
  const intervalMs = match === null ? NaN : Number(match[1]) * units[match[2] || "s"]!;
  if (!Number.isSafeInteger(intervalMs) || intervalMs < settlementIntervalMsMin || intervalMs > settlementIntervalMsMax) {
    throw new ObolError("ERR_CONFIG", "OBOL_SETTLEMENT_INTERVAL must be a duration like 24h, 15m or 30s (1 s to 31 d)");
  }
  return { intervalMs };
}

/** The last period that has ended at `now`: [end − interval, end). */
export function lastEndedPeriod(now: number, intervalMs: number): { start: number; end: number } {
  const end = Math.floor(now / intervalMs) * intervalMs;
  return { start: end - intervalMs, end };
}
