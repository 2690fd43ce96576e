import { sql, type Kysely } from "kysely";
import { canonicalJson } from "../../canonical-json.js";
import { transferIdFor } from "../idempotency/service.js";
import type { PartiesService, User } from "../parties/service.js";
import type { ProductsService } from "./products.js";
import type { Outcome, PaymentsService } from "./service.js";
import type { Payment } from "./store.js";
import { readValidationAnswer, type CallbackResult, type ValidationAnswer } from "./validation-callback.js";

/** Signs and sends a call to a merchant as its webhooks are (webhooks module: secrets, SSRF policy, caps). */
export interface MerchantCallbackPort {
  urlAllowed(url: string): boolean;
  /** Undefined when the merchant has no webhook secret yet (the call then goes unsigned). */
  headersFor(merchantId: string, messageId: string, body: string): Promise<Record<string, string> | undefined>;
  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<CallbackResult>;
}

export interface ValidationSettings { url: string; defaultResult: "accept" | "reject"; timeoutMs: number }

export interface PurchaseItem { productId: string; quantity: number }

export interface Purchase {
  id: string; merchantId: string; userId: string; kind: "direct" | "escrow"; items: { productId: string; sku: string; name: string; quantity: number; price: string }[];
  total: bigint; currency: string; state: "validating" | "accepted" | "rejected"; decidedBy: string | null; reason: string | null; deadlineAt: Date; paymentId: string | null;
}

export const purchaseLimits = { itemsMax: 20, quantityMax: 99, defaultTimeoutMs: 5_000 } as const;

type DecidedBy = "merchant" | "default_no_endpoint" | "default_timeout" | "default_error";

/**
 * Catalogue purchases, the ten steps of seed 001 §9.3: the user browses the merchant's products
 * and submits an order (signed wallet message); the merchant validates it by callback within its
 * deadline, or its configured default applies; an accepted order becomes an ordinary payment
 * request to the same user, who confirms it as any other. A validating order's deadline is a
 * column, so a crash mid-validation ends with the default at the deadline, not with a lost order.
 */
export class PurchasesService {
  constructor(private readonly deps: {
    db: Kysely<any>; clock: () => number; parties: PartiesService; products: ProductsService; payments: PaymentsService;
    callbacks: MerchantCallbackPort;
  }) {}

  async settings(merchantId: string): Promise<ValidationSettings | undefined> {
    const rows = (await sql<{ url: string; default_result: "accept" | "reject"; timeout_ms: number }>`
      SELECT url, default_result, timeout_ms FROM merchant_validation_settings WHERE merchant_id = ${merchantId}::uuid`.execute(this.deps.db)).rows;
    return rows[0] === undefined ? undefined : { url: rows[0].url, defaultResult: rows[0].default_result, timeoutMs: rows[0].timeout_ms };
  }

  async setSettings(merchantId: string, settings: ValidationSettings): Promise<Outcome<ValidationSettings>> {
    if (!this.deps.callbacks.urlAllowed(settings.url)) return { ok: false, code: "ERR_URL_NOT_ALLOWED" };
    await sql`
      INSERT INTO merchant_validation_settings (merchant_id, url, default_result, timeout_ms, updated_at)
      VALUES (${merchantId}::uuid, ${settings.url}, ${settings.defaultResult}, ${settings.timeoutMs}, ${new Date(this.deps.clock())})
      ON CONFLICT (merchant_id) DO UPDATE SET url = EXCLUDED.url, default_result = EXCLUDED.default_result, timeout_ms = EXCLUDED.timeout_ms, updated_at = EXCLUDED.updated_at`.execute(this.deps.db);
    return { ok: true, value: settings };
  }

