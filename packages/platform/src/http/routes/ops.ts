import { sql } from "kysely";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import type { RouteContext } from "../context.js";
import type { Registry } from "prom-client";
import { z } from "zod";
import { text } from "../views.js";

/** Liveness, readiness and metrics, outside /v1. */
export function opsRoutes(ctx: RouteContext, registry: Registry): FastifyPluginAsyncZod {
  return async (app) => {
    app.get("/health", { schema: { tags: ["ops"], summary: "Liveness: the process answers", response: { 200: z.object({ status: z.literal("ok") }) } } }, async () => ({ status: "ok" as const }));

    app.get("/ready", { schema: { tags: ["ops"], summary: "Readiness: accepting work and the database answers", response: { 200: z.object({ status: z.literal("ready") }) } }, config: { errors: ["ERR_NOT_READY"] } }, async () => {
      if (!ctx.isAcceptingWork()) throw new ApiError("ERR_NOT_READY", "Shutting down or starting");
      try {
        await sql`SELECT 1`.execute(ctx.db);
      } catch {
        throw new ApiError("ERR_NOT_READY", "The database does not answer");
      }
      return { status: "ready" as const };
    });

    app.get("/metrics", { schema: { tags: ["ops"], summary: "Prometheus metrics", response: { 200: text("text/plain", "Prometheus text exposition format") } } }, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
