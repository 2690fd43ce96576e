import { sql } from "kysely";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { errorBody } from "../../errors/api-errors.js";
import type { RouteContext } from "../context.js";
import type { Registry } from "prom-client";

/** Liveness, readiness and metrics, outside /v1. */
export function opsRoutes(ctx: RouteContext, registry: Registry): FastifyPluginAsyncZod {
  return async (app) => {
    app.get("/health", { schema: { tags: ["ops"], summary: "Liveness: the process answers" } }, async () => ({ status: "ok" }));

    app.get("/ready", { schema: { tags: ["ops"], summary: "Readiness: accepting work and the database answers" } }, async (_request, reply) => {
      if (!ctx.isAcceptingWork()) return reply.code(503).send(errorBody("ERR_NOT_READY", "Shutting down or starting"));
      try {
        await sql`SELECT 1`.execute(ctx.db);
      } catch {
        return reply.code(503).send(errorBody("ERR_NOT_READY", "The database does not answer"));
      }
      return { status: "ready" };
    });

    app.get("/metrics", { schema: { tags: ["ops"], summary: "Prometheus metrics", hide: false } }, async (_request, reply) => {
      return reply.type(registry.contentType).send(await registry.metrics());
    });
  };
}
