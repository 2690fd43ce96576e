import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import { eventIdPattern, webhookEventTypes } from "../../modules/webhooks/events.js";
import type { Outcome } from "../../modules/webhooks/service.js";
import type { RouteContext } from "../context.js";
import { pageLimit } from "../schemas.js";
import { security } from "../openapi.js";
import { attemptView, endpointView, eventView, noContent } from "../views.js";

const bearer = security.merchant;
const endpointMissing = ["ERR_WEBHOOK_ENDPOINT_NOT_FOUND"] as const;
const tags = ["webhooks"];
const cursor = z.string().regex(/^[0-9]{1,18}$/);
const eventId = z.string().regex(eventIdPattern).meta({ example: "evt_3f1d0c6a9b8e4f2a8c7d6e5f4a3b2c1d" });
// The URL's own rules (scheme, length, targets) are checked by the module, which answers with its own codes.
const endpointBody = z.strictObject({ url: z.string().max(4096).meta({ example: "https://shop.example/obol/webhooks" }) });

function value<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new ApiError(outcome.code);
  return outcome.value;
}

/**
 * A merchant's webhooks: its endpoint and secret, a test event, the events and their delivery
 * state, the delivery log, and manual redelivery. Signing follows Standard Webhooks (see README).
 */
export function webhookRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  const audit = (merchantId: string, action: string, details: Record<string, unknown>) =>
    ctx.audit.append({ actorType: "merchant", actorId: merchantId, action, subject: `merchant:${merchantId}`, details });
  return async (app) => {
    app.put("/merchant/webhook-endpoint", {
      schema: {
        tags, security: bearer, body: endpointBody,
        response: {
          200: endpointView.meta({ description: "The URL changed" }),
          201: endpointView.extend({ secret: z.string().meta({ description: "The signing secret (whsec_…), shown this once" }) }).meta({ description: "The endpoint was created" }),
        },
        summary: "Set the endpoint URL. The first time (201) the answer carries the signing secret (whsec_…), shown this once; later calls (200) change the URL only.",
      },
      config: { errors: ["ERR_WEBHOOK_URL_INVALID", "ERR_WEBHOOK_URL_FORBIDDEN"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      const { endpoint, secret, created } = value(await ctx.webhooks.setEndpoint(merchant.id, request.body.url));
      // The origin only: a merchant may put a token of its own in the path or query.
      await audit(merchant.id, created ? "webhook.endpoint_created" : "webhook.endpoint_changed", { origin: new URL(endpoint.url).origin });
      return reply.code(created ? 201 : 200).send({ ...endpoint, ...(secret === undefined ? {} : { secret }) });
    });

    app.get("/merchant/webhook-endpoint", { schema: { tags, security: bearer, summary: "The endpoint (never the secret)", response: { 200: endpointView } }, config: { errors: endpointMissing } }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const endpoint = await ctx.webhooks.endpoint(merchant.id);
      if (endpoint === undefined) throw new ApiError("ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
      return endpoint;
    });

    app.delete("/merchant/webhook-endpoint", { schema: { tags, security: bearer, summary: "Remove the endpoint and its secrets; pending deliveries then fail", response: { 204: noContent } }, config: { errors: endpointMissing } }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      if (!(await ctx.webhooks.removeEndpoint(merchant.id))) throw new ApiError("ERR_WEBHOOK_ENDPOINT_NOT_FOUND");
      await audit(merchant.id, "webhook.endpoint_removed", {});
      return reply.code(204).send(null);
    });

    app.post("/merchant/webhook-endpoint/rotate-secret", {
      schema: { tags, security: bearer, summary: "A new signing secret, shown once. The previous one keeps signing beside it (two v1 signatures) until previousSecretValidUntil.", response: { 200: z.object({ secret: z.string(), previousSecretValidUntil: z.string() }) } },
      config: { errors: endpointMissing },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const rotated = value(await ctx.webhooks.rotateSecret(merchant.id));
      await audit(merchant.id, "webhook.secret_rotated", { previousSecretValidUntil: rotated.previousSecretValidUntil });
      return rotated;
    });

    app.post("/merchant/webhook-events/test", { schema: { tags, security: bearer, summary: "Queue a webhook.test event to the endpoint", response: { 202: z.object({ eventId: z.string() }) } }, config: { errors: endpointMissing } }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      return reply.code(202).send(value(await ctx.webhooks.sendTest(merchant.id)));
    });

    app.get("/merchant/webhook-events", {
      schema: {
        tags, security: bearer, summary: "Events sent to this merchant with their delivery state, newest first",
        querystring: z.strictObject({ limit: pageLimit, before: cursor.optional(), status: z.enum(["pending", "delivered", "failed"]).optional(), type: z.enum(webhookEventTypes).optional() }),
        response: { 200: z.object({ events: z.array(eventView), next: z.string().nullable() }) },
      },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const { before, ...filter } = request.query;
      return ctx.webhooks.listEvents(merchant.id, { ...filter, ...(before !== undefined ? { before: BigInt(before) } : {}) });
    });

    app.get("/merchant/webhook-events/:eventId", {
      schema: { tags, security: bearer, summary: "One event: its exact payload, delivery state and latest attempts", params: z.strictObject({ eventId }),
        response: { 200: eventView.extend({ payload: z.unknown(), attempts: z.array(attemptView) }) } },
      config: { errors: ["ERR_WEBHOOK_EVENT_NOT_FOUND"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const event = await ctx.webhooks.event(merchant.id, request.params.eventId);
      if (event === undefined) throw new ApiError("ERR_WEBHOOK_EVENT_NOT_FOUND");
      return event;
    });

    app.post("/merchant/webhook-events/:eventId/redeliver", {
      schema: { tags, security: bearer, summary: "Send the event again from the start of the retry schedule, with the same webhook-id and body", params: z.strictObject({ eventId }), response: { 202: eventView } },
      config: { errors: ["ERR_WEBHOOK_ENDPOINT_NOT_FOUND", "ERR_WEBHOOK_EVENT_NOT_FOUND"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      return reply.code(202).send(value(await ctx.webhooks.redeliver(merchant.id, request.params.eventId)));
    });

    app.get("/merchant/webhook-attempts", {
      schema: {
        tags, security: bearer, summary: "The delivery log: one entry per attempt, newest first",
        querystring: z.strictObject({ limit: pageLimit, before: cursor.optional(), eventId: eventId.optional(), outcome: z.enum(["success", "failure"]).optional() }),
        response: { 200: z.object({ attempts: z.array(attemptView), next: z.string().nullable() }) },
      },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const { before, ...filter } = request.query;
      return ctx.webhooks.listAttempts(merchant.id, { ...filter, ...(before !== undefined ? { before: BigInt(before) } : {}) });
    });
  };
}
