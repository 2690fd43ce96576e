import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { ApiError, errorBody, isApiErrorCode, statusOf, type ApiErrorCode } from "../errors/api-errors.js";
import { ObolError } from "../errors/obol-error.js";
import type { RouteContext } from "./context.js";
import { receivedBodies } from "./caller.js";
import { createMetrics } from "./metrics.js";
import { adminRoutes } from "./routes/admin.js";
import { merchantRoutes } from "./routes/merchants.js";
import { paymentRoutes } from "./routes/payments.js";
import { opsRoutes } from "./routes/ops.js";
import { pkiRoutes } from "./routes/pki.js";
import { channelRoutes } from "./routes/channel.js";
import { userRoutes } from "./routes/users.js";
import { accountRoutes } from "./routes/account.js";
import { notificationRoutes } from "./routes/notifications.js";
import { webhookRoutes } from "./routes/webhooks.js";
import { bankingRoutes } from "./routes/banking.js";
import { settlementRoutes } from "./routes/settlement.js";
import { ecashRoutes } from "./routes/ecash.js";
import { fieldErrorCodes } from "./schemas.js";

export interface AppOptions {
  bodyBytesMax: number;
  logger: FastifyBaseLogger | false;
}

/** Fastify errors that are the client's fault, with our code for each. */
const fastifyErrorCodes: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "ERR_MALFORMED_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "ERR_MALFORMED_JSON",
  FST_ERR_CTP_BODY_TOO_LARGE: "ERR_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "ERR_VALIDATION",
};

/** Builds the HTTP API: thin routes over module services, one error shape, OpenAPI at /docs. */
export async function buildApp(ctx: RouteContext, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: options.bodyBytesMax,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    return503OnClosing: true,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API takes JSON only: without this, Fastify's built-in text/plain parser lets a text body through to
  // validation (400 ERR_VALIDATION) instead of answering 415 ERR_UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser("text/plain");

  const metrics = createMetrics(ctx.ledger);
  app.addHook("preValidation", async (request) => {
    if (request.body !== undefined) receivedBodies.set(request, request.body);
  });
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-request-id", request.id);
    return payload;
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unknown";
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiError) return reply.code(statusOf(error.code)).send(errorBody(error.code, error.message, error.details));
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => ({ path: v.instancePath || "/", message: v.message }));
      const field = error.validation.map((v) => v.instancePath.split("/")[1] ?? "").find((f) => f in fieldErrorCodes);
      const code = field === undefined ? "ERR_VALIDATION" : fieldErrorCodes[field]!;
      return reply.code(statusOf(code)).send(errorBody(code, undefined, { issues }));
    }
    const mapped = error.code === undefined ? undefined : fastifyErrorCodes[error.code];
    if (mapped !== undefined) return reply.code(statusOf(mapped)).send(errorBody(mapped));
    if (error instanceof ObolError && isApiErrorCode(error.code) && statusOf(error.code) === 503) {
      return reply.code(503).header("retry-after", "1").send(errorBody(error.code));
    }
    if (error.statusCode === 400 && (error.message.includes("__proto__") || error.message.includes("constructor"))) {
      return reply.code(400).send(errorBody("ERR_MALFORMED_JSON", "Forbidden property in JSON body"));
    }
    request.log.error({ err: error }, "unhandled error");
    return reply.code(500).send(errorBody("ERR_INTERNAL"));
  });
  app.setNotFoundHandler((_request, reply) => reply.code(404).send(errorBody("ERR_ROUTE_NOT_FOUND")));

  await app.register(swagger, {
    openapi: {
      info: { title: "Obol platform API", version: "0.1.0", description: "Amounts are strings of minor units. Errors are { error: { code, message } } with stable ERR_ codes. Money-moving POSTs need an Idempotency-Key." },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "A user or operator token from a login, or a merchant API key (obol_sk_…)" } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });

  await app.register(opsRoutes(ctx, metrics.registry));
  await app.register(userRoutes(ctx), { prefix: "/v1" });
  await app.register(accountRoutes(ctx), { prefix: "/v1" });
  await app.register(merchantRoutes(ctx), { prefix: "/v1" });
  await app.register(adminRoutes(ctx), { prefix: "/v1" });
  await app.register(paymentRoutes(ctx), { prefix: "/v1" });
  await app.register(pkiRoutes(ctx));
  await app.register(channelRoutes(ctx.walletChannel));
  await app.register(notificationRoutes(ctx), { prefix: "/v1" });
  await app.register(webhookRoutes(ctx), { prefix: "/v1" });
  await app.register(bankingRoutes(ctx), { prefix: "/v1" });
  await app.register(settlementRoutes(ctx), { prefix: "/v1" });
  await app.register(ecashRoutes(ctx), { prefix: "/v1" });
  return app;
}
