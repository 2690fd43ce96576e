import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { XmlNode } from "@obol/xml";
import { ledgerCodes } from "../../src/modules/ledger-codes.js";
import { platformRevenueKind } from "../../src/modules/payments/index.js";
import { enrolDevice, receiptOf, type Device } from "../support/device.js";
import { assertEveryResponseWellFormed, openHarness, snapshot, wallet, type Harness } from "./harness.js";

let h: Harness;
let phoneA: Device;
let phoneB: Device;
let apiKey: string;
let merchantId: string;

before(async () => {
  h = await openHarness();
  phoneA = await enrolDevice(h, h.a);
  phoneB = await enrolDevice(h, h.b);
  apiKey = h.demo.merchant.apiKey;
  merchantId = h.demo.merchant.id;
});
after(async () => {
  assertEveryResponseWellFormed(h);
  await h.stop();
});

async function request(body: Record<string, unknown>, key: string = randomUUID()) {
  return h.call("POST", "/v1/payments", { token: apiKey, idem: key, json: { amount: "10000", currency: "KES", merchantReference: `ref-${randomUUID()}`, payerMsisdn: h.a.msisdn, description: "2 coffees", ...body } });
}

const confirmBody = (p: { id: string; amount: string; currency?: string; merchantId?: string }, funding = "auto") => [{
  name: "Confirm", attributes: { PaymentId: p.id, MerchantId: p.merchantId ?? merchantId, Amount: p.amount, Currency: p.currency ?? "KES", Funding: funding },
}];

async function merchantBalance(): Promise<bigint> {
  const accounts = await h.platform.services.ledger.accountsOf("merchant", merchantId);
  const a = accounts.find((x) => x.currency === "KES")!;
  return a.creditsPosted - a.debitsPosted;
}

async function revenue(): Promise<bigint> {
  const a = (await h.platform.services.ledger.accountsOf("platform", null)).find((x) => x.kind === platformRevenueKind && x.currency === "KES");
  return a === undefined ? 0n : a.creditsPosted - a.debitsPosted;
}

async function state(id: string) {
  return (await h.call("GET", `/v1/payments/${id}`, { token: apiKey })).body;
}

