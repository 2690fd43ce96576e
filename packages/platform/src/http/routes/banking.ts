import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import type { RouteContext } from "../context.js";
import { currency, uuid } from "../schemas.js";
import { security } from "../openapi.js";
import { bankLink, bankMovement } from "../views.js";

const bearer = security.user;
const accountNumber = z.string().min(6).max(34).regex(/^[A-Z0-9]+$/, "6 to 34 capital letters and digits").meta({ example: "RB0123456789" });

/** A user's bank accounts (linked with the bank's verification) and bank operations. */
export function bankingRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/me/bank-accounts", {
      schema: {
        tags: ["banking"], security: bearer,
        summary: "Link a bank account: the bank checks it is yours (your MSISDN) and sends you a code through the bank's own channel",
        body: z.strictObject({ accountNumber, currency }), response: { 201: bankLink },
      },
      config: { errors: ["ERR_BANK_LINK_LIMIT", "ERR_BANK_NOT_CONFIGURED", "ERR_CURRENCY_UNSUPPORTED", "ERR_BANK_ACCOUNT_NOT_VERIFIED", "ERR_BANK_UNAVAILABLE"] },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      const started = await ctx.banking.startLink(user, request.body);
      if (!started.ok) throw new ApiError(started.code);
      return reply.code(201).send(started.value);
    });

    app.post("/me/bank-accounts/:linkId/confirm", {
      schema: {
        tags: ["banking"], security: bearer, summary: "Confirm a bank account link with the code the bank sent you",
        params: z.strictObject({ linkId: uuid }), body: z.strictObject({ code: z.string().regex(/^[0-9]{6}$/, "six digits").meta({ example: "123456" }) }), response: { 200: bankLink },
      },
      config: { errors: ["ERR_BANK_LINK_FAILED", "ERR_BANK_LINK_CODE_WRONG", "ERR_BANK_NOT_CONFIGURED", "ERR_NOT_FOUND", "ERR_BANK_UNAVAILABLE"] },
    }, async (request) => {
      const user = await ctx.callers.user(request);
      const confirmed = await ctx.banking.confirmLink(user, request.params.linkId, request.body.code);
      if (!confirmed.ok) throw new ApiError(confirmed.code);
      return confirmed.value;
    });

    app.get("/me/bank-accounts", { schema: { tags: ["banking"], security: bearer, summary: "Your bank account links, newest first", response: { 200: z.object({ links: z.array(bankLink) }) } } }, async (request) => {
      const user = await ctx.callers.user(request);
      return { links: await ctx.banking.links(user.id) };
    });

    app.get("/me/bank-operations/:operationId", {
      schema: { tags: ["banking"], security: bearer, summary: "A top-up or withdrawal through the bank: completed, pending, declined or reversed", params: z.strictObject({ operationId: uuid }), response: { 200: bankMovement } },
      config: { errors: ["ERR_NOT_FOUND"] },
    }, async (request) => {
      const user = await ctx.callers.user(request);
      const movement = await ctx.banking.movementOf(user.id, request.params.operationId);
      if (movement === undefined) throw new ApiError("ERR_NOT_FOUND");
      return movement;
    });
  };
}
