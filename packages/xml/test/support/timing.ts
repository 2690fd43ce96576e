import assert from "node:assert/strict";
import { XmlError } from "../../src/index.js";
import type { XmlErrorCode } from "../../src/index.js";

/** Every hostile input must be answered within this (reliability-tests.md T22). */
export const hostileInputMsMax = 100;

/** Generous bound on resident-memory growth while rejecting one hostile input. */
export const hostileInputRssGrowthBytesMax = 48 * 1024 * 1024;

export interface Outcome {
  readonly error: unknown;
  readonly ms: number;
}

/**
 * The CPU time (user + system) this process spent on `run`, not the wall time: an algorithmic
 * blow-up (entity expansion, quadratic scanning) burns CPU here, while a busy machine (other
 * processes on the same cores, as when CI or several test files run at once) only stretches the
 * wall clock. Nothing else runs in this process while a hostile input is timed.
 */
async function timeOnce(run: () => unknown): Promise<Outcome> {
  const started = process.cpuUsage();
  let error: unknown;
  try {
    await run();
  } catch (caught) {
    error = caught;
  }
  const used = process.cpuUsage(started);
  return { error, ms: (used.user + used.system) / 1000 };
}

/**
 * Runs `run` and returns what it threw and how long it took. An answer slower than the limit is timed once
 * more: an algorithmic blow-up repeats, a garbage-collection pause or a busy CI neighbour does not.
 */
export async function timed(run: () => unknown): Promise<Outcome> {
  const first = await timeOnce(run);
  if (first.ms <= hostileInputMsMax) return first;
  return timeOnce(run);
}

/** Asserts `run` rejects with an XmlError of `code` (any code if omitted) within hostileInputMsMax. */
export async function assertRejectedFast(run: () => unknown, code?: XmlErrorCode | readonly XmlErrorCode[]): Promise<XmlError> {
  const rssBefore = process.memoryUsage().rss;
  const { error, ms } = await timed(run);
  const rssGrowth = process.memoryUsage().rss - rssBefore;
  assert.ok(error instanceof XmlError, `expected an XmlError, got ${error === undefined ? "no error" : String(error)}`);
  if (code !== undefined) {
    const codes: readonly XmlErrorCode[] = typeof code === "string" ? [code] : code;
    assert.ok(codes.includes(error.code), `expected ${codes.join(" or ")}, got ${error.code}: ${error.message}`);
  }
  assert.ok(ms <= hostileInputMsMax, `took ${ms.toFixed(1)} ms (limit ${hostileInputMsMax} ms)`);
  assert.ok(rssGrowth <= hostileInputRssGrowthBytesMax, `resident memory grew by ${rssGrowth} bytes`);
  return error;
}
