import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { ApiError } from "../../errors/api-errors.js";
import { parseAmount } from "../../money.js";
import { paymentStates, paymentView, productView, type Payment, type Refund } from "../../modules/payments/index.js";
import type { RouteContext } from "../context.js";
import { failure, idempotent } from "../idempotent.js";
import { amount, currency, msisdn, noNul, pageLimit, uuid } from "../schemas.js";
import { idempotencyHeaders, security } from "../openapi.js";
import { noContent, payment, paymentDetail, product, refund, validationSettings } from "../views.js";

const bearer = security.merchant;
const page = (key: string, item: z.ZodType) => z.object({ [key]: z.array(item), next: z.string().nullable() });
const reference = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/, "visible ASCII");
const text = (max: number) => z.string().trim().max(max).refine(...noNul);
const sku = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/);

function refundView(r: Refund) {
  return { id: r.id, paymentId: r.paymentId, amount: r.amount.toString(), reason: r.reason, state: r.state, failure: r.failure, createdAt: r.createdAt.toISOString() };
}

/** A page cursor: the last row's (createdAt, id), opaque to clients. */
function cursorOf(p: Payment): string {
  return Buffer.from(`${p.createdAt.toISOString()}|${p.id}`).toString("base64url");
}

function parseCursor(cursor: string): { createdAt: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString().split("|");
  const createdAt = new Date(at ?? "");
  if (Number.isNaN(createdAt.getTime()) || id === undefined || !uuid.safeParse(id).success) throw new ApiError("ERR_VALIDATION", "bad cursor");
  return { createdAt, id };
}

