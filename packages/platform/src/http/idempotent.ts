import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError, errorBody, statusOf, type ApiErrorCode } from "../errors/api-errors.js";
import { FenceLostError } from "../modules/ledger/index.js";
import { isValidIdempotencyKey, requestHash, transferIdFor, type Claim, type IdempotencyService } from "../modules/idempotency/service.js";

export type Answer = { status: number; body: unknown };

const json = "application/json; charset=utf-8";

export function failure(code: ApiErrorCode): Answer {
  return { status: statusOf(code), body: errorBody(code) };
}

/** Rounds of "my claim was taken over, wait for the answer" before answering ERR_IDEMPOTENCY_IN_PROGRESS. */
const attemptsMax = 3;

/**
 * Runs a money-moving request at most once per (caller, Idempotency-Key), linearizably: every
 * request with the key gets the one stored answer, and the stored answer agrees with the database.
 * - The same key with another body is a 409 (ERR_IDEMPOTENCY_MISMATCH).
 * - The request claims the key (modules/idempotency); a twin arriving meanwhile, on this process or
 *   another, waits for the answer and replays it (or, past the wait, gets a retryable 409
 *   ERR_IDEMPOTENCY_IN_PROGRESS).
 * - The work gets transfer ids derived from the key, and the claim as a fence for its ledger
 *   transfers: they apply only while the claim holds.
 * - The answer is sent only if it was stored under the claim; an attempt that lost its claim (it was
 *   presumed dead and a retry took over) replays the answer of the one that took over.
 * - 5xx answers are not stored (the claim is released at once): the client retries them.
 */
export async function idempotent(
  idempotency: IdempotencyService, request: FastifyRequest, reply: FastifyReply, scope: string, operation: string,
  work: (transferIdForLeg: (leg: number) => string, fence: Claim) => Promise<Answer>,
): Promise<FastifyReply> {
  const key = request.headers["idempotency-key"];
  if (key === undefined) throw new ApiError("ERR_IDEMPOTENCY_KEY_REQUIRED");
  if (typeof key !== "string" || !isValidIdempotencyKey(key)) throw new ApiError("ERR_IDEMPOTENCY_KEY_INVALID");
  const hash = requestHash(operation, request.body);

  for (let attempt = 1; attempt <= attemptsMax; attempt += 1) {
    const begun = await idempotency.begin(scope, key, hash);
    if (begun.kind === "mismatch") throw new ApiError("ERR_IDEMPOTENCY_MISMATCH");
    if (begun.kind === "stored") {
      return reply.code(begun.statusCode).header("idempotent-replayed", "true").type(json).send(begun.response);
    }
    if (begun.kind === "in_progress") break;

    const claim = begun.claim;
    const stopRenewing = idempotency.keepAlive(claim, (error) => request.log.warn({ err: error }, "idempotency claim renewal failed"));
    let answer: Answer | undefined;
    try {
      answer = await work((leg) => transferIdFor(scope, key, leg), claim);
    } catch (error) {
      if (!(error instanceof FenceLostError)) {
        await idempotency.release(claim).catch(() => {}); // the database may be gone: then the lease runs out
        throw error;
      }
    } finally {
      stopRenewing();
    }
    if (answer === undefined) continue; // the fence did not hold: another attempt owns the key now
    const body = JSON.stringify(answer.body);
    if (answer.status >= 500) {
      await idempotency.release(claim);
      return reply.code(answer.status).type(json).send(body);
    }
    if (await idempotency.complete(claim, answer.status, body)) return reply.code(answer.status).type(json).send(body);
    // Taken over while working: that attempt's answer is the one; wait for it and replay it.
  }
  return reply.code(statusOf("ERR_IDEMPOTENCY_IN_PROGRESS")).header("retry-after", "1").send(errorBody("ERR_IDEMPOTENCY_IN_PROGRESS"));
}
