import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyReply, FastifyRequest } from "fastify";
import { messageBytesMax } from "@obol/svs";
import { ApiError } from "../../errors/api-errors.js";
import { confirmationWaitMsMax, type EcashParty, type EcashResult } from "../../modules/ecash/service.js";
import { encodeFrames } from "../../ecash/frames.js";
import type { RouteContext } from "../context.js";
import { security } from "../openapi.js";
import { binary as binaryContent } from "../views.js";

const refused = ["ERR_ECASH_REJECTED", "ERR_ECASH_RATE_LIMITED"] as const;
const svsAnswer = (name: string) => ({ 200: binaryContent(octetStream, `${name}, in the binary encoding of svs-protocol.md §2.0`) });
const octetStream = "application/octet-stream";
const binaryBody = { description: "An SVS1-M message in the binary encoding of svs-protocol.md §2.0", format: "binary", type: "string" };

/**
 * Self-verified e-cash (SVS1-M, shared/specs/svs-protocol.md), N's side: SVS messages travel as
 * application/octet-stream in the spec's binary encoding, at most messageBytesMax bytes; the parsers of
 * @obol/svs refuse trailing bytes and break no limit. Every caller is first authenticated by the platform.
 * A refused message gets ERR_ECASH_REJECTED and never the reason (§2.0); the reason goes to the log.
 */
