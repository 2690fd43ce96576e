import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import { reportJson } from "../../modules/settlement/report.js";
import type { RouteContext } from "../context.js";
import { currency, pageLimit, uuid } from "../schemas.js";
import { security } from "../openapi.js";
import { bankLink, reconciliation, settlementReport, settlementReportContent } from "../views.js";

const bearer = security.merchant;
const operator = security.operator;
const settlements = z.object({ settlements: z.array(settlementReport) });
type Report = z.infer<typeof settlementReport>;
const accountNumber = z.string().min(6).max(34).regex(/^[A-Z0-9]+$/, "6 to 34 capital letters and digits");
const format = z.strictObject({ format: z.enum(["json", "csv"]).default("json") });
const big = (_key: string, value: unknown) => (typeof value === "bigint" ? value.toString() : value);

/** Merchants' bank accounts and settlements; the operators' settlement runs and bank reconciliation. */
export function settlementRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/merchant/bank-accounts", {
      schema: {
        tags: ["merchants"], security: bearer, body: z.strictObject({ accountNumber, currency }), response: { 201: bankLink },
        summary: "Link the bank account settlements are paid to: the bank confirms its holder is the merchant's legal name (credit-only)",
      },
      config: { errors: ["ERR_BANK_LINK_LIMIT", "ERR_BANK_NOT_CONFIGURED", "ERR_CURRENCY_UNSUPPORTED", "ERR_MERCHANT_NOT_APPROVED", "ERR_BANK_ACCOUNT_NOT_VERIFIED", "ERR_BANK_UNAVAILABLE"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      const linked = await ctx.banking.linkMerchantAccount(merchant, request.body);
      if (!linked.ok) throw new ApiError(linked.code);
      return reply.code(201).send(linked.value);
    });

    app.get("/merchant/bank-accounts", { schema: { tags: ["merchants"], security: bearer, summary: "The merchant's bank account links", response: { 200: z.object({ links: z.array(bankLink) }) } } }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      return { links: await ctx.banking.merchantLinks(merchant.id) };
    });

    app.get("/merchant/settlements", {
      schema: { tags: ["merchants"], security: bearer, summary: "The merchant's settlement batches, newest first", querystring: z.strictObject({ limit: pageLimit }), response: { 200: settlements } },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      return { settlements: (await ctx.settlement.batches({ merchantId: merchant.id, limit: request.query.limit })).map((b) => reportJson(b, merchant.legalName) as Report) };
    });

    app.get("/merchant/settlements/:id/report", {
      schema: { tags: ["merchants"], security: bearer, summary: "A settlement batch's report (JSON or CSV), by ledger code", params: z.strictObject({ id: uuid }), querystring: format, response: { 200: settlementReportContent } },
      config: { errors: ["ERR_NOT_FOUND"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      const batch = await ctx.settlement.batch(request.params.id);
      if (batch === undefined || batch.merchantId !== merchant.id) throw new ApiError("ERR_NOT_FOUND");
      const report = (await ctx.settlement.report(batch.id, request.query.format))!;
      return reply.type(report.contentType).send(report.body);
    });

    app.post("/admin/settlements/run", {
      schema: { tags: ["admin"], security: operator, summary: "Settle the last ended period now for every merchant (admin); each batch is created once and paid at most once", response: { 200: settlements } },
    }, async (request) => {
      await ctx.callers.operator(request, ["admin"]);
      return { settlements: (await ctx.settlement.runDue()).map((b) => reportJson(b, "") as Report) };
    });

    app.get("/admin/settlements", {
      schema: { tags: ["admin"], security: operator, summary: "Settlement batches, newest first (admin, support)", querystring: z.strictObject({ merchantId: uuid.optional(), limit: pageLimit }), response: { 200: settlements } },
    }, async (request) => {
      await ctx.callers.operator(request, ["admin", "support"]);
      const { merchantId, limit } = request.query;
      return { settlements: (await ctx.settlement.batches({ limit, ...(merchantId ? { merchantId } : {}) })).map((b) => reportJson(b, "") as Report) };
    });

    app.get("/admin/settlements/:id/report", {
      schema: { tags: ["admin"], security: operator, summary: "A settlement batch's report (JSON or CSV) (admin, support)", params: z.strictObject({ id: uuid }), querystring: format, response: { 200: settlementReportContent } },
      config: { errors: ["ERR_NOT_FOUND"] },
    }, async (request, reply) => {
      await ctx.callers.operator(request, ["admin", "support"]);
      const report = await ctx.settlement.report(request.params.id, request.query.format);
      if (report === undefined) throw new ApiError("ERR_NOT_FOUND");
      return reply.type(report.contentType).send(report.body);
    });

    app.get("/admin/bank/reconciliation", {
      schema: {
        tags: ["admin"], security: operator, querystring: z.strictObject({ currency }), response: { 200: reconciliation },
        summary: "Reconcile the clearing account's movements with the bank's statement: every mismatch (admin, risk)",
      },
      config: { errors: ["ERR_BANK_NOT_CONFIGURED", "ERR_CURRENCY_UNSUPPORTED", "ERR_BANK_UNAVAILABLE"] },
    }, async (request) => {
      await ctx.callers.operator(request, ["admin", "risk"]);
      const report = await ctx.banking.reconcile(request.query.currency);
      if (typeof report === "string") throw new ApiError(report);
      // bigint balances as strings of minor units.
      return JSON.parse(JSON.stringify(report, big)) as z.infer<typeof reconciliation>;
    });
  };
}