  /** Submits (or, with the same key, resumes) an order; answers the payment request to confirm. */
  async purchase(user: User, input: { merchantId: string; kind: "direct" | "escrow"; items: PurchaseItem[]; idempotencyKey: string }): Promise<Outcome<{ purchase: Purchase; payment: Payment }>> {
    const id = transferIdFor(`user:${user.id}`, `purchase:${input.idempotencyKey}`);
    let purchase = await this.byId(id);
    if (purchase === undefined) {
      const created = await this.create(user, input, id);
      if (!created.ok) return created;
      purchase = created.value;
    }
    if (purchase.userId !== user.id || purchase.merchantId !== input.merchantId) return { ok: false, code: "ERR_IDEMPOTENCY_MISMATCH" };
    if (purchase.state === "validating") purchase = await this.validate(purchase);
    if (purchase.state === "rejected") return { ok: false, code: "ERR_PURCHASE_REJECTED" };
    const payment = await this.deps.payments.store.byId(purchase.paymentId!);
    return { ok: true, value: { purchase, payment: payment! } };
  }

  /** Orders whose merchant did not answer by the deadline (e.g. the platform restarted mid-call) get the default. */
  async runDue(limit = 100): Promise<number> {
    const rows = (await sql<{ id: string }>`SELECT id FROM purchases WHERE state = 'validating' AND deadline_at <= ${new Date(this.deps.clock())} ORDER BY deadline_at LIMIT ${limit}`.execute(this.deps.db)).rows;
    for (const { id } of rows) {
      const purchase = (await this.byId(id))!;
      const settings = await this.settings(purchase.merchantId);
      await this.decide(purchase, settings?.defaultResult ?? "accept", "default_timeout", null);
    }
    return rows.length;
  }

  async byId(id: string): Promise<Purchase | undefined> {
    const rows = (await sql<{
      id: string; merchant_id: string; user_id: string; kind: "direct" | "escrow"; items: Purchase["items"] | string; total: bigint; currency: string;
      state: Purchase["state"]; decided_by: string | null; reason: string | null; deadline_at: Date; payment_id: string | null;
    }>`SELECT * FROM purchases WHERE id = ${id}::uuid`.execute(this.deps.db)).rows;
    const r = rows[0];
    if (r === undefined) return undefined;
    return {
      id: r.id, merchantId: r.merchant_id, userId: r.user_id, kind: r.kind, items: typeof r.items === "string" ? JSON.parse(r.items) : r.items, total: r.total,
      currency: r.currency.trim(), state: r.state, decidedBy: r.decided_by, reason: r.reason, deadlineAt: new Date(r.deadline_at), paymentId: r.payment_id,
    };
  }

  private async create(user: User, input: { merchantId: string; kind: "direct" | "escrow"; items: PurchaseItem[] }, id: string): Promise<Outcome<Purchase>> {
    const merchant = await this.deps.parties.merchantById(input.merchantId);
    if (merchant === undefined) return { ok: false, code: "ERR_MERCHANT_NOT_FOUND" };
    if (merchant.status !== "approved") return { ok: false, code: "ERR_MERCHANT_NOT_APPROVED" };
    if (input.items.length === 0 || input.items.length > purchaseLimits.itemsMax || new Set(input.items.map((i) => i.productId)).size !== input.items.length) {
      return { ok: false, code: "ERR_PURCHASE_INVALID" };
    }
    const lines: Purchase["items"] = [];
    let total = 0n;
    let currency: string | undefined;
    for (const item of input.items) {
      if (!Number.isInteger(item.quantity) || item.quantity < 1 || item.quantity > purchaseLimits.quantityMax) return { ok: false, code: "ERR_PURCHASE_INVALID" };
      const product = await this.deps.products.get(merchant.id, item.productId);
      if (product === undefined || !product.active) return { ok: false, code: "ERR_PRODUCT_NOT_FOUND" };
      if (currency !== undefined && product.currency !== currency) return { ok: false, code: "ERR_PURCHASE_INVALID" };
      currency = product.currency;
      total += product.price * BigInt(item.quantity);
      lines.push({ productId: product.id, sku: product.sku, name: product.name, quantity: item.quantity, price: product.price.toString() });
    }
    if (total > 9_223_372_036_854_775_807n) return { ok: false, code: "ERR_AMOUNT_LIMIT" };
    const timeoutMs = (await this.settings(merchant.id))?.timeoutMs ?? purchaseLimits.defaultTimeoutMs;
    const deadline = new Date(this.deps.clock() + timeoutMs);
    await sql`INSERT INTO purchases (id, merchant_id, user_id, kind, items, total, currency, state, deadline_at)
              VALUES (${id}::uuid, ${merchant.id}::uuid, ${user.id}::uuid, ${input.kind}, ${JSON.stringify(lines)}::jsonb, ${total}, ${currency!}, 'validating', ${deadline})
              ON CONFLICT DO NOTHING`.execute(this.deps.db);
    return { ok: true, value: (await this.byId(id))! };
  }

