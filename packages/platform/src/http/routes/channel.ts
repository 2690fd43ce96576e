import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import { messageBytesMax, type WalletChannel } from "../../modules/channel/service.js";
import { z } from "zod";
import { text } from "../views.js";

/** The wallet's signed-message endpoint: XML in, platform-signed XML out. */
export function channelRoutes(channel: WalletChannel): FastifyPluginAsyncZod {
  return async (app) => {
    app.addContentTypeParser("application/xml", { parseAs: "buffer", bodyLimit: messageBytesMax }, (_request, body, done) => done(null, body));

    app.post("/v1/wallet/messages", {
      schema: {
        tags: ["wallet"], summary: "A signed (and optionally encrypted) XML message from an enrolled device; answered with platform-signed XML. See packages/xml/README.md.",
        consumes: ["application/xml"], body: z.any().meta({ type: "string", description: "An Obol message: signed XML (packages/xml/README.md)" }),
        response: { 200: text("application/xml", "The platform-signed XML answer"), 201: text("application/xml", "The platform-signed XML answer (something was created)") },
      },
      config: {
        errors: [
          "ERR_MESSAGE_MALFORMED", "ERR_MESSAGE_STALE", "ERR_MESSAGE_DECRYPT_FAILED", "ERR_MESSAGE_TYPE_UNKNOWN", "ERR_MESSAGE_SIGNATURE", "ERR_MESSAGE_ALGORITHM",
          "ERR_CERTIFICATE_UNKNOWN", "ERR_CERTIFICATE_REJECTED", "ERR_SESSION_KEY_UNKNOWN", "ERR_SESSION_KEY_EXPIRED", "ERR_SESSION_KEY_FOREIGN", "ERR_MESSAGE_REPLAY",
          "ERR_FORBIDDEN", "ERR_USER_SUSPENDED",
        ],
      },
    }, async (request, reply) => {
      if (!Buffer.isBuffer(request.body)) throw new ApiError("ERR_UNSUPPORTED_MEDIA_TYPE", "Send application/xml");
      const answer = await channel.handle(new Uint8Array(request.body));
      if (!answer.ok) {
        request.log.warn({ code: answer.code, detail: answer.detail }, "wallet message refused");
        throw new ApiError(answer.code);
      }
      return reply.code(answer.status as 200 | 201).type("application/xml; charset=utf-8").send(answer.xml);
    });
  };
}