describe("user-confirmed payments", () => {
  test("request → the payer's wallet sees the verified merchant → signed confirmation → receipt; merchant credited net of the 1% fee", async () => {
    const before = { a: BigInt((await wallet(h, h.a.id)).posted), m: await merchantBalance(), r: await revenue() };
    const created = await request({});
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.state, "awaiting_confirmation");
    assert.equal(created.body.fee, "100");

    const inbox = await phoneA.send("wallet.inbox", [{ name: "Inbox", attributes: { WaitSeconds: "0" } }]);
    assert.equal(inbox.status, 200, inbox.text);
    const shown = inbox.body![0]!.children!.find((c) => typeof c !== "string" && c.attributes?.PaymentId === created.body.id);
    assert.ok(shown !== undefined && typeof shown !== "string");
    assert.equal(shown.attributes!.MerchantName, "Demo Coffee Ltd");
    assert.equal(shown.attributes!.Amount, "10000");
    assert.equal(shown.attributes!.ExpiresAt, created.body.expiresAt);

    const confirmed = await phoneA.send("wallet.payment.confirm", confirmBody(created.body));
    assert.equal(confirmed.status, 201, confirmed.text);
    const receipt = (await receiptOf(h, confirmed));
    assert.deepEqual([receipt.transactionId, receipt.status, receipt.amountMinor, receipt.payer, receipt.payee], [created.body.id, "completed", "10000", h.a.msisdn, `merchant:${merchantId}`]);

    const after = { a: BigInt((await wallet(h, h.a.id)).posted), m: await merchantBalance(), r: await revenue() };
    assert.equal(after.a, before.a - 10000n);
    assert.equal(after.m, before.m + 9900n);
    assert.equal(after.r, before.r + 100n);
    const detail = await state(created.body.id);
    assert.equal(detail.state, "succeeded");
    assert.equal(detail.fundingSource, "wallet");
    assert.deepEqual(detail.transitions.map((t: any) => t.event), ["create", "confirm", "captured"]);

    // The signed confirmation's exact bytes are kept, linked to the payment.
    const kept = (await sql<{ n: bigint }>`SELECT count(*) AS n FROM channel_messages WHERE business_ref = ${`payment:${created.body.id}`} AND direction = 'in'`.execute(h.platform.services.db)).rows[0]!.n;
    assert.equal(Number(kept), 1);
  });

  test("confirming twice, someone else's request, or another amount is refused and moves nothing", async () => {
    const created = (await request({})).body;
    const other = await phoneB.send("wallet.payment.confirm", confirmBody(created));
    assert.equal(other.status, 403);
    assert.equal(other.body![0]!.attributes!.Code, "ERR_NOT_PAYER");
    const wrongAmount = await phoneA.send("wallet.payment.confirm", confirmBody({ ...created, amount: "100" }));
    assert.equal(wrongAmount.body![0]!.attributes!.Code, "ERR_PAYMENT_MISMATCH");
    const wrongCurrency = await phoneA.send("wallet.payment.confirm", confirmBody({ ...created, currency: "USD" }));
    assert.equal(wrongCurrency.body![0]!.attributes!.Code, "ERR_PAYMENT_MISMATCH");
    const wrongMerchant = await phoneA.send("wallet.payment.confirm", confirmBody({ ...created, merchantId: randomUUID() }));
    assert.equal(wrongMerchant.body![0]!.attributes!.Code, "ERR_PAYMENT_MISMATCH");
    assert.equal((await state(created.id)).state, "awaiting_confirmation");

    const balance = (await wallet(h, h.a.id)).posted;
    assert.equal((await phoneA.send("wallet.payment.confirm", confirmBody(created))).status, 201);
    const twice = await phoneA.send("wallet.payment.confirm", confirmBody(created));
    assert.equal(twice.status, 409);
    assert.equal(twice.body![0]!.attributes!.Code, "ERR_PAYMENT_STATE");
    assert.equal(BigInt((await wallet(h, h.a.id)).posted), BigInt(balance) - 10000n);
  });

  test("expiry: confirming after it is refused; the timer ends the request as expired (60 s default)", async () => {
    const created = (await request({})).body;
    assert.equal(new Date(created.expiresAt).getTime() - new Date(created.createdAt).getTime(), 60_000);
    h.clock.advance(60_001);
    const late = await phoneA.send("wallet.payment.confirm", confirmBody(created));
    assert.equal(late.body![0]!.attributes!.Code, "ERR_PAYMENT_EXPIRED");
    assert.equal((await state(created.id)).state, "expired");

    const second = (await request({})).body;
    h.clock.advance(61_000);
    await h.platform.services.payments.runDue();
    const ended = await state(second.id);
    assert.equal(ended.state, "expired");
    assert.equal(ended.reason, "ERR_PAYMENT_EXPIRED");
    await h.relogin();
  });

  test("decline and cancel end in final states with their reason; nothing moves", async () => {
    const declined = (await request({})).body;
    const balance = (await wallet(h, h.a.id)).posted;
    const answer = await phoneA.send("wallet.payment.decline", [{ name: "Decline", attributes: { PaymentId: declined.id } }]);
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body![0]!.attributes!.State, "declined");
    assert.equal((await phoneA.send("wallet.payment.confirm", confirmBody(declined))).body![0]!.attributes!.Code, "ERR_PAYMENT_STATE");

    const cancelled = (await request({})).body;
    const cancel = await h.call("POST", `/v1/payments/${cancelled.id}/cancel`, { token: apiKey });
    assert.equal(cancel.status, 200, cancel.text);
    assert.equal(cancel.body.reason, "ERR_PAYMENT_CANCELLED");
    assert.equal((await h.call("POST", `/v1/payments/${cancelled.id}/cancel`, { token: apiKey })).body.error.code, "ERR_PAYMENT_STATE");
    assert.equal((await wallet(h, h.a.id)).posted, balance);
  });

  test("insufficient funds: the payment fails with the reason, money is untouched", async () => {
    const created = (await request({ amount: "999999999" })).body;
    const answer = await phoneA.send("wallet.payment.confirm", confirmBody(created));
    assert.equal(answer.status, 422, answer.text);
    assert.equal(answer.body![0]!.attributes!.State, "failed");
    assert.equal((await state(created.id)).reason, "ERR_INSUFFICIENT_FUNDS");
  });

  test("refunds: partial, then the rest; never above the capture; idempotent by key", async () => {
    const created = (await request({ amount: "5000" })).body;
    assert.equal((await phoneA.send("wallet.payment.confirm", confirmBody(created))).status, 201);
    const balance = BigInt((await wallet(h, h.a.id)).posted);
    const key = randomUUID();
    const first = await h.call("POST", `/v1/payments/${created.id}/refunds`, { token: apiKey, idem: key, json: { amount: "2000", reason: "one cup spilled" } });
    assert.equal(first.status, 201, first.text);
    const replay = await h.call("POST", `/v1/payments/${created.id}/refunds`, { token: apiKey, idem: key, json: { amount: "2000", reason: "one cup spilled" } });
    assert.equal(replay.text, first.text);
    const tooMuch = await h.call("POST", `/v1/payments/${created.id}/refunds`, { token: apiKey, idem: randomUUID(), json: { amount: "3001" } });
    assert.equal(tooMuch.body.error.code, "ERR_REFUND_EXCEEDS_CAPTURE");
    const rest = await h.call("POST", `/v1/payments/${created.id}/refunds`, { token: apiKey, idem: randomUUID(), json: { amount: "3000" } });
    assert.equal(rest.status, 201, rest.text);
    assert.equal(BigInt((await wallet(h, h.a.id)).posted), balance + 5000n);
    const detail = await state(created.id);
    assert.equal(detail.refundedAmount, "5000");
    assert.equal(detail.refunds.length, 2);
    const refundRows = (await sql<{ n: bigint }>`SELECT count(*) AS n FROM ledger_transfers WHERE code = ${ledgerCodes.refund} AND user_data = ${created.id}`.execute(h.platform.services.db)).rows[0]!.n;
    assert.equal(Number(refundRows), 2);
  });

  test("bad requests: unsupported currency, bad amount, unknown payer, duplicate reference, bad expiry, unapproved merchant", async () => {
    assert.equal((await request({ currency: "USD" })).body.error.code, "ERR_CURRENCY_UNSUPPORTED");
    assert.equal((await request({ amount: "-5" })).body.error.code, "ERR_AMOUNT_INVALID");
    assert.equal((await request({ amount: "0" })).body.error.code, "ERR_AMOUNT_INVALID");
    assert.equal((await request({ amount: "12.50" })).body.error.code, "ERR_AMOUNT_INVALID");
    assert.equal((await request({ payerMsisdn: "+254799999999" })).body.error.code, "ERR_PAYER_NOT_FOUND");
    assert.equal((await request({ expiresInSeconds: 5 })).body.error.code, "ERR_EXPIRY_INVALID");
    await request({ merchantReference: "order-dup" });
    assert.equal((await request({ merchantReference: "order-dup" })).body.error.code, "ERR_REFERENCE_TAKEN");
    assert.equal((await h.call("POST", "/v1/payments", { token: apiKey, json: { amount: "1", currency: "KES", merchantReference: "x" } })).body.error.code, "ERR_IDEMPOTENCY_KEY_REQUIRED");

    const signup = await h.call("POST", "/v1/merchants", { json: { legalName: "Pending Shop", category: "5411" } });
    const pending = await h.call("POST", "/v1/payments", { token: signup.body.apiKey, idem: randomUUID(), json: { amount: "100", currency: "KES", merchantReference: "p-1", payerMsisdn: h.a.msisdn } });
    assert.equal(pending.body.error.code, "ERR_MERCHANT_NOT_APPROVED");
    assert.equal((await h.call("POST", "/v1/payments", { token: h.a.token, idem: randomUUID(), json: { amount: "100", currency: "KES", merchantReference: "p-2" } })).body.error.code, "ERR_FORBIDDEN");
  });

  test("a merchant suspended after the request cannot be paid; the status endpoint and list filters work", async () => {
    const created = (await request({ merchantReference: "lookup-1" })).body;
    const byRef = await h.call("GET", "/v1/payments/by-reference/lookup-1", { token: apiKey });
    assert.equal(byRef.body.id, created.id);
    const listed = await h.call("GET", "/v1/payments?state=awaiting_confirmation&limit=100", { token: apiKey });
    assert.ok(listed.body.payments.some((p: any) => p.id === created.id));
    assert.ok(listed.body.payments.every((p: any) => p.state === "awaiting_confirmation"));

    await h.call("POST", `/v1/admin/merchants/${merchantId}/suspend`, { token: h.adminToken });
    const refused = await phoneA.send("wallet.payment.confirm", confirmBody(created));
    assert.equal(refused.body![0]!.attributes!.Code, "ERR_MERCHANT_NOT_APPROVED");
    await h.call("POST", `/v1/admin/merchants/${merchantId}/approve`, { token: h.adminToken });
    assert.equal((await state(created.id)).state, "awaiting_confirmation");
  });
});

