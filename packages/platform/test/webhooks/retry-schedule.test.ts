import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { afterFailure, defaultRetrySchedule, retryWindows, type RetrySchedule } from "../../src/modules/webhooks/retry-schedule.js";

const second = 1_000;
const minute = 60 * second;
const hour = 60 * minute;

/**
 * Plays a delivery that always fails: the attempt times and the failure times (offsets from the
 * first attempt) until the schedule gives up. Each failure is seen `processingDelayMs()` after its
 * attempt started (a slow receiver, a late worker).
 */
function playAlwaysFailing(schedule: RetrySchedule, draws: () => number, processingDelayMs: () => number = () => 0): { attempts: number[]; failures: number[] } {
  const start = 1_700_000_000_000;
  const attempts = [start];
  const failures: number[] = [];
  for (let count = 1; count < 1_000; count += 1) {
    const failedAt = attempts.at(-1)! + processingDelayMs();
    failures.push(failedAt - start);
    const decision = afterFailure(schedule, { cycleStartedAt: start, attemptsInCycle: count, now: failedAt, random: draws() });
    if (decision.kind === "give_up") return { attempts: attempts.map((t) => t - start), failures };
    assert.ok(decision.at >= failedAt + schedule.minGapMs, "a retry never comes sooner than minGapMs after the failure");
    attempts.push(decision.at);
  }
  throw new Error("the schedule never gave up");
}

test("the documented default schedule: 16 jittered retries in doubling windows capped at 4 h, the last after 24 h 15 min 45 s", () => {
  const windows = retryWindows(defaultRetrySchedule);
  const ends = windows.map((w) => w.endMs);
  assert.deepEqual(ends, [
    15 * second, 45 * second, 105 * second, 225 * second, 465 * second, 945 * second, 1_905 * second, 3_825 * second, 7_665 * second,
    15_345 * second, 15_345 * second + 4 * hour, 15_345 * second + 8 * hour, 15_345 * second + 12 * hour, 15_345 * second + 16 * hour,
    15_345 * second + 20 * hour, 15_345 * second + 24 * hour,
  ]);
  assert.equal(windows.length, 16);
  assert.equal(windows.at(-1)!.startMs, 24 * hour + 15 * minute + 45 * second);
  assert.equal(windows.at(-1)!.endMs, 28 * hour + 15 * minute + 45 * second);
  for (let n = 1; n < windows.length; n += 1) assert.equal(windows[n]!.startMs, windows[n - 1]!.endMs, "windows are contiguous");
});

test("extreme draws: always 0 and always just below 1 both keep 17 attempts and a last one past 24 h", () => {
  for (const draw of [0, 1 - Number.EPSILON]) {
    const times = playAlwaysFailing(defaultRetrySchedule, () => draw).attempts;
    assert.equal(times.length, 17);
    assert.ok(times.at(-1)! > 24 * hour + 15 * minute, `last attempt at ${times.at(-1)} ms`);
    assert.ok(times.at(-1)! <= 28 * hour + 15 * minute + 45 * second);
  }
});

test("property (24 h bound): whatever the draws and however late failures are seen, at least 8 attempts, the last after 24 h, each retry in its window or minGapMs after a late failure", () => {
  fc.assert(fc.property(
    fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { minLength: 40, maxLength: 40 }),
    fc.array(fc.integer({ min: 0, max: 2 * hour }), { minLength: 40, maxLength: 40 }),
    (draws, delays) => {
      let d = 0;
      let p = 0;
      const { attempts, failures } = playAlwaysFailing(defaultRetrySchedule, () => draws[d++ % draws.length]!, () => delays[p++ % delays.length]!);
      const windows = retryWindows(defaultRetrySchedule);
      assert.equal(attempts.length, windows.length + 1);
      assert.ok(attempts.length >= 8);
      assert.ok(attempts.at(-1)! >= 24 * hour, "retried over at least 24 h");
      for (let n = 1; n < attempts.length; n += 1) {
        const window = windows[n - 1]!;
        assert.ok(attempts[n]! > window.startMs, `retry ${n} after its window's start`);
        // Inside its window, unless the failure it follows came too late for that window.
        assert.ok(attempts[n]! <= Math.max(window.endMs, failures[n - 1]! + defaultRetrySchedule.minGapMs), `retry ${n} within its window`);
      }
    },
  ), { numRuns: 500, seed: 2024 });
});

test("property: with a worker on time, retries are spread over their whole window (full jitter)", () => {
  const windows = retryWindows(defaultRetrySchedule);
  const last = windows.at(-1)!;
  const start = 0;
  const draws = [0, 0.25, 0.5, 0.75, 0.999999];
  const positions = draws.map((random) => {
    const decision = afterFailure(defaultRetrySchedule, { cycleStartedAt: start, attemptsInCycle: windows.length, now: last.startMs - hour, random });
    assert.equal(decision.kind, "retry");
    return (decision as { at: number }).at;
  });
  assert.deepEqual(positions, draws.map((r) => last.startMs + Math.floor(r * (last.endMs - last.startMs)) + 1));
  assert.equal(afterFailure(defaultRetrySchedule, { cycleStartedAt: 0, attemptsInCycle: windows.length + 1, now: last.endMs, random: 0.5 }).kind, "give_up");
});

test("bad inputs throw: attempts below 1, draws outside [0, 1), nonsense schedules", () => {
  assert.throws(() => afterFailure(defaultRetrySchedule, { cycleStartedAt: 0, attemptsInCycle: 0, now: 0, random: 0 }), RangeError);
  assert.throws(() => afterFailure(defaultRetrySchedule, { cycleStartedAt: 0, attemptsInCycle: 1, now: 0, random: 1 }), RangeError);
  assert.throws(() => afterFailure(defaultRetrySchedule, { cycleStartedAt: 0, attemptsInCycle: 1, now: 0, random: Number.NaN }), RangeError);
  assert.throws(() => retryWindows({ ...defaultRetrySchedule, baseMs: 0 }), RangeError);
  assert.throws(() => retryWindows({ ...defaultRetrySchedule, capMs: 1 }), RangeError);
});
