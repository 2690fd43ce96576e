import type { FastifyReply, FastifyRequest } from "fastify";
import { ApiError, errorBody, statusOf, type ApiErrorCode } from "../errors/api-errors.js";
import { isValidIdempotencyKey, requestHash, transferIdFor, type IdempotencyService } from "../modules/idempotency/service.js";

export type Answer = { status: number; body: unknown };

const json = "application/json; charset=utf-8";

export function failure(code: ApiErrorCode): Answer {
  return { status: statusOf(code), body: errorBody(code) };
}

/**
 * Runs a money-moving request at most once per (caller, Idempotency-Key). The same key with the
 * same body replays the stored answer; with another body it is a 409. The work gets a transfer id
 * derived from the key, so a retry after a crash between ledger commit and stored answer finds
 * its transfer already applied instead of applying it again. 5xx answers are not stored: the
 * client retries them.
 */
export async function idempotent(
  idempotency: IdempotencyService, request: FastifyRequest, reply: FastifyReply, scope: string, operation: string,
  work: (transferIdForLeg: (leg: number) => string) => Promise<Answer>,
): Promise<FastifyReply> {
  const key = request.headers["idempotency-key"];
  if (key === undefined) throw new ApiError("ERR_IDEMPOTENCY_KEY_REQUIRED");
  if (typeof key !== "string" || !isValidIdempotencyKey(key)) throw new ApiError("ERR_IDEMPOTENCY_KEY_INVALID");

  const replay = await idempotency.begin(scope, key, requestHash(operation, request.body));
  if (replay.kind === "mismatch") throw new ApiError("ERR_IDEMPOTENCY_MISMATCH");
  if (replay.kind === "stored") {
    return reply.code(replay.statusCode).header("idempotent-replayed", "true").type(json).send(replay.response);
  }
  const answer = await work((leg) => transferIdFor(scope, key, leg));
  const body = JSON.stringify(answer.body);
  if (answer.status < 500) await idempotency.complete(scope, key, answer.status, body);
  return reply.code(answer.status).type(json).send(body);
}
