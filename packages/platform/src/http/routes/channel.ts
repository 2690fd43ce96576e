import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError, errorBody, statusOf } from "../../errors/api-errors.js";
import { messageBytesMax, type WalletChannel } from "../../modules/channel/service.js";

/** The wallet's signed-message endpoint: XML in, platform-signed XML out. */
export function channelRoutes(channel: WalletChannel): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser("application/xml", { parseAs: "buffer", bodyLimit: messageBytesMax }, (_request, body, done) => done(null, body));

    app.post("/v1/wallet/messages", {
      schema: { tags: ["wallet"], summary: "A signed (and optionally encrypted) XML message from an enrolled device; answered with platform-signed XML. See packages/xml/README.md." },
    }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new ApiError("ERR_UNSUPPORTED_MEDIA_TYPE", "Send application/xml");
      const answer = await channel.handle(new Uint8Array(request.body));
      if (!answer.ok) {
        request.log.warn({ code: answer.code, detail: answer.detail }, "wallet message refused");
        return reply.code(statusOf(answer.code)).send(errorBody(answer.code));
      }
      return reply.code(answer.status).type("application/xml; charset=utf-8").send(answer.xml);
    });
  };
}
