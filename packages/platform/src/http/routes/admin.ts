import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import { decoyHash, verifyPassword } from "../../modules/parties/passwords.js";
import type { RouteContext } from "../context.js";
import { noNul, pageLimit, uuid } from "../schemas.js";
import { security } from "../openapi.js";
import { ledgerReport, merchantView, session } from "../views.js";

const bearer = security.operator;

/** The operators' back office: merchant approval, account freezes, ledger proof. */
export function adminRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/admin/login", {
      schema: {
        tags: ["admin"], summary: "Log an operator in", body: z.strictObject({ username: z.string().max(32).refine(...noNul).meta({ example: "admin" }), password: z.string().max(128) }),
        response: { 200: session.extend({ role: z.enum(["admin", "risk", "support"]) }) },
      },
      config: { errors: ["ERR_LOGIN_LOCKED", "ERR_INVALID_CREDENTIALS"] },
    }, async (request, reply) => {
      const login = `operator:${request.body.username}`;
      if (await ctx.auth.isLocked(login)) throw new ApiError("ERR_LOGIN_LOCKED");
      const operator = await ctx.parties.operatorByUsername(request.body.username);
      const valid = await verifyPassword(request.body.password, operator?.passwordHash ?? (await decoyHash));
      if (operator === undefined || !valid || operator.status !== "active") {
        await ctx.auth.recordFailure(login);
        await ctx.audit.append({ actorType: "operator", actorId: operator?.id ?? null, action: "auth.login_failed", subject: login, details: { ip: request.ip } });
        throw new ApiError("ERR_INVALID_CREDENTIALS");
      }
      await ctx.auth.clearFailures(login);
      await ctx.audit.append({ actorType: "operator", actorId: operator.id, action: "auth.login", subject: login, details: { ip: request.ip, role: operator.role } });
      const session = await ctx.auth.issueSession("operator", operator.id, operator.role);
      return reply.send({ token: session.token, expiresAt: session.expiresAt.toISOString(), role: operator.role });
    });

    app.get("/admin/merchants", {
      schema: {
        tags: ["admin"], summary: "List merchants", security: bearer,
        querystring: z.strictObject({ status: z.enum(["pending", "approved", "suspended"]).optional(), limit: pageLimit, after: uuid.optional() }),
        response: { 200: z.object({ merchants: z.array(merchantView), next: z.string().nullable() }) },
      },
    }, async (request) => {
      await ctx.callers.operator(request, ["admin", "risk", "support"]);
      const { status, limit, after } = request.query;
      const merchants = await ctx.parties.listMerchants({ limit, ...(status ? { status } : {}), ...(after ? { after } : {}) });
      return { merchants, next: merchants.length === limit ? merchants.at(-1)!.id : null };
    });

    for (const [action, to] of [["approve", "approved"], ["suspend", "suspended"]] as const) {
      app.post(`/admin/merchants/:id/${action}`, {
        schema: { tags: ["admin"], summary: `${action[0]!.toUpperCase()}${action.slice(1)} a merchant (admin)`, security: bearer, params: z.strictObject({ id: uuid }), response: { 200: merchantView } },
        config: { errors: ["ERR_MERCHANT_NOT_FOUND", "ERR_MERCHANT_STATE"] },
      }, async (request) => {
        const operator = await ctx.callers.operator(request, ["admin"]);
        const decided = await ctx.parties.decideMerchant(request.params.id, to, operator.operatorId);
        if (!decided.ok) throw new ApiError(decided.code);
        await ctx.audit.append({ actorType: "operator", actorId: operator.operatorId, action: `merchant.${action}`, subject: `merchant:${request.params.id}`, details: {} });
        return decided.merchant;
      });
    }

    for (const [action, frozen] of [["freeze", true], ["unfreeze", false]] as const) {
      app.post(`/admin/accounts/:id/${action}`, {
        schema: { tags: ["admin"], summary: `${action[0]!.toUpperCase()}${action.slice(1)} a ledger account (admin, risk)`, security: bearer, params: z.strictObject({ id: uuid }), response: { 200: z.object({ accountId: z.string(), frozen: z.boolean() }) } },
        config: { errors: ["ERR_ACCOUNT_NOT_FOUND"] },
      }, async (request) => {
        const operator = await ctx.callers.operator(request, ["admin", "risk"]);
        if (!(await ctx.ledger.setFrozen(request.params.id, frozen))) throw new ApiError("ERR_ACCOUNT_NOT_FOUND");
        await ctx.audit.append({ actorType: "operator", actorId: operator.operatorId, action: `account.${action}`, subject: `account:${request.params.id}`, details: {} });
        return { accountId: request.params.id, frozen };
      });
    }

    app.get("/admin/ledger/verify", {
      schema: { tags: ["admin"], summary: "Prove every balance equals its postings (admin)", security: bearer, response: { 200: ledgerReport } },
    }, async (request) => {
      await ctx.callers.operator(request, ["admin"]);
      const report = await ctx.ledger.verify();
      return {
        accounts: report.accounts, postingsSum: report.postingsSum.toString(), balanced: report.mismatches.length === 0 && report.postingsSum === 0n,
        mismatches: report.mismatches.map((m) => ({ accountId: m.accountId, stored: stringify(m.stored), computed: stringify(m.computed) })),
      };
    });
  };
}

function stringify(counters: Record<string, bigint>): Record<string, string> {
  return Object.fromEntries(Object.entries(counters).map(([k, v]) => [k, v.toString()]));
}