export function ecashRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser(octetStream, { parseAs: "buffer", bodyLimit: messageBytesMax }, (_request, body, done) => done(null, body));

    const message = (request: FastifyRequest): Uint8Array => {
      if (!Buffer.isBuffer(request.body)) throw new ApiError("ERR_UNSUPPORTED_MEDIA_TYPE", `Send ${octetStream}`);
      return new Uint8Array(request.body);
    };
    const party = async (request: FastifyRequest): Promise<EcashParty> => {
      const caller = await ctx.callers.resolve(request);
      if (caller.type === "operator") throw new ApiError("ERR_FORBIDDEN");
      return caller.type === "user" ? { type: "user", user: caller.user } : { type: "merchant", merchant: caller.merchant };
    };
    const binary = <T extends Uint8Array>(request: FastifyRequest, reply: FastifyReply, result: EcashResult<T>) => {
      if (!result.ok) {
        request.log.warn({ code: result.code, reason: result.reason }, "e-cash message refused");
        throw new ApiError(result.code);
      }
      return reply.type(octetStream).send(Buffer.from(result.value));
    };

    app.get("/ecash/params", { schema: { tags: ["ecash"], summary: "N's public parameters (ID_N, Q_N, Q_N^sig as SEC1 compressed hex, Δ) and policy: pin them",
      response: { 200: z.object({ idN: z.string(), qN: z.string(), qNSig: z.string(), freshnessWindowMs: z.number(), currency: z.string(), withdrawAmountMax: z.string(), tokenTtlMs: z.number(), depositGraceMs: z.number() }) } } },
      async () => ctx.ecash.publicParams());

    app.get("/ecash/registration", {
      schema: { tags: ["ecash"], summary: "The caller's e-cash identity (fixed by the platform) and whether it is registered", security: security.party,
      response: { 200: z.object({ id: z.string(), role: z.enum(["U", "P"]), registered: z.boolean(), notAfterMs: z.number().nullable() }) } },
    }, async (request) => ctx.ecash.registration(await party(request)));

    app.post("/ecash/registrations", {
      schema: { tags: ["ecash"], summary: "R1 → R3: register the calling user (role U) or approved merchant (role P), no key escrow (SVS1-M-NE)", security: security.party, consumes: [octetStream], body: z.any().meta(binaryBody), response: svsAnswer("R3") },
      config: { errors: [...refused, "ERR_MERCHANT_NOT_APPROVED"] },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.register(await party(request), message(request))));

    app.post("/ecash/withdrawals", {
      schema: { tags: ["ecash"], summary: "W1 → W2: withdraw a token; the amount moves from the wallet to the e-cash escrow. Retry with the same W1 bytes.", security: security.user, consumes: [octetStream], body: z.any().meta(binaryBody), response: svsAnswer("W2") },
      config: { errors: [...refused, "ERR_ECASH_NOT_REGISTERED", "ERR_INSUFFICIENT_FUNDS", "ERR_ACCOUNT_FROZEN"] },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.withdraw(await ctx.callers.user(request), message(request))));

    app.post("/ecash/deposits", {
      schema: { tags: ["ecash"], summary: "D1 → D4: a merchant deposits its payment records; each user is asked to confirm (D2)", security: security.merchant, consumes: [octetStream], body: z.any().meta(binaryBody), response: svsAnswer("D4") },
      config: { errors: [...refused, "ERR_ECASH_NOT_REGISTERED", "ERR_MERCHANT_NOT_APPROVED"] },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.deposit(await ctx.callers.merchant(request), message(request))));

    app.get("/ecash/deposits/:depId", {
      schema: { tags: ["ecash"], summary: "D4 again: the per-token results of a deposit", security: security.merchant, params: z.strictObject({ depId: z.string().regex(/^[0-9a-f]{32}$/) }), response: svsAnswer("D4") },
      config: { errors: [...refused, "ERR_NOT_FOUND"] },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.depositResult(await ctx.callers.merchant(request), request.params.depId)));

    app.get("/ecash/confirmations", {
      schema: {
        tags: ["ecash"], security: security.user, response: { 200: binaryContent(octetStream, "LP-framed D2 messages (2-byte length ‖ message); empty when none") },
        summary: "The D2 confirmation requests waiting for the caller, as LP-framed SVS messages (2-byte length ‖ message, §2.0); waits up to waitMs for one",
        querystring: z.strictObject({ waitMs: z.coerce.number().int().min(0).max(confirmationWaitMsMax).default(0) }),
      },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      const pending = await ctx.ecash.confirmations(user, request.query.waitMs, ctx.isAcceptingWork);
      return reply.type(octetStream).send(Buffer.from(encodeFrames(pending)));
    });

    app.post("/ecash/confirmations", {
      schema: { tags: ["ecash"], summary: "D3: the user's ACCEPT or REJECT of a deposit; a second answer is ignored", security: security.user, consumes: [octetStream], body: z.any().meta(binaryBody),
        response: { 200: z.object({ decision: z.enum(["ACCEPT", "REJECT"]).nullable(), ignored: z.boolean() }) } },
      config: { errors: [...refused, "ERR_NOT_FOUND"] },
    }, async (request) => {
      const result = await ctx.ecash.confirm(await ctx.callers.user(request), message(request));
      if (!result.ok) {
        request.log.warn({ code: result.code, reason: result.reason }, "e-cash message refused");
        throw new ApiError(result.code);
      }
      return result.value;
    });

    app.get("/ecash/merchants/:id", {
      schema: { tags: ["ecash"], summary: "A registered merchant's public registration (ID_P, V_P, notAfter) and verified name", params: z.strictObject({ id: z.string().min(1).max(255) }),
        response: { 200: z.object({ id: z.string(), v: z.string(), notAfterMs: z.number(), status: z.string(), legalName: z.string() }) } },
      config: { errors: ["ERR_MERCHANT_NOT_FOUND"] },
    }, async (request) => {
      const found = await ctx.ecash.merchantDescriptor(request.params.id);
      if (found === undefined) throw new ApiError("ERR_MERCHANT_NOT_FOUND");
      return found;
    });

    app.get("/admin/ecash", { schema: { tags: ["admin"], summary: "E-cash escrow balance and tokens by status (admin, risk, support)", security: security.operator,
      response: { 200: z.object({ currency: z.string(), escrowAccountId: z.string(), escrowBalance: z.string(), tokens: z.record(z.string(), z.object({ count: z.number().int(), escrow: z.string() })), pendingMoves: z.number().int() }) } } }, async (request) => {
      await ctx.callers.operator(request, ["admin", "risk", "support"]);
      return ctx.ecash.summary();
    });
  };
}