describe("escrow (guaranteed transaction, seed 002 ch. 7)", () => {
  async function held(amount = "8000") {
    const created = (await request({ kind: "escrow", amount })).body;
    const confirmed = await phoneA.send("wallet.payment.confirm", confirmBody(created));
    assert.equal(confirmed.status, 201, confirmed.text);
    assert.equal((await receiptOf(h, confirmed)).status, "held");
    return created;
  }

  test("held on a pending transfer; shipped; the buyer's signed receipt confirmation releases it", async () => {
    const m0 = await merchantBalance();
    const p = await held();
    assert.equal((await wallet(h, h.a.id)).held, "8000");
    assert.equal(await merchantBalance(), m0);
    assert.equal((await h.call("POST", `/v1/payments/${p.id}/ship`, { token: apiKey })).body.state, "shipped");
    const released = await phoneA.send("wallet.escrow.receipt", [{ name: "ReceiptConfirmation", attributes: { PaymentId: p.id } }]);
    assert.equal(released.body![0]!.attributes!.State, "released", released.text);
    assert.equal((await wallet(h, h.a.id)).held, "0");
    assert.equal(await merchantBalance(), m0 + 8000n - 80n);
  });

  test("auto-release after the configured period from shipping (controllable clock)", async () => {
    const m0 = await merchantBalance();
    const p = await held();
    await h.call("POST", `/v1/payments/${p.id}/ship`, { token: apiKey });
    h.clock.advance(7 * 86_400_000 - 1000);
    await h.platform.services.payments.runDue();
    assert.equal((await state(p.id)).state, "shipped");
    h.clock.advance(2000);
    await h.platform.services.payments.runDue();
    const ended = await state(p.id);
    assert.equal(ended.state, "released");
    assert.equal(ended.transitions.at(-1).event, "auto_release");
    assert.equal(await merchantBalance(), m0 + 7920n);
    await h.relogin();
  });

  test("a dispute before release goes to an operator, who refunds part: buyer gets 3000 back, merchant 5000 less the fee", async () => {
    const a0 = BigInt((await wallet(h, h.a.id)).posted);
    const m0 = await merchantBalance();
    const p = await held();
    const disputed = await phoneA.send("wallet.escrow.dispute", [{ name: "Dispute", attributes: { PaymentId: p.id, Reason: "one item missing" } }]);
    assert.equal(disputed.body![0]!.attributes!.State, "disputed", disputed.text);
    const desk = await h.call("GET", "/v1/admin/disputes", { token: h.adminToken });
    assert.ok(desk.body.payments.some((x: any) => x.id === p.id));
    assert.equal((await h.call("POST", `/v1/payments/${p.id}/ship`, { token: apiKey })).body.error.code, "ERR_PAYMENT_STATE");
    const tooMuch = await h.call("POST", `/v1/admin/payments/${p.id}/resolve`, { token: h.adminToken, json: { refundAmount: "8001" } });
    assert.equal(tooMuch.body.error.code, "ERR_REFUND_EXCEEDS_CAPTURE");
    const resolved = await h.call("POST", `/v1/admin/payments/${p.id}/resolve`, { token: h.adminToken, json: { refundAmount: "3000", note: "partial" } });
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.state, "refunded");
    assert.equal(resolved.body.releasedAmount, "5000");
    assert.equal(resolved.body.fee, "50");
    assert.equal(BigInt((await wallet(h, h.a.id)).posted), a0 - 5000n);
    assert.equal((await wallet(h, h.a.id)).held, "0");
    assert.equal(await merchantBalance(), m0 + 4950n);
  });

  test("not shipped within the deadline: the buyer is refunded in full", async () => {
    const a0 = BigInt((await wallet(h, h.a.id)).posted);
    const p = await held();
    h.clock.advance(14 * 86_400_000 + 1000);
    await h.platform.services.payments.runDue();
    assert.equal((await state(p.id)).state, "refunded");
    assert.equal(BigInt((await wallet(h, h.a.id)).posted), a0);
    assert.equal((await wallet(h, h.a.id)).held, "0");
    await h.relogin();
  });
});

