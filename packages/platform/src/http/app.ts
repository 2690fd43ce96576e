import { randomUUID } from "node:crypto";
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import swagger from "@fastify/swagger";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, jsonSchemaTransformObject, ResponseSerializationError, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { ApiError, errorBody, isApiErrorCode, statusOf, type ApiErrorCode } from "../errors/api-errors.js";
import { ObolError } from "../errors/obol-error.js";
import { isDatabaseUnavailable } from "../db/unavailable.js";
import type { RouteContext } from "./context.js";
import { bearerSecret, receivedBodies } from "./caller.js";
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
import { documentInfo, documentTags, finishDocument, errorCodesOf, errorResponses, registerReference, schemeCallers, securityCallers, securitySchemes } from "./openapi.js";

export interface AppOptions {
  bodyBytesMax: number;
  logger: FastifyBaseLogger | false;
}

/** Fastify's own errors that are the client's fault, with our code for each (the status follows the code). */
const fastifyErrorCodes: Record<string, ApiErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: "ERR_MALFORMED_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "ERR_MALFORMED_JSON",
  FST_ERR_CTP_BODY_TOO_LARGE: "ERR_BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_EMPTY_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_ROUTE_MISSING_CONTENT_TYPE: "ERR_UNSUPPORTED_MEDIA_TYPE",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "ERR_BAD_REQUEST",
  FST_ERR_BAD_URL: "ERR_BAD_REQUEST",
  FST_ERR_MAX_PARAM_LENGTH: "ERR_URI_TOO_LONG",
};

/** What a 4xx error without a code of ours answers with: still our shape, still the client's fault (never a 500). */
const codeByClientStatus: Record<number, ApiErrorCode> = { 404: "ERR_ROUTE_NOT_FOUND", 405: "ERR_METHOD_NOT_ALLOWED", 413: "ERR_BODY_TOO_LARGE", 414: "ERR_URI_TOO_LONG", 415: "ERR_UNSUPPORTED_MEDIA_TYPE" };

/** Each route's error codes as its OpenAPI entry lists them, by "METHOD /url" (see onRoute). */
const declaredErrors = new Map<string, Set<ApiErrorCode>>();

/** The methods the API's routes take; any other method (QUERY, PROPFIND, TRACE, ...) is 405 before anything is read. */
const methodsServed = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/**
 * Every answer that is not a success, framework errors included, in the one shape { error: { code, message } }.
 * Messages are ours: an error's own message may echo the request (a path, a header) and is not sent.
 */
function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ApiError) {
    const declared = declaredErrors.get(`${request.method} ${request.routeOptions.url}`);
    if (declared !== undefined && !declared.has(error.code)) request.log.warn({ code: error.code, route: request.routeOptions.url }, "error code not declared by the route (OpenAPI)");
    return reply.code(statusOf(error.code)).send(errorBody(error.code, error.message, error.details));
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => ({ path: v.instancePath || "/", message: v.message }));
    const field = error.validation.map((v) => v.instancePath.split("/")[1] ?? "").find((f) => f in fieldErrorCodes);
    let code: ApiErrorCode = field === undefined ? "ERR_VALIDATION" : fieldErrorCodes[field]!;
    if (error.validationContext === "headers" && error.validation.some((v) => v.instancePath === "/idempotency-key")) {
      code = request.headers["idempotency-key"] === undefined ? "ERR_IDEMPOTENCY_KEY_REQUIRED" : "ERR_IDEMPOTENCY_KEY_INVALID";
    }
    return reply.code(statusOf(code)).send(errorBody(code, undefined, { issues }));
  }
  const mapped = error.code === undefined ? undefined : fastifyErrorCodes[error.code];
  if (mapped !== undefined) return reply.code(statusOf(mapped)).send(errorBody(mapped));
  if (isDatabaseUnavailable(error)) {
    request.log.warn({ err: error }, "database unavailable");
    return reply.code(503).header("retry-after", "1").send(errorBody("ERR_DATABASE_UNAVAILABLE"));
  }
  if (error instanceof ObolError && isApiErrorCode(error.code) && statusOf(error.code) === 503) {
    return reply.code(503).header("retry-after", "1").send(errorBody(error.code));
  }
  if (error.statusCode === 400 && (error.message.includes("__proto__") || error.message.includes("constructor"))) {
    return reply.code(400).send(errorBody("ERR_MALFORMED_JSON", "Forbidden property in JSON body"));
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    request.log.info({ code: error.code, status }, "client error");
    const code = codeByClientStatus[status] ?? "ERR_BAD_REQUEST";
    return reply.code(statusOf(code)).send(errorBody(code));
  }
  request.log.error({ err: error }, "unhandled error");
  return reply.code(500).send(errorBody("ERR_INTERNAL"));
}

/**
 * Success bodies are checked against the route's response schema and serialized from what it
 * declares (unknown properties are dropped, a body that breaks it is a 500, never sent). Error bodies
 * are built by errorBody alone and sent as they are: a code a route forgot to declare must not turn a
 * client error into a 500 (the API tests check every answer against the document instead).
 */
