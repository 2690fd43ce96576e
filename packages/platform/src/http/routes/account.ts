import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import { noteCodePointsMax, parseNote } from "../../modules/wallet/notes.js";
import { bearerSecret } from "../caller.js";
import type { RouteContext } from "../context.js";
import { security } from "../openapi.js";
import { password } from "../schemas.js";

/** A transfer's optional note (modules/wallet/notes.ts); the error handler maps a bad one to ERR_NOTE_INVALID (schemas.ts fieldErrorCodes). */
export const transferNote = z.string().max(noteCodePointsMax * 4).refine((text) => parseNote(text).ok, `at most ${noteCodePointsMax} characters, no control or bidirectional-override characters`)
  .nullable().optional()
  .meta({ description: `Optional note shown to both sides: trimmed, at most ${noteCodePointsMax} Unicode code points, no control characters`, example: "Rent, March" });

const isoTime = z.string().meta({ description: "RFC 3339 UTC time", example: "2026-12-07T23:00:00.000Z" });

export const counterpartySchema = z.union([
  z.object({ type: z.literal("user"), msisdn: z.string(), displayName: z.string() }),
  z.object({ type: z.literal("merchant"), msisdn: z.null(), displayName: z.string() }),
  z.null(),
]).meta({ description: "The other side: a user (MSISDN and display name) or a merchant; null for the platform's own accounts (bank clearing, fees, e-cash escrow)" });

/** One movement of a wallet as its owner sees it (history item, and the base of a transfer view). */
export const movementSchema = z.object({
  transferId: z.string(),
  kind: z.enum(["p2p", "top_up", "withdrawal", "other"]),
  direction: z.enum(["debit", "credit"]).meta({ description: "From the caller's wallet: debit = money out, credit = money in" }),
  amount: z.string().meta({ description: "Minor units", example: "1250" }),
  currency: z.string(),
  counterparty: counterpartySchema,
  note: z.string().nullable(),
  createdAt: isoTime,
});

const transferSchema = movementSchema.extend({
  status: z.enum(["completed"]).meta({ description: "Only transfers that moved money exist: a refused transfer is never stored" }),
  completedAt: isoTime,
});

/** Account basics: log out, change the password, look up one of your own transfers. */
export function accountRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/auth/logout", {
      schema: {
        tags: ["users"], security: security.user,
        summary: "End the presented session (user or operator token). Idempotent: an already ended or expired token also answers 204",
        response: { 204: z.undefined().meta({ description: "The token no longer authenticates (no body)" }) },
      },
      // An ended or expired token must still get its 204 (RFC 7009 §2.2): the handler checks the header itself.
      config: { errors: ["ERR_UNAUTHENTICATED", "ERR_FORBIDDEN"], authenticatesItself: true },
    }, async (request, reply) => {
      const secret = bearerSecret(request);
      if (secret === undefined) throw new ApiError("ERR_UNAUTHENTICATED");
      const outcome = await ctx.account.logout(secret, request.ip);
      if (!outcome.ok) throw new ApiError(outcome.code);
      return reply.code(204).send();
    });

    app.post("/me/password", {
      schema: {
        tags: ["users"], security: security.user,
        summary: "Change your password. A wrong current password counts toward the login lockout. Every other session of yours ends; this one stays valid",
        body: z.strictObject({ currentPassword: z.string().max(128), newPassword: password.meta({ description: "10 to 128 characters, as at sign-up" }) }),
        response: { 200: z.object({ otherSessionsRevoked: z.number().int().min(0) }) },
      },
      config: { errors: ["ERR_PASSWORD_WEAK", "ERR_CURRENT_PASSWORD_WRONG", "ERR_LOGIN_LOCKED"] },
    }, async (request) => {
      const outcome = await ctx.account.changePassword({ user: await ctx.callers.user(request), sessionToken: bearerSecret(request)!, ip: request.ip }, request.body);
      if (!outcome.ok) throw new ApiError(outcome.code);
      return outcome.value;
    });

    app.get("/transfers/:id", {
      schema: {
        tags: ["users"], security: security.user,
        summary: "One of your transfers by id (any movement in your history); 404 for ids that are not yours",
        params: z.strictObject({ id: z.guid() }),
        response: { 200: transferSchema },
      },
      config: { errors: ["ERR_TRANSFER_NOT_FOUND"] },
    }, async (request) => {
      const outcome = await ctx.wallet.transfer(await ctx.callers.user(request), request.params.id.toLowerCase());
      if (!outcome.ok) throw new ApiError(outcome.code);
      return outcome.value;
    });
  };
}
