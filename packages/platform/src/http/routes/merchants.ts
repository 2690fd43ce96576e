import { z } from "zod";
import { ApiError } from "../../errors/api-errors.js";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { RouteContext } from "../context.js";
import { noNul } from "../schemas.js";
import { security } from "../openapi.js";
import { merchantView, merchantWithBalances } from "../views.js";

/** Merchants sign up themselves (pending until an operator approves) and call with an API key. */
export function merchantRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/merchants", {
      schema: {
        tags: ["merchants"], summary: "Sign up a merchant (status pending). The API key in the answer is shown once.",
        body: z.strictObject({ legalName: z.string().trim().min(1).max(128).refine(...noNul).meta({ example: "Mama Mboga Ltd" }), category: z.string().regex(/^[0-9]{4}$/).meta({ description: "ISO 18245 merchant category code", example: "5814" }) }),
        response: { 201: merchantView.extend({ apiKey: z.string().meta({ description: "The merchant's API key (obol_sk_…), shown this once" }) }) },
      },
    }, async (request, reply) => {
      const merchant = await ctx.parties.createMerchant(request.body);
      const apiKey = await ctx.auth.issueApiKey(merchant.id, "signup");
      return reply.code(201).send({ ...merchant, apiKey });
    });

    app.put("/merchant/request-signing-key", {
      schema: {
        tags: ["merchants"], security: security.merchant, response: { 200: z.object({ required: z.boolean() }) },
        summary: "Register the P-256 public key this merchant signs its API requests with (obol-timestamp, obol-signature); required: refuse unsigned requests",
        body: z.strictObject({ publicKey: z.string().max(1024).meta({ description: "PEM SPKI of a P-256 key" }), required: z.boolean().default(false) }),
      },
      config: { errors: ["ERR_REQUEST_KEY_INVALID"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const saved = await ctx.requestSigning.setKey(merchant.id, request.body.publicKey, request.body.required);
      if (saved === undefined) throw new ApiError("ERR_REQUEST_KEY_INVALID");
      await ctx.audit.append({ actorType: "merchant", actorId: merchant.id, action: "merchant.request_key_set", subject: `merchant:${merchant.id}`, details: { required: saved.required } });
      return saved;
    });

    app.delete("/merchant/request-signing-key", { schema: { tags: ["merchants"], summary: "Stop signing requests (a signed request may remove the key)", security: security.merchant, response: { 204: z.null().meta({ description: "Removed" }) } }, config: { errors: ["ERR_NOT_FOUND"] } }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      if (!(await ctx.requestSigning.removeKey(merchant.id))) throw new ApiError("ERR_NOT_FOUND");
      await ctx.audit.append({ actorType: "merchant", actorId: merchant.id, action: "merchant.request_key_removed", subject: `merchant:${merchant.id}`, details: {} });
      return reply.code(204).send(null);
    });

    app.get("/merchant", { schema: { tags: ["merchants"], summary: "The calling merchant and its balances", security: security.merchant, response: { 200: merchantWithBalances } } }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const accounts = await ctx.ledger.accountsOf("merchant", merchant.id);
      return {
        ...merchant,
        balances: accounts.map((a) => ({ currency: a.currency, accountId: a.id, available: (a.creditsPosted - a.debitsPosted - a.debitsPending).toString(), frozen: a.frozen })),
      };
    });
  };
}