/** The merchant API: products, payment requests, refunds, escrow shipping; the operators' dispute desk. */
export function paymentRoutes(ctx: RouteContext): FastifyPluginAsyncZod {
  return async (app) => {
    // ── products ──
    app.post("/products", {
      schema: {
        tags: ["products"], summary: "Add a product to the calling merchant's catalogue", security: bearer,
        body: z.strictObject({ sku, name: text(128).pipe(z.string().min(1)), description: text(1024).default(""), price: amount, currency, active: z.boolean().default(true) })
          .meta({ example: { sku: "chai-500g", name: "Chai, 500 g", price: "45000", currency: "KES" } }),
        response: { 201: product },
      },
      config: { errors: ["ERR_SKU_TAKEN", "ERR_CURRENCY_UNSUPPORTED", "ERR_LIMIT_REACHED"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      const created = await ctx.products.create(merchant.id, { ...request.body, price: parseAmount(request.body.price)! }, randomUUID());
      if (!created.ok) throw new ApiError(created.code);
      return reply.code(201).send(productView(created.value));
    });

    app.get("/products", {
      schema: { tags: ["products"], summary: "The calling merchant's products, by sku", security: bearer, querystring: z.strictObject({ after: sku.optional(), limit: pageLimit }), response: { 200: page("products", product) } },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const products = await ctx.products.list(merchant.id, { afterSku: request.query.after, limit: request.query.limit, activeOnly: false });
      return { products: products.map(productView), next: products.length === request.query.limit ? products.at(-1)!.sku : null };
    });

    app.get("/products/:id", { schema: { tags: ["products"], summary: "One product", security: bearer, params: z.strictObject({ id: uuid }), response: { 200: product } }, config: { errors: ["ERR_PRODUCT_NOT_FOUND"] } }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const found = await ctx.products.get(merchant.id, request.params.id);
      if (found === undefined) throw new ApiError("ERR_PRODUCT_NOT_FOUND");
      return productView(found);
    });

    app.patch("/products/:id", {
      schema: {
        tags: ["products"], summary: "Change a product's name, description, price or availability", security: bearer, params: z.strictObject({ id: uuid }),
        body: z.strictObject({ name: text(128).pipe(z.string().min(1)).optional(), description: text(1024).optional(), price: amount.optional(), active: z.boolean().optional() }),
        response: { 200: product },
      },
      config: { errors: ["ERR_PRODUCT_NOT_FOUND"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const { price, ...rest } = request.body;
      const updated = await ctx.products.update(merchant.id, request.params.id, { ...rest, price: price === undefined ? undefined : parseAmount(price)! });
      if (!updated.ok) throw new ApiError(updated.code);
      return productView(updated.value);
    });

    app.delete("/products/:id", { schema: { tags: ["products"], summary: "Remove a product from the catalogue", security: bearer, params: z.strictObject({ id: uuid }), response: { 204: noContent } }, config: { errors: ["ERR_PRODUCT_NOT_FOUND"] } }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      if (!(await ctx.products.remove(merchant.id, request.params.id))) throw new ApiError("ERR_PRODUCT_NOT_FOUND");
      return reply.code(204).send(null);
    });

    // ── catalogue purchase validation (seed 001 §9.3) ──
    app.put("/merchant/validation", {
      schema: {
        tags: ["products"], security: bearer,
        summary: "Where the platform asks the merchant to accept a catalogue order (signed like webhooks), how long it waits, and what applies when no answer comes",
        body: z.strictObject({ url: z.url({ protocol: /^https?$/ }).max(2048).meta({ example: "https://shop.example/obol/validate" }), defaultResult: z.enum(["accept", "reject"]), timeoutMs: z.number().int().min(500).max(10_000).default(5_000) }),
        response: { 200: validationSettings },
      },
      config: { errors: ["ERR_URL_NOT_ALLOWED"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const saved = await ctx.purchases.setSettings(merchant.id, request.body);
      if (!saved.ok) throw new ApiError(saved.code);
      return saved.value;
    });

    app.get("/merchant/validation", { schema: { tags: ["products"], summary: "The merchant's order validation settings", security: bearer, response: { 200: validationSettings } }, config: { errors: ["ERR_NOT_FOUND"] } }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const settings = await ctx.purchases.settings(merchant.id);
      if (settings === undefined) throw new ApiError("ERR_NOT_FOUND", "No validation URL: orders are accepted without asking");
      return settings;
    });

    // ── payment requests ──
    app.post("/payments", {
      schema: {
        tags: ["payments"], security: bearer, headers: idempotencyHeaders, response: { 201: payment },
        summary: "Request a payment from a user (by MSISDN) or an open one; the user confirms it on the phone. Needs an Idempotency-Key.",
        body: z.strictObject({
          kind: z.enum(["direct", "escrow"]).default("direct"), amount, currency, description: text(256).default(""), merchantReference: reference,
          payerMsisdn: msisdn.optional(), expiresInSeconds: z.number().int().min(1).max(86_400).optional(),
        }).meta({ example: { amount: "45000", currency: "KES", description: "Chai, 500 g", merchantReference: "order-1001", payerMsisdn: "+254700000001" } }),
      },
      config: { errors: ["ERR_MERCHANT_NOT_APPROVED", "ERR_PAYER_NOT_FOUND", "ERR_REFERENCE_TAKEN", "ERR_CURRENCY_UNSUPPORTED", "ERR_EXPIRY_INVALID", "ERR_AMOUNT_LIMIT", "ERR_LIMIT_REACHED"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      const body = request.body;
      return idempotent(ctx.idempotency, request, reply, `merchant:${merchant.id}`, "payments.create", async (idFor) => {
        const created = await ctx.payments.create(merchant, {
          kind: body.kind, amount: parseAmount(body.amount)!, currency: body.currency, description: body.description, merchantReference: body.merchantReference,
          payerMsisdn: body.payerMsisdn ?? null, expiresInMs: body.expiresInSeconds === undefined ? undefined : body.expiresInSeconds * 1000,
        }, idFor(0));
        return created.ok ? { status: 201, body: paymentView(created.value) } : failure(created.code);
      });
    });

    app.get("/payments", {
      schema: {
        tags: ["payments"], summary: "The calling merchant's payments, newest first, with filters", security: bearer,
        querystring: z.strictObject({
          state: z.enum(paymentStates).optional(), reference: reference.optional(), payerMsisdn: msisdn.optional(),
          createdFrom: z.iso.datetime().optional(), createdTo: z.iso.datetime().optional(), cursor: z.string().max(200).optional(), limit: pageLimit,
        }),
        response: { 200: page("payments", payment) },
      },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const q = request.query;
      const payments = await ctx.payments.store.list(merchant.id, {
        limit: q.limit, ...(q.state ? { state: q.state } : {}), ...(q.reference ? { reference: q.reference } : {}), ...(q.payerMsisdn ? { payerMsisdn: q.payerMsisdn } : {}),
        ...(q.createdFrom ? { createdFrom: new Date(q.createdFrom) } : {}), ...(q.createdTo ? { createdTo: new Date(q.createdTo) } : {}),
        ...(q.cursor ? { before: parseCursor(q.cursor) } : {}),
      });
      return { payments: payments.map(paymentView), next: payments.length === q.limit ? cursorOf(payments.at(-1)!) : null };
    });

    app.get("/payments/:id", {
      schema: { tags: ["payments"], summary: "A payment's status, refunds and state history (the fallback to webhooks)", security: bearer, params: z.strictObject({ id: uuid }), response: { 200: paymentDetail } },
      config: { errors: ["ERR_PAYMENT_NOT_FOUND"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const payment = await ctx.payments.get(merchant.id, request.params.id);
      if (payment === undefined) throw new ApiError("ERR_PAYMENT_NOT_FOUND");
      return detail(ctx, payment);
    });

    app.get("/payments/by-reference/:reference", {
      schema: { tags: ["payments"], summary: "A payment by the merchant's own reference", security: bearer, params: z.strictObject({ reference }), response: { 200: paymentDetail } },
      config: { errors: ["ERR_PAYMENT_NOT_FOUND"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      const payment = await ctx.payments.store.byReference(merchant.id, request.params.reference);
      if (payment === undefined) throw new ApiError("ERR_PAYMENT_NOT_FOUND");
      return detail(ctx, payment);
    });

    for (const action of ["cancel", "ship"] as const) {
      app.post(`/payments/:id/${action}`, {
        schema: {
          tags: ["payments"], security: bearer, params: z.strictObject({ id: uuid }), response: { 200: payment },
          summary: action === "cancel" ? "Cancel a request the payer has not confirmed yet" : "Escrow: mark the order shipped (starts the auto-release period)",
        },
        config: { errors: action === "cancel" ? ["ERR_PAYMENT_NOT_FOUND", "ERR_PAYMENT_STATE", "ERR_PAYMENT_CANCELLED", "ERR_PAYMENT_EXPIRED"] : ["ERR_PAYMENT_NOT_FOUND", "ERR_PAYMENT_STATE"] },
      }, async (request) => {
        const merchant = await ctx.callers.merchant(request);
        const done = action === "cancel" ? await ctx.payments.cancel(merchant, request.params.id) : await ctx.payments.ship(merchant, request.params.id);
        if (!done.ok) throw new ApiError(done.code);
        return paymentView(done.value);
      });
    }

    app.post("/payments/:id/refunds", {
      schema: {
        tags: ["payments"], summary: "Refund a succeeded payment, fully or in part; never above what was captured. Needs an Idempotency-Key.", security: bearer,
        params: z.strictObject({ id: uuid }), body: z.strictObject({ amount, reason: text(256).default("") }).meta({ example: { amount: "10000", reason: "One item out of stock" } }),
        headers: idempotencyHeaders, response: { 201: refund },
      },
      config: { errors: ["ERR_PAYMENT_NOT_FOUND", "ERR_PAYMENT_STATE", "ERR_REFUND_EXCEEDS_CAPTURE", "ERR_INSUFFICIENT_FUNDS", "ERR_ACCOUNT_FROZEN"] },
    }, async (request, reply) => {
      const merchant = await ctx.callers.merchant(request);
      return idempotent(ctx.idempotency, request, reply, `merchant:${merchant.id}`, "payments.refund", async (idFor) => {
        const refunded = await ctx.payments.refund(merchant, request.params.id, { amount: parseAmount(request.body.amount)!, reason: request.body.reason }, idFor(0));
        if (!refunded.ok) return failure(refunded.code);
        if (refunded.value.state === "failed") return failure(refunded.value.failure as "ERR_INSUFFICIENT_FUNDS");
        return { status: 201, body: refundView(refunded.value) };
      });
    });

    app.get("/payments/:id/refunds", {
      schema: { tags: ["payments"], summary: "Refunds of a payment", security: bearer, params: z.strictObject({ id: uuid }), response: { 200: z.object({ refunds: z.array(refund) }) } },
      config: { errors: ["ERR_PAYMENT_NOT_FOUND"] },
    }, async (request) => {
      const merchant = await ctx.callers.merchant(request);
      if ((await ctx.payments.get(merchant.id, request.params.id)) === undefined) throw new ApiError("ERR_PAYMENT_NOT_FOUND");
      return { refunds: (await ctx.payments.refunds(request.params.id)).map(refundView) };
    });

    // ── operators ──
    app.get("/admin/disputes", {
      schema: { tags: ["admin"], summary: "Escrow payments in dispute, oldest first (admin, risk, support)", security: security.operator, querystring: z.strictObject({ limit: pageLimit }), response: { 200: z.object({ payments: z.array(payment) }) } },
    }, async (request) => {
      await ctx.callers.operator(request, ["admin", "risk", "support"]);
      return { payments: (await ctx.payments.disputes(request.query.limit)).map(paymentView) };
    });

    app.post("/admin/payments/:id/resolve", {
      schema: {
        tags: ["admin"], summary: "Resolve an escrow dispute: refund the buyer refundAmount (0 = release everything to the merchant) (admin, risk)", security: security.operator,
        params: z.strictObject({ id: uuid }), body: z.strictObject({ refundAmount: z.string().regex(/^(0|[1-9][0-9]{0,18})$/).meta({ example: "0" }), note: text(256).default("") }),
        response: { 200: payment },
      },
      config: { errors: ["ERR_PAYMENT_NOT_FOUND", "ERR_PAYMENT_STATE", "ERR_REFUND_EXCEEDS_CAPTURE"] },
    }, async (request) => {
      const operator = await ctx.callers.operator(request, ["admin", "risk"]);
      const resolved = await ctx.payments.resolveDispute(operator.operatorId, request.params.id, BigInt(request.body.refundAmount));
      if (!resolved.ok) throw new ApiError(resolved.code);
      await ctx.audit.append({ actorType: "operator", actorId: operator.operatorId, action: "payment.dispute_resolved", subject: `payment:${request.params.id}`, details: { refundAmount: request.body.refundAmount, note: request.body.note } });
      return paymentView(resolved.value);
    });
  };
}

async function detail(ctx: RouteContext, payment: Payment) {
  return {
    ...paymentView(payment),
    refunds: (await ctx.payments.refunds(payment.id)).map(refundView),
    transitions: (await ctx.payments.store.transitions(payment.id)).map((t) => ({ event: t.event, from: t.fromState, to: t.toState, reason: t.reason, actor: t.actor, at: t.at.toISOString() })),
  };
}