describe("products (seed 004's Product_Info)", () => {
  test("create, list, update, delete; sku unique per merchant", async () => {
    const created = await h.call("POST", "/v1/products", { token: apiKey, json: { sku: "LATTE-L", name: "Large latte", price: "35000", currency: "KES" } });
    assert.equal(created.status, 201, created.text);
    assert.equal((await h.call("POST", "/v1/products", { token: apiKey, json: { sku: "LATTE-L", name: "Again", price: "1", currency: "KES" } })).body.error.code, "ERR_SKU_TAKEN");
    const updated = await h.call("PATCH", `/v1/products/${created.body.id}`, { token: apiKey, json: { price: "36000" } });
    assert.equal(updated.body.price, "36000");
    assert.equal((await h.call("GET", "/v1/products", { token: apiKey })).body.products.length, 1);
    assert.equal((await h.call("DELETE", `/v1/products/${created.body.id}`, { token: apiKey })).status, 204);
    assert.equal((await h.call("GET", `/v1/products/${created.body.id}`, { token: apiKey })).body.error.code, "ERR_PRODUCT_NOT_FOUND");
    assert.equal((await h.call("POST", "/v1/products", { token: apiKey, json: { sku: "LATTE-L", name: "Back", price: "1", currency: "KES" } })).status, 201);
  });
});

