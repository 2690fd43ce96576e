import { randomBytes, timingSafeEqual } from "node:crypto";
import Fastify, { type FastifyInstance } from "fastify";
import { messageBytesMax } from "@obol/svs";
import { errorBody, statusOf, type ApiErrorCode } from "../../errors/api-errors.js";
import { ObolError } from "../../errors/obol-error.js";
import type { EcashPlatformClient } from "../platform-client.js";
import { octetStream } from "../transport.js";
import { catalogueLookup, type CatalogueItem } from "./catalogue.js";
import type { MerchantEcash } from "./service.js";

export interface MerchantServerOptions {
  ecash: MerchantEcash;
  catalogue: readonly CatalogueItem[];
  platform: EcashPlatformClient;
  /** Bearer token of the /admin routes (the other merchant commands read it from serve.json). */
  adminToken: string;
  /** One line per refused message (with the reason: never sent to the wallet, §2.0). */
  log: (line: string) => void;
}

const fastifyErrorCodes: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "ERR_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "ERR_VALIDATION",
};

/**
 * The merchant's e-cash server: wallets fetch its offer and catalogue and pay it with P1 / Pj messages
 * (application/octet-stream, at most messageBytesMax bytes), answered with P2 / Pj' without asking the platform.
 * The /admin routes let `obol merchant ecash deposit|records` act through the running server, which owns the
 * local database.
 */
export async function buildMerchantServer(options: MerchantServerOptions): Promise<FastifyInstance> {
  const { ecash } = options;
  const catalogue = catalogueLookup(options.catalogue);
  const app = Fastify({ logger: false, bodyLimit: messageBytesMax, return503OnClosing: true });
  app.removeContentTypeParser("text/plain");
  app.addContentTypeParser(octetStream, { parseAs: "buffer", bodyLimit: messageBytesMax }, (_request, body, done) => done(null, body));
  app.setErrorHandler((error: { code?: string }, _request, reply) => {
    if (error instanceof ObolError) return reply.code(502).send(errorBody("ERR_INTERNAL", error.message));
    const code = error.code === undefined ? undefined : fastifyErrorCodes[error.code];
    if (code !== undefined) return reply.code(statusOf(code)).send(errorBody(code));
    options.log(`merchant server error: ${String(error)}`);
    return reply.code(500).send(errorBody("ERR_INTERNAL"));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody("ERR_ROUTE_NOT_FOUND")));

  app.get("/health", async () => ({ status: "ok" }));
  app.get("/ecash/merchant", async () => ecash.offer());
  app.get("/ecash/catalogue", async () => ({ items: options.catalogue.map((i) => ({ item: i.item, price: i.price.toString() })) }));

  app.post("/ecash/pay", async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return reply.code(415).send(errorBody("ERR_UNSUPPORTED_MEDIA_TYPE", `Send ${octetStream}`));
    const answer = await ecash.pay(new Uint8Array(request.body), catalogue);
    if (!answer.ok) {
      options.log(`payment refused: ${answer.failure.reason ?? answer.failure.code}`);
      return reply.code(statusOf("ERR_ECASH_REJECTED")).send(errorBody("ERR_ECASH_REJECTED"));
    }
    const p = answer.payment;
    options.log(p.accepted === null ? "payment retransmitted: cached reply" : p.accepted
      ? `payment accepted: ${Buffer.from(p.goodsInfo).toString("utf8")} ${p.price} (token ${p.sn.slice(0, 8)}…, cumulative ${p.cum})`
      : `payment refused: ${p.reason} (token ${p.sn.slice(0, 8)}…)`);
    return reply.type(octetStream).send(Buffer.from(answer.reply));
  });

  const admin = (authorization: string | undefined): boolean => {
    const given = Buffer.from(authorization ?? "");
    const expected = Buffer.from(`Bearer ${options.adminToken}`);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  app.post("/admin/deposit", async (request, reply) => {
    if (!admin(request.headers.authorization)) return reply.code(401).send(errorBody("ERR_UNAUTHENTICATED"));
    return ecash.deposit(options.platform);
  });
  app.get("/admin/records", async (request, reply) => {
    if (!admin(request.headers.authorization)) return reply.code(401).send(errorBody("ERR_UNAUTHENTICATED"));
    return { records: ecash.records(), deposits: ecash.deposits() };
  });
  return app;
}

export function newAdminToken(): string {
  return randomBytes(32).toString("base64url");
}
