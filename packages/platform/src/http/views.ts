import { z } from "zod";
import { paymentStates } from "../modules/payments/index.js";
import { webhookEventTypes } from "../modules/webhooks/events.js";

/**
 * The success bodies of the API, as zod schemas: routes declare them as their response schemas, so the
 * OpenAPI document describes them and every success answer is checked and serialized from them (app.ts).
 * Named ones (meta id) become components of the document.
 */

const minorUnits = z.string().regex(/^-?[0-9]{1,19}$/).meta({ description: "Minor units as a string of digits", example: "1250" });
const timestamp = z.string().meta({ format: "date-time", example: "2026-12-01T09:30:00.000Z" });
const id = z.string().meta({ format: "uuid", example: "0f8e2a4c-5b6d-4e7f-8a9b-0c1d2e3f4a5b" });
const currencyCode = z.string().meta({ example: "KES" });
const next = z.string().nullable().meta({ description: "Pass it back to get the next page; null on the last page" });

export const noContent = z.null().meta({ description: "Done; no body" });

export const status = z.object({ status: z.string() });

export const userView = z.object({
  id, msisdn: z.string().meta({ example: "+254700000001" }), displayName: z.string(), status: z.enum(["active", "suspended", "closed"]), createdAt: timestamp,
}).meta({ id: "User" });

export const merchantView = z.object({
  id, legalName: z.string(), category: z.string(), status: z.enum(["pending", "approved", "suspended"]), createdAt: timestamp,
}).meta({ id: "Merchant" });

export const session = z.object({ token: z.string(), expiresAt: timestamp });

export const walletBalance = z.object({
  currency: currencyCode, accountId: id, available: minorUnits, held: minorUnits, posted: minorUnits, frozen: z.boolean(),
}).meta({ id: "WalletBalance" });

export const historyPage = z.object({
  currency: currencyCode,
  entries: z.array(z.object({
    transferId: id, kind: z.enum(["p2p", "top_up", "withdrawal", "other"]), direction: z.enum(["debit", "credit"]), amount: minorUnits, createdAt: timestamp,
    cursor: z.string().meta({ description: "Pass as `before` for older entries" }),
  })),
  next,
});

export const movementReceipt = z.object({
  transferId: id, kind: z.enum(["p2p", "top_up", "withdrawal"]), amount: minorUnits, currency: currencyCode,
  from: z.string().nullable(), to: z.string().nullable(), createdAt: timestamp,
  note: z.string().nullable().optional().meta({ description: "P2P only: the sender's note as stored" }),
}).meta({ id: "MovementReceipt" });

export const bankMovement = z.object({
  operationId: id, kind: z.enum(["top_up", "withdrawal"]), status: z.enum(["completed", "pending", "declined", "reversed"]), amount: minorUnits, currency: currencyCode,
  bankReference: z.string().nullable(), transferId: z.string().nullable(), reason: z.string().nullable(), createdAt: timestamp,
}).meta({ id: "BankMovement" });

export const bankLink = z.object({
  linkId: id, currency: currencyCode, accountMasked: z.string().meta({ example: "RB…6789" }), status: z.enum(["awaiting_code", "active", "failed", "replaced"]),
  holderName: z.string().nullable(), attemptsLeft: z.number().int().nullable(), reason: z.string().nullable(), createdAt: timestamp,
}).meta({ id: "BankLink" });

export const merchantWithBalances = merchantView.extend({
  balances: z.array(z.object({ currency: currencyCode, accountId: id, available: minorUnits, frozen: z.boolean() })),
});

export const product = z.object({
  id, sku: z.string(), name: z.string(), description: z.string(), price: minorUnits, currency: currencyCode, active: z.boolean(), createdAt: timestamp, updatedAt: timestamp,
}).meta({ id: "Product" });

export const validationSettings = z.object({ url: z.string(), defaultResult: z.enum(["accept", "reject"]), timeoutMs: z.number().int() });

export const payment = z.object({
  id, merchantId: id, kind: z.enum(["direct", "escrow"]), state: z.enum(paymentStates), reason: z.string().nullable(), amount: minorUnits, currency: currencyCode, fee: minorUnits,
  description: z.string(), merchantReference: z.string(), payerMsisdn: z.string().nullable(), fundingSource: z.enum(["wallet", "bank"]).nullable(), expiresAt: timestamp,
  refundedAmount: minorUnits, releasedAmount: minorUnits, purchaseId: z.string().nullable(), createdAt: timestamp, updatedAt: timestamp,
}).meta({ id: "Payment" });

