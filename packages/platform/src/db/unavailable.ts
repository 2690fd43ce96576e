/**
 * Is this error the database being unreachable (rather than a bug or bad input)? Such an error
 * changed nothing that was not rolled back, or left a COMMIT whose outcome is unknown; either way
 * the request may be retried with the same Idempotency-Key, so it is answered 503 with Retry-After
 * (`ERR_DATABASE_UNAVAILABLE`), and background workers back off and try again.
 */

/** SQLSTATEs of a lost or refused connection (PostgreSQL appendix A): class 08 and the shutdown codes. */
const unavailableSqlStates = new Set([
  "57P01", // admin_shutdown: pg_terminate_backend, or a fast shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now: the server is starting or recovering
  "53300", // too_many_connections
]);

/** Socket errors of node:net when the server is down or the path to it is cut. */
const unavailableSocketCodes = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ENOTFOUND"]);

/**
 * node-postgres reports some losses only by message: the socket closed under a query, a client
 * reused after its connection broke, or the pool's connection timeout.
 */
const unavailableMessages = [
  "Connection terminated unexpectedly",
  "Connection terminated",
  "Client has encountered a connection error and is not queryable",
  "timeout exceeded when trying to connect",
  "Client was closed and is not queryable",
];

/** How deep to follow `cause` (ObolError wraps the driver's error). */
const causeDepthMax = 5;

export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < causeDepthMax && current !== null && typeof current === "object"; depth += 1) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (typeof code === "string" && (code.startsWith("08") && code.length === 5 || unavailableSqlStates.has(code) || unavailableSocketCodes.has(code))) return true;
    if (code === "ERR_DATABASE_UNAVAILABLE") return true;
    if (typeof message === "string" && unavailableMessages.some((m) => message.startsWith(m))) return true;
    if (current instanceof AggregateError && current.errors.some((inner) => isDatabaseUnavailable(inner))) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The longest pause of a background worker while the database is unreachable. */
export const outageBackoffMsMax = 5_000;

/**
 * The delay before a background worker's next round: its interval normally, doubling (up to
 * `outageBackoffMsMax`, or the interval when that is longer) while rounds fail because the
 * database is unreachable, and back to the interval after the first round that succeeds.
 */
export class OutageBackoff {
  #failures = 0;

  /** Call after each round with its error, or undefined when it succeeded; returns the delay. */
  next(intervalMs: number, error?: unknown): number {
    if (error === undefined || !isDatabaseUnavailable(error)) {
      this.#failures = 0;
      return intervalMs;
    }
    this.#failures = Math.min(this.#failures + 1, 16);
    return Math.min(Math.max(intervalMs, 1) * 2 ** this.#failures, Math.max(outageBackoffMsMax, intervalMs));
  }

  /** True while the last round failed because the database was unreachable. */
  get inOutage(): boolean {
    return this.#failures > 0;
  }
}