describe("the state machine as the code runs it", () => {
  test("the remaining transitions, then: every recorded transition is in the documented table and every table row was taken", async () => {
    // receipt confirmed before shipping; a dispute after shipping; a dispute resolved in the merchant's favour.
    const early = (await request({ kind: "escrow", amount: "1000" })).body;
    await phoneA.send("wallet.payment.confirm", confirmBody(early));
    assert.equal((await phoneA.send("wallet.escrow.receipt", [{ name: "ReceiptConfirmation", attributes: { PaymentId: early.id } }])).body![0]!.attributes!.State, "released");
    const late = (await request({ kind: "escrow", amount: "1000" })).body;
    await phoneA.send("wallet.payment.confirm", confirmBody(late));
    await h.call("POST", `/v1/payments/${late.id}/ship`, { token: apiKey });
    assert.equal((await phoneA.send("wallet.escrow.dispute", [{ name: "Dispute", attributes: { PaymentId: late.id, Reason: "never arrived" } }])).body![0]!.attributes!.State, "disputed");
    const kept = await h.call("POST", `/v1/admin/payments/${late.id}/resolve`, { token: h.adminToken, json: { refundAmount: "0" } });
    assert.equal(kept.body.state, "released");

    const recorded = (await sql<{ event: string; from_state: string; to_state: string; kind: string }>`
      SELECT DISTINCT t.event, t.from_state, t.to_state, p.kind FROM payment_transitions t JOIN payments p ON p.id = t.payment_id WHERE t.event <> 'create'`.execute(h.platform.services.db)).rows;
    const { transitions } = await import("../../src/modules/payments/state-machine.js");
    const table = new Set(transitions.map((t) => `${t.event} ${t.from}→${t.to}`));
    for (const r of recorded) {
      assert.ok(table.has(`${r.event} ${r.from_state}→${r.to_state}`), `recorded transition not in the table: ${r.event} ${r.from_state}→${r.to_state}`);
      const row = transitions.find((t) => t.event === r.event && t.from === r.from_state)!;
      assert.ok(row.kind === undefined || row.kind === r.kind, `${r.event} taken by a ${r.kind} payment`);
    }
    const taken = new Set(recorded.map((r) => `${r.event} ${r.from_state}→${r.to_state}`));
    assert.deepEqual([...table].filter((t) => !taken.has(t)), [], "table rows no test took");
  });
});

