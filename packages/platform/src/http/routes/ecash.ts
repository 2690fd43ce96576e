import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyReply, FastifyRequest } from "fastify";
import { messageBytesMax } from "@obol/svs";
import { ApiError } from "../../errors/api-errors.js";
import { confirmationWaitMsMax, type EcashParty, type EcashResult } from "../../modules/ecash/service.js";
import { encodeFrames } from "../../ecash/frames.js";
import type { RouteContext } from "../context.js";

const bearer = [{ bearerAuth: [] }];
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

    app.get("/ecash/params", { schema: { tags: ["ecash"], summary: "N's public parameters (ID_N, Q_N, Q_N^sig as SEC1 compressed hex, Δ) and policy: pin them" } },
      async () => ctx.ecash.publicParams());

    app.get("/ecash/registration", {
      schema: { tags: ["ecash"], summary: "The caller's e-cash identity (fixed by the platform) and whether it is registered", security: bearer },
    }, async (request) => ctx.ecash.registration(await party(request)));

    app.post("/ecash/registrations", {
      schema: { tags: ["ecash"], summary: "R1 → R3: register the calling user (role U) or approved merchant (role P), no key escrow (SVS1-M-NE)", security: bearer, consumes: [octetStream], body: z.any().meta(binaryBody) },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.register(await party(request), message(request))));

    app.post("/ecash/withdrawals", {
      schema: { tags: ["ecash"], summary: "W1 → W2: withdraw a token; the amount moves from the wallet to the e-cash escrow. Retry with the same W1 bytes.", security: bearer, consumes: [octetStream], body: z.any().meta(binaryBody) },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.withdraw(await ctx.callers.user(request), message(request))));

    app.post("/ecash/deposits", {
      schema: { tags: ["ecash"], summary: "D1 → D4: a merchant deposits its payment records; each user is asked to confirm (D2)", security: bearer, consumes: [octetStream], body: z.any().meta(binaryBody) },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.deposit(await ctx.callers.merchant(request), message(request))));

    app.get("/ecash/deposits/:depId", {
      schema: { tags: ["ecash"], summary: "D4 again: the per-token results of a deposit", security: bearer, params: z.strictObject({ depId: z.string().regex(/^[0-9a-f]{32}$/) }) },
    }, async (request, reply) => binary(request, reply, await ctx.ecash.depositResult(await ctx.callers.merchant(request), request.params.depId)));

    app.get("/ecash/confirmations", {
      schema: {
        tags: ["ecash"], security: bearer,
        summary: "The D2 confirmation requests waiting for the caller, as LP-framed SVS messages (2-byte length ‖ message, §2.0); waits up to waitMs for one",
        querystring: z.strictObject({ waitMs: z.coerce.number().int().min(0).max(confirmationWaitMsMax).default(0) }),
      },
    }, async (request, reply) => {
      const user = await ctx.callers.user(request);
      const pending = await ctx.ecash.confirmations(user, request.query.waitMs, ctx.isAcceptingWork);
      return reply.type(octetStream).send(Buffer.from(encodeFrames(pending)));
    });

    app.post("/ecash/confirmations", {
      schema: { tags: ["ecash"], summary: "D3: the user's ACCEPT or REJECT of a deposit; a second answer is ignored", security: bearer, consumes: [octetStream], body: z.any().meta(binaryBody) },
    }, async (request) => {
      const result = await ctx.ecash.confirm(await ctx.callers.user(request), message(request));
      if (!result.ok) {
        request.log.warn({ code: result.code, reason: result.reason }, "e-cash message refused");
        throw new ApiError(result.code);
      }
      return result.value;
    });

    app.get("/ecash/merchants/:id", {
      schema: { tags: ["ecash"], summary: "A registered merchant's public registration (ID_P, V_P, notAfter) and verified name", params: z.strictObject({ id: z.string().min(1).max(255) }) },
    }, async (request) => {
      const found = await ctx.ecash.merchantDescriptor(request.params.id);
      if (found === undefined) throw new ApiError("ERR_MERCHANT_NOT_FOUND");
      return found;
    });

    app.get("/admin/ecash", { schema: { tags: ["admin"], summary: "E-cash escrow balance and tokens by status (admin, risk, support)", security: bearer } }, async (request) => {
      await ctx.callers.operator(request, ["admin", "risk", "support"]);
      return ctx.ecash.summary();
    });
  };
}