  /** Asks the merchant (signed, bounded in time), then decides once; a concurrent decision wins if first. */
  private async validate(purchase: Purchase): Promise<Purchase> {
    const settings = await this.settings(purchase.merchantId);
    if (settings === undefined) return this.decide(purchase, "accept", "default_no_endpoint", null);
    const user = await this.deps.parties.userById(purchase.userId);
    const body = canonicalJson({
      type: "purchase.validation", purchaseId: purchase.id, merchantId: purchase.merchantId, payerMsisdn: user?.msisdn ?? null,
      items: purchase.items, total: purchase.total.toString(), currency: purchase.currency, kind: purchase.kind,
    });
    const remainingMs = Math.max(1, Math.min(settings.timeoutMs, purchase.deadlineAt.getTime() - this.deps.clock()));
    const headers = await this.deps.callbacks.headersFor(purchase.merchantId, `val_${purchase.id}`, body);
    const answer: ValidationAnswer = readValidationAnswer(await this.deps.callbacks.post(settings.url, headers ?? {}, body, remainingMs));
    switch (answer.result) {
      case "accept": return this.decide(purchase, "accept", "merchant", null);
      case "reject": return this.decide(purchase, "reject", "merchant", answer.reason);
      case "timeout": return this.decide(purchase, settings.defaultResult, "default_timeout", null);
      case "error": return this.decide(purchase, settings.defaultResult, "default_error", answer.detail);
    }
  }

  private async decide(purchase: Purchase, result: "accept" | "reject", decidedBy: DecidedBy, reason: string | null): Promise<Purchase> {
    if (result === "reject") {
      await sql`UPDATE purchases SET state = 'rejected', decided_by = ${decidedBy}, reason = ${(reason ?? "rejected").slice(0, 128)}
                WHERE id = ${purchase.id}::uuid AND state = 'validating'`.execute(this.deps.db);
      return (await this.byId(purchase.id))!;
    }
    const merchant = (await this.deps.parties.merchantById(purchase.merchantId))!;
    const user = (await this.deps.parties.userById(purchase.userId))!;
    const paymentId = transferIdFor("purchase", purchase.id);
    const description = purchase.items.map((i) => `${i.quantity}× ${i.name}`).join(", ").slice(0, 256);
    const created = await this.deps.payments.create(merchant, {
      kind: purchase.kind, amount: purchase.total, currency: purchase.currency, description, merchantReference: `purchase:${purchase.id}`,
      payerMsisdn: user.msisdn, purchaseId: purchase.id,
    }, paymentId);
    if (!created.ok) {
      // The merchant was suspended, or the user, between order and decision: the order cannot be paid.
      await sql`UPDATE purchases SET state = 'rejected', decided_by = ${decidedBy}, reason = ${created.code}
                WHERE id = ${purchase.id}::uuid AND state = 'validating'`.execute(this.deps.db);
      return (await this.byId(purchase.id))!;
    }
    const accepted = await sql`UPDATE purchases SET state = 'accepted', decided_by = ${decidedBy}, reason = ${reason}, payment_id = ${paymentId}::uuid
              WHERE id = ${purchase.id}::uuid AND state = 'validating'`.execute(this.deps.db);
    const decided = (await this.byId(purchase.id))!;
    if ((accepted.numAffectedRows ?? 0n) === 0n && decided.paymentId !== paymentId) {
      // Another decision (the deadline's default) rejected the order first: this request must not stay payable.
      await this.deps.payments.cancel(merchant, paymentId);
    }
    return decided;
  }
}