describe("catalogue purchase (seed 001 §9.3): browse, order, merchant validation, confirm", () => {
  const productIds: string[] = [];
  let behaviour: "accept" | "reject" | "slow" | "garbage" = "accept";
  const seen: any[] = [];
  let server: import("node:http").Server;
  let url: string;

  before(async () => {
    const { createServer } = await import("node:http");
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        seen.push(JSON.parse(body));
        if (behaviour === "slow") { setTimeout(() => res.end('{"result":"accept"}'), 3000).unref(); return; }
        res.setHeader("content-type", "application/json");
        res.end(behaviour === "garbage" ? "<html>" : JSON.stringify(behaviour === "accept" ? { result: "accept" } : { result: "reject", reason: "out of stock" }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/validate`;
    for (const [sku, price, active] of [["MUG", "12000", true], ["BEANS-1KG", "25000", true], ["OLD", "100", false]] as const) {
      const created = await h.call("POST", "/v1/products", { token: apiKey, json: { sku, name: sku.toLowerCase(), price, currency: "KES", active } });
      assert.equal(created.status, 201, created.text);
      productIds.push(created.body.id);
    }
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const order = (items: [number | string, number][], key = randomUUID(), kind?: string) => phoneA.send("wallet.purchase", [{
    name: "Purchase", attributes: { MerchantId: merchantId, IdempotencyKey: key, ...(kind ? { Kind: kind } : {}) },
    children: items.map(([p, q]) => ({ name: "Item", attributes: { ProductId: typeof p === "number" ? productIds[p]! : p, Quantity: String(q) } })),
  }]);

  test("the wallet browses only active products; with no validation URL an order is accepted and becomes a payment to confirm", async () => {
    const catalogue = await phoneA.send("wallet.catalogue", [{ name: "Catalogue", attributes: { MerchantId: merchantId } }]);
    assert.equal(catalogue.status, 200, catalogue.text);
    const skus = catalogue.body![0]!.children!.map((c) => typeof c === "string" ? "" : c.attributes!.Sku);
    assert.ok(skus.includes("MUG") && skus.includes("BEANS-1KG") && !skus.includes("OLD"));
    const key = randomUUID();
    const ordered = await order([[0, 2], [1, 1]], key);
    assert.equal(ordered.status, 201, ordered.text);
    const request = ordered.body![0]!.attributes!;
    assert.equal(request.Amount, "49000");
    assert.equal(request.MerchantName, "Demo Coffee Ltd");
    assert.equal(((await order([[0, 2], [1, 1]], key)).body![0]!.attributes!).PaymentId, request.PaymentId, "the same order key answers the same payment");
    const paid = await phoneA.send("wallet.payment.confirm", confirmBody({ id: request.PaymentId!, amount: request.Amount! }));
    assert.equal(paid.status, 201, paid.text);
    const detail = await state(request.PaymentId!);
    assert.equal(detail.description, "2× mug, 1× beans-1kg");
    assert.equal(detail.purchaseId, request.PurchaseId);
  });

  test("the merchant's validation callback decides: accept, reject, or (slow or broken) the configured default", async () => {
    const set = (defaultResult: string, timeoutMs = 1000) => h.call("PUT", "/v1/merchant/validation", { token: apiKey, json: { url, defaultResult, timeoutMs } });
    assert.equal((await set("reject")).status, 200);
    behaviour = "accept";
    assert.equal((await order([[0, 1]])).status, 201);
    assert.equal(seen.at(-1).total, "12000");
    assert.equal(seen.at(-1).payerMsisdn, h.a.msisdn);
    behaviour = "reject";
    const rejected = await order([[0, 1]]);
    assert.equal(rejected.body![0]!.attributes!.Code, "ERR_PURCHASE_REJECTED");
    behaviour = "slow";
    assert.equal((await order([[0, 1]])).body![0]!.attributes!.Code, "ERR_PURCHASE_REJECTED", "timeout → default reject");
    await set("accept");
    assert.equal((await order([[0, 1]])).status, 201, "timeout → default accept");
    behaviour = "garbage";
    assert.equal((await order([[0, 1]])).status, 201, "malformed answer → default accept");
    const decided = (await sql<{ decided_by: string; n: bigint }>`SELECT decided_by, count(*) AS n FROM purchases GROUP BY decided_by`.execute(h.platform.services.db)).rows;
    assert.deepEqual(decided.map((r) => r.decided_by).sort(), ["default_error", "default_no_endpoint", "default_timeout", "merchant"]);
  });

  test("bad orders are refused and create nothing: zero or 100 of an item, an inactive or unknown product, a duplicate line", async () => {
    const before = Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM purchases`.execute(h.platform.services.db)).rows[0]!.n);
    assert.equal((await order([[0, 0]])).body![0]!.attributes!.Code, "ERR_PURCHASE_INVALID");
    assert.equal((await order([[0, 100]])).body![0]!.attributes!.Code, "ERR_PURCHASE_INVALID");
    assert.equal((await order([[0, 1], [0, 1]])).body![0]!.attributes!.Code, "ERR_PURCHASE_INVALID");
    assert.equal((await order([[2, 1]])).body![0]!.attributes!.Code, "ERR_PRODUCT_NOT_FOUND");
    assert.equal((await order([[randomUUID(), 1]])).body![0]!.attributes!.Code, "ERR_PRODUCT_NOT_FOUND");
    assert.equal((await order([[0, 1.5]])).code, "ERR_MESSAGE_MALFORMED");
    assert.equal(Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM purchases`.execute(h.platform.services.db)).rows[0]!.n), before);
  });

  test("ambiguous signed orders and confirmations (each signed by the payer's device) are refused as malformed and change nothing (issue 10)", async () => {
    const created = (await request({ amount: "4000" })).body;
    const purchases = async () => Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM purchases`.execute(h.platform.services.db)).rows[0]!.n);
    const before = { purchases: await purchases(), snapshot: await snapshot(h), merchant: await merchantBalance(), payment: (await state(created.id)).state };
    const purchase = (children: ReadonlyArray<XmlNode | string>): XmlNode[] => [{ name: "Purchase", attributes: { MerchantId: merchantId, IdempotencyKey: randomUUID() }, children }];
    const item = (quantity: string, children?: XmlNode[]): XmlNode => ({ name: "Item", attributes: { ProductId: productIds[0]!, Quantity: quantity }, ...(children ? { children } : {}) });
    const [confirm] = confirmBody(created);
    const hostile: Array<[string, string, XmlNode[]]> = [
      ["a second Quantity inside an Item", "wallet.purchase", purchase([item("1", [{ name: "Quantity", children: ["100"] }])])],
      ["text beside the Items", "wallet.purchase", purchase([item("1"), "junk"])],
      ["an unknown element beside the Items", "wallet.purchase", purchase([item("1"), { name: "Discount", attributes: { Percent: "100" } }])],
      ["an element inside Confirm", "wallet.payment.confirm", [{ ...confirm!, children: [{ name: "Amount", children: ["1"] }] }]],
      ["two Confirm elements", "wallet.payment.confirm", [confirm!, { ...confirm!, attributes: { ...confirm!.attributes, Amount: "1" } }]],
      ["an undeclared attribute on Confirm", "wallet.payment.confirm", [{ ...confirm!, attributes: { ...confirm!.attributes, Fee: "0" } }]],
    ];
    for (const [what, type, body] of hostile) {
      const reply = await phoneA.send(type, body);
      assert.deepEqual([reply.status, reply.code], [400, "ERR_MESSAGE_MALFORMED"], `${what}: ${reply.text}`);
    }
    assert.deepEqual({ purchases: await purchases(), snapshot: await snapshot(h), merchant: await merchantBalance(), payment: (await state(created.id)).state }, before);
    assert.equal((await phoneA.send("wallet.payment.confirm", confirmBody(created))).status, 201, "the unmodified confirmation still pays");
  });

  test("an order left validating (the platform died mid-call) gets the default at its deadline", async () => {
    const id = randomUUID();
    await sql`INSERT INTO purchases (id, merchant_id, user_id, kind, items, total, currency, state, deadline_at)
              VALUES (${id}::uuid, ${merchantId}::uuid, ${h.a.id}::uuid, 'direct', ${JSON.stringify([{ productId: productIds[0], sku: "MUG", name: "mug", quantity: 1, price: "120000" }])}::jsonb,
                      120000, 'KES', 'validating', ${new Date(h.clock.now + 1000)})`.execute(h.platform.services.db);
    await h.platform.services.purchases.runDue();
    assert.equal((await h.platform.services.purchases.byId(id))!.state, "validating");
    h.clock.advance(1001);
    await h.platform.services.purchases.runDue();
    const decided = (await h.platform.services.purchases.byId(id))!;
    assert.equal(decided.state, "accepted");
    assert.equal(decided.decidedBy, "default_timeout");
    assert.equal((await state(decided.paymentId!)).state, "awaiting_confirmation");
  });
});

