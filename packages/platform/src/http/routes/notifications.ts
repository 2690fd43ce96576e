import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyRequest } from "fastify";
import { markReadIdsMax, type Recipient } from "../../modules/notifications/service.js";
import type { RouteContext } from "../context.js";
import { pageLimit } from "../schemas.js";
import { security } from "../openapi.js";
import { notificationPage } from "../views.js";

const cursor = z.string().regex(/^[0-9]{1,18}$/).meta({ description: "A notification's cursor" });

const listQuery = z.strictObject({
  limit: pageLimit,
  before: cursor.optional().meta({ description: "Newest first, older than this cursor (the default order)" }),
  after: cursor.optional().meta({ description: "Oldest first, newer than this cursor (catching up)" }),
  unread: z.enum(["true", "false"]).optional().meta({ description: "Only unread ones" }),
}).refine((q) => q.before === undefined || q.after === undefined, "give before or after, not both");

const markReadBody = z.union([
  z.strictObject({ ids: z.array(z.uuid()).min(1).max(markReadIdsMax) }),
  z.strictObject({ through: cursor.meta({ description: "Marks every notification up to and including this cursor" }) }),
]);

/** Notification records of the calling user (`/me/…`) or merchant (`/merchant/…`): list, mark read. */
export function notificationRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    const routes = [
      { prefix: "/me", tag: "users", security: security.user, recipient: async (request: FastifyRequest): Promise<Recipient> => ({ type: "user", id: (await ctx.callers.user(request)).id }) },
      { prefix: "/merchant", tag: "merchants", security: security.merchant, recipient: async (request: FastifyRequest): Promise<Recipient> => ({ type: "merchant", id: (await ctx.callers.merchant(request)).id }) },
    ];
    for (const { prefix, tag, security: bearer, recipient } of routes) {
      app.get(`${prefix}/notifications`, {
        schema: { tags: [tag], summary: "The caller's notifications, with the unread count", security: bearer, querystring: listQuery, response: { 200: notificationPage } },
      }, async (request) => {
        const { limit, before, after, unread } = request.query;
        return ctx.notifications.list(await recipient(request), {
          limit, unreadOnly: unread === "true",
          ...(before !== undefined ? { before: BigInt(before) } : {}), ...(after !== undefined ? { after: BigInt(after) } : {}),
        });
      });

      app.post(`${prefix}/notifications/read`, {
        schema: { tags: [tag], summary: "Mark the caller's notifications read: by id, or all up to a cursor", security: bearer, body: markReadBody, response: { 200: z.object({ marked: z.number().int() }) } },
      }, async (request) => {
        const body = request.body;
        return ctx.notifications.markRead(await recipient(request), "ids" in body ? { ids: body.ids } : { through: BigInt(body.through) });
      });
    }
  };
}