function serializerFor({ schema, method, url, httpStatus }: { schema: unknown; method: string; url: string; httpStatus?: string }) {
  const status = Number(httpStatus);
  if (status >= 400 || !(schema instanceof z.ZodType)) return (data: unknown) => JSON.stringify(data);
  return (data: unknown) => {
    const parsed = schema.safeParse(JSON.parse(JSON.stringify(data)));
    if (!parsed.success) throw new ResponseSerializationError(method, url, { cause: parsed.error });
    return JSON.stringify(parsed.data);
  };
}

/** A route's path as a pattern ("/v1/payments/:id" matches "/v1/payments/anything-but-a-slash"), for 405. */
function pathPattern(url: string): RegExp {
  const escaped = url.split("/").map((part) => (part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${escaped.join("/")}$`);
}

/** Builds the HTTP API: thin routes over module services, one error shape, OpenAPI at /openapi.json, its reference at /docs. */
export async function buildApp(ctx: RouteContext, options: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.logger === false ? { logger: false } : { loggerInstance: options.logger }),
    bodyLimit: options.bodyBytesMax,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    // Shutting down is answered by the onRequest hook below, in our shape (Fastify's own 503 body is not).
    return503OnClosing: false,
    // Bad URLs and over-long path parameters reach answerError instead of Fastify's own body, which echoes the path.
    frameworkErrors: (error, request, reply) => {
      reply.header("x-request-id", request.id);
      return answerError(error, request, reply);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerFor);
  // The API takes JSON only: without this, Fastify's built-in text/plain parser lets a text body through to
  // validation (400 ERR_VALIDATION) instead of answering 415 ERR_UNSUPPORTED_MEDIA_TYPE.
  app.removeContentTypeParser("text/plain");

  // Each route's error responses in the document, derived from what it declares and what it is (see errorCodesOf).
  const routeMethods: { pattern: RegExp; methods: string[] }[] = [];
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    routeMethods.push({ pattern: pathPattern(route.url), methods });
    const schema = (route.schema ??= {}) as { response?: Record<string | number, unknown>; hide?: boolean };
    if (schema.hide === true) return;
    const codes = errorCodesOf(route);
    for (const method of methods) declaredErrors.set(`${method} ${route.url}`, codes);
    schema.response = { ...schema.response, ...errorResponses(codes) };
  });

  const metrics = createMetrics(ctx.ledger);
  app.addHook("onRequest", async (request, reply) => {
    reply.header("x-request-id", request.id);
    if (!methodsServed.has(request.method)) throw new ApiError("ERR_METHOD_NOT_ALLOWED");
    if (!ctx.isAcceptingWork() && request.routeOptions.url !== "/ready") throw new ApiError("ERR_SHUTTING_DOWN");
    // Authentication before the body is read: the route's declared security says who may call.
    const schemes = ((request.routeOptions.schema?.security ?? []) as Record<string, unknown>[]).flatMap((entry) => Object.keys(entry)) as (keyof typeof schemeCallers)[];
    if (schemes.length === 0) return;
    // Logout reads its token itself (an ended token still gets 204), but a request without anything shaped like
    // one of our credentials (obol_at_… sessions, obol_sk_… API keys) is refused here, before its body is read.
    if (request.routeOptions.config.authenticatesItself === true) {
      if (!(bearerSecret(request)?.startsWith("obol_") ?? false)) throw new ApiError("ERR_UNAUTHENTICATED");
      return;
    }
    const caller = await ctx.callers.identify(request);
    const admitted = securityCallers.get(request.routeOptions.schema?.security) ?? schemes.flatMap((scheme) => schemeCallers[scheme]);
    if (!admitted.includes(caller.type)) throw new ApiError("ERR_FORBIDDEN");
  });
  app.addHook("preValidation", async (request) => {
    if (request.body !== undefined) receivedBodies.set(request, request.body);
    // A merchant's request signature covers the body as sent: checked once it is read, before it is validated.
    if (request.routeOptions.schema?.security !== undefined && request.routeOptions.config.authenticatesItself !== true) await ctx.callers.resolve(request);
  });
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unknown";
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });

  app.setErrorHandler(answerError);
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0]!;
    const allowed = [...new Set(routeMethods.filter((route) => route.pattern.test(path)).flatMap((route) => route.methods))];
    if (allowed.length > 0) return reply.code(405).header("allow", allowed.join(", ")).send(errorBody("ERR_METHOD_NOT_ALLOWED"));
    return reply.code(404).send(errorBody("ERR_ROUTE_NOT_FOUND"));
  });

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: documentInfo,
      tags: documentTags,
      components: { securitySchemes },
    },
    transform: jsonSchemaTransform,
    transformObject: (document) => finishDocument(jsonSchemaTransformObject(document)),
  });
  await registerReference(app);

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