describe("announcements: webhooks (outbox) and notifications", () => {
  test("every merchant-facing payment event is a webhook event and a merchant notification; the payer is notified too", async () => {
    const events = await h.call("GET", "/v1/merchant/webhook-events?limit=100", { token: apiKey });
    assert.equal(events.status, 200, events.text);
    const types = new Set(events.body.events.map((e: any) => e.type));
    for (const type of ["payment.succeeded", "payment.failed", "payment.expired", "payment.refunded", "escrow.held", "escrow.released", "escrow.disputed"]) {
      assert.ok(types.has(type), `no ${type} webhook event`);
    }
    const one = events.body.events.find((e: any) => e.type === "payment.refunded");
    const detail = await h.call("GET", `/v1/merchant/webhook-events/${one.id}`, { token: apiKey });
    assert.equal(detail.body.payload.type, "payment.refunded");
    assert.match(detail.body.payload.data.id, /^[0-9a-f-]{36}$/);
    assert.match(detail.body.payload.data.amount, /^[0-9]+$/);

    const merchantNotes = await h.call("GET", "/v1/merchant/notifications?limit=100", { token: apiKey });
    assert.ok(merchantNotes.body.notifications.some((n: any) => n.kind === "payment.succeeded"));
    await h.relogin();
    const payerNotes = await h.call("GET", "/v1/me/notifications?limit=100", { token: h.a.token });
    const kinds = new Set(payerNotes.body.notifications.map((n: any) => n.kind));
    for (const kind of ["payment.confirmation_requested", "payment.succeeded", "payment.declined", "payment.expired", "payment.refunded", "escrow.released"]) {
      assert.ok(kinds.has(kind), `the payer was not notified of ${kind}`);
    }
  });
});