export const refund = z.object({
  id, paymentId: id, amount: minorUnits, reason: z.string(), state: z.string(), failure: z.string().nullable(), createdAt: timestamp,
}).meta({ id: "Refund" });

export const paymentDetail = payment.extend({
  refunds: z.array(refund),
  transitions: z.array(z.object({ event: z.string(), from: z.string().nullable(), to: z.string(), reason: z.string().nullable(), actor: z.string().nullable(), at: timestamp })),
}).meta({ id: "PaymentDetail" });

export const ledgerReport = z.object({
  accounts: z.number().int(), postingsSum: minorUnits, balanced: z.boolean(),
  mismatches: z.array(z.object({ accountId: id, stored: z.record(z.string(), z.string()), computed: z.record(z.string(), z.string()) })),
});

export const certificatePem = z.string().meta({ description: "PEM (RFC 7468)" });

export const notificationPage = z.object({
  notifications: z.array(z.object({ id, kind: z.string().meta({ example: "payment.succeeded" }), data: z.unknown(), createdAt: timestamp, readAt: timestamp.nullable(), cursor: z.string() })),
  next, unread: z.number().int(),
});

export const endpointView = z.object({ url: z.string(), createdAt: timestamp, updatedAt: timestamp, previousSecretValidUntil: timestamp.nullable() }).meta({ id: "WebhookEndpoint" });

const deliveryView = z.object({
  status: z.enum(["pending", "delivered", "failed"]), attempts: z.number().int(), nextAttemptAt: timestamp.nullable(), lastAttemptAt: timestamp.nullable(),
  lastStatusCode: z.number().int().nullable(), lastErrorClass: z.string().nullable(), deliveredAt: timestamp.nullable(),
});

export const eventView = z.object({ id: z.string(), type: z.string().meta({ description: `One of ${webhookEventTypes.join(", ")}` }), createdAt: timestamp, delivery: deliveryView, cursor: z.string() }).meta({ id: "WebhookEvent" });

export const attemptView = z.object({
  eventId: z.string(), attempt: z.number().int(), startedAt: timestamp, durationMs: z.number(), statusCode: z.number().int().nullable(),
  outcome: z.enum(["success", "failure"]), errorClass: z.string().nullable(), responseExcerpt: z.string(), cursor: z.string(),
}).meta({ id: "WebhookAttempt" });

export const settlementReport = z.object({
  batchId: id, merchantId: id, merchantName: z.string(), currency: currencyCode,
  period: z.object({ start: timestamp, end: timestamp }), postings: z.object({ afterSeq: z.string(), uptoSeq: z.string() }),
  openingBalance: minorUnits,
  breakdown: z.array(z.object({ code: z.number().int(), name: z.string(), count: z.number().int(), credits: minorUnits, debits: minorUnits, net: minorUnits })),
  closingBalance: minorUnits, held: minorUnits, payout: minorUnits, state: z.string(), bankReference: z.string().nullable(), reason: z.string().nullable(),
  createdAt: timestamp, settledAt: timestamp.nullable(),
}).meta({ id: "SettlementReport" });

/** A settlement report: JSON (the SettlementReport schema) or CSV (RFC 4180). */
export const settlementReportContent = {
  description: "The report, as JSON or CSV (format=csv)",
  content: { "application/json": { schema: settlementReport }, "text/csv": { schema: z.string() } },
};

export const reconciliation = z.object({
  currency: currencyCode, generatedAt: timestamp, ledgerLines: z.number().int(), bankLines: z.number().int(), matched: z.number().int(), offsetting: z.number().int(),
  mismatches: z.array(z.looseObject({ kind: z.string(), reference: z.string().optional() })), ledgerBalance: minorUnits, bankBalance: minorUnits,
});

/** A binary body (e-cash messages, DER): the content type says what it is. */
export function binary(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: z.any().meta({ type: "string", format: "binary" }) } } };
}

/** A text body (Prometheus metrics, XML). */
export function text(contentType: string, description: string) {
  return { description, content: { [contentType]: { schema: z.string() } } };
}
