import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { RouteContext } from "../context.js";
import { noNul } from "../schemas.js";

/** Merchants sign up themselves (pending until an operator approves) and call with an API key. */
export function merchantRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/merchants", {
      schema: {
        tags: ["merchants"], summary: "Sign up a merchant (status pending). The API key in the answer is shown once.",
        body: z.strictObject({ legalName: z.string().trim().min(1).max(128).refine(...noNul), category: z.string().regex(/^[0-9]{4}$/).meta({ description: "ISO 18245 merchant category code", example: "5814" }) }),
      },
    }, async (request, reply) => {
      const merchant = await ctx.parties.createMerchant(request.body);
      const apiKey = await ctx.auth.issueApiKey(merchant.id, "signup");
      return reply.code(201).send({ ...merchant, apiKey });
    });

    app.get("/merchant", { schema: { tags: ["merchants"], summary: "The calling merchant and its balances", security: [{ bearerAuth: [] }] } }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const accounts = await ctx.ledger.accountsOf("merchant", merchant.id);
      return {
        ...merchant,
        balances: accounts.map((a) => ({ currency: a.currency, accountId: a.id, available: (a.creditsPosted - a.debitsPosted - a.debitsPending).toString(), frozen: a.frozen })),
      };
    });
  };
}
