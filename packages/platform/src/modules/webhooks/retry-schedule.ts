/**
 * When a failed webhook delivery is tried again. Exponential backoff with full jitter, laid out so
 * that the bound "retried over at least 24 h" holds whatever the random draws are:
 *
 * - Window n (n = 1, 2, …) spans (T(n-1), T(n)] after the first attempt of the cycle, where
 *   T(0) = 0 and T(n) = T(n-1) + min(baseMs · 2^(n-1), capMs): the windows double, then stay at
 *   the cap.
 * - Retry n is drawn uniformly over its whole window (full jitter), but never sooner than
 *   minGapMs after the failure it follows.
 * - There are as many retries as it takes for the last window to start at or after
 *   retryWindowMs; when the last retry fails too, the delivery is failed.
 *
 * Defaults (baseMs 15 s, capMs 4 h, retryWindowMs 24 h): 16 retries, so 17 attempts; the last one
 * falls between 24 h 15 min 45 s and 28 h 15 min 45 s after the first. Anchoring the windows on the
 * cycle's first attempt, not on the previous failure, is what makes the bound independent of the
 * draws; a worker that was down only makes retries later, never fewer. (The Standard Webhooks
 * spec recommends a multi-day exponential schedule with jitter, "Deliverability and reliability".)
 */
export interface RetrySchedule {
  baseMs: number;
  capMs: number;
  retryWindowMs: number;
  minGapMs: number;
}

export const defaultRetrySchedule: RetrySchedule = { baseMs: 15_000, capMs: 4 * 3_600_000, retryWindowMs: 24 * 3_600_000, minGapMs: 1_000 };

export interface RetryWindow { startMs: number; endMs: number }

/** The retry windows, as offsets from the cycle's first attempt. */
export function retryWindows(schedule: RetrySchedule): RetryWindow[] {
  if (!(schedule.baseMs > 0 && schedule.capMs >= schedule.baseMs && schedule.retryWindowMs >= 0 && schedule.minGapMs >= 0)) throw new RangeError("bad retry schedule");
  const windows: RetryWindow[] = [];
  let start = 0;
  for (let n = 1; windows.length === 0 || windows.at(-1)!.startMs < schedule.retryWindowMs; n += 1) {
    const length = Math.min(schedule.baseMs * 2 ** (n - 1), schedule.capMs);
    windows.push({ startMs: start, endMs: start + length });
    start += length;
  }
  return windows;
}

export type RetryDecision = { kind: "retry"; at: number } | { kind: "give_up" };

/**
 * After attempt `attemptsInCycle` of a cycle failed at `now` (the cycle's first attempt was at
 * `cycleStartedAt`): the time of the next attempt, or give up. `random` is in [0, 1).
 */
export function afterFailure(schedule: RetrySchedule, input: { cycleStartedAt: number; attemptsInCycle: number; now: number; random: number }): RetryDecision {
  const windows = retryWindows(schedule);
  const retriesDone = input.attemptsInCycle - 1;
  if (!Number.isSafeInteger(retriesDone) || retriesDone < 0) throw new RangeError("attemptsInCycle must be at least 1");
  if (!(input.random >= 0 && input.random < 1)) throw new RangeError("random must be in [0, 1)");
  if (retriesDone >= windows.length) return { kind: "give_up" };
  const window = windows[retriesDone]!;
  const drawn = input.cycleStartedAt + window.startMs + Math.floor(input.random * (window.endMs - window.startMs)) + 1;
  return { kind: "retry", at: Math.max(drawn, input.now + schedule.minGapMs) };
}
