// Specification of db/unavailable.ts: which errors mean "the database is unreachable" (answered
// 503, retried by workers after a pause), and how the pause grows and resets.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ObolError } from "../../src/errors/obol-error.js";
import { isDatabaseUnavailable, OutageBackoff, outageBackoffMsMax } from "../../src/db/unavailable.js";

function withCode(code: string, message = "x"): Error {
  return Object.assign(new Error(message), { code });
}

test("lost or refused connections are unavailability, through cause chains", () => {
  for (const error of [
    withCode("57P01", "terminating connection due to administrator command"),
    withCode("57P03", "the database system is starting up"),
    withCode("08006"),
    withCode("ECONNREFUSED"),
    withCode("ECONNRESET"),
    new Error("Connection terminated unexpectedly"),
    new Error("Client has encountered a connection error and is not queryable"),
    new Error("timeout exceeded when trying to connect"),
    Object.assign(new ObolError("ERR_LEDGER_UNAVAILABLE", "could not commit"), { cause: withCode("57P01") }),
    Object.assign(new ObolError("ERR_LEDGER_UNAVAILABLE", "could not commit"), { cause: new Error("Connection terminated unexpectedly") }),
    new AggregateError([new Error("other"), withCode("ECONNREFUSED")], "round failed"),
  ]) {
    assert.equal(isDatabaseUnavailable(error), true, `${(error as Error).message} (${(error as { code?: string }).code})`);
  }
});

test("bugs, constraint violations, serialization failures and business errors are not", () => {
  for (const error of [
    new Error("boom"),
    withCode("23505", "duplicate key"),
    withCode("23514", "check constraint"),
    withCode("40001", "could not serialize access"),
    withCode("42P01", "relation does not exist"),
    new ObolError("ERR_LEDGER_BUSY", "queue full"),
    undefined, null, "Connection terminated unexpectedly", 42,
  ]) {
    assert.equal(isDatabaseUnavailable(error), false, String(error));
  }
});

test("the backoff doubles while the database is away, is capped, and resets on the first success", () => {
  const backoff = new OutageBackoff();
  const down = withCode("ECONNREFUSED");
  assert.equal(backoff.next(100), 100);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => backoff.next(100, down)), [200, 400, 800, 1600, 3200, outageBackoffMsMax, outageBackoffMsMax]);
  assert.equal(backoff.inOutage, true);
  assert.equal(backoff.next(100), 100);
  assert.equal(backoff.inOutage, false);
  // Other failures keep the interval: they are not an outage.
  assert.equal(backoff.next(100, new Error("boom")), 100);
  // An interval longer than the cap is never shortened.
  assert.equal(backoff.next(60_000, down), 60_000);
});
