import type { Payment } from "./store.js";
import type { PaymentEvent } from "./state-machine.js";

/**
 * Who hears about a payment event: the merchant (a webhook, plus a notification record) and the
 * payer (a notification record; the wallet reads them). Pure, so the tests can walk every event.
 */
export type WebhookType =
  | "payment.succeeded" | "payment.failed" | "payment.expired" | "payment.refunded"
  | "escrow.held" | "escrow.released" | "escrow.disputed";

export interface Announcement {
  webhook?: WebhookType;
  userNotice?: string;
}

const byEvent: Record<PaymentEvent | "create", Announcement> = {
  create: { userNotice: "payment.confirmation_requested" },
  confirm: {},
  decline: { webhook: "payment.failed", userNotice: "payment.declined" },
  expire: { webhook: "payment.expired", userNotice: "payment.expired" },
  cancel: { userNotice: "payment.cancelled" },
  fund_failed: { webhook: "payment.failed", userNotice: "payment.failed" },
  captured: { webhook: "payment.succeeded", userNotice: "payment.succeeded" },
  held: { webhook: "escrow.held", userNotice: "escrow.held" },
  ship: { userNotice: "escrow.shipped" },
  confirm_receipt: { webhook: "escrow.released", userNotice: "escrow.released" },
  auto_release: { webhook: "escrow.released", userNotice: "escrow.released" },
  ship_timeout: { webhook: "payment.refunded", userNotice: "payment.refunded" },
  dispute: { webhook: "escrow.disputed", userNotice: "escrow.disputed" },
  resolve_release: { webhook: "escrow.released", userNotice: "escrow.released" },
  resolve_refund: { webhook: "payment.refunded", userNotice: "payment.refunded" },
};

export function announcementFor(event: PaymentEvent | "create"): Announcement {
  return byEvent[event];
}

/** The payment as webhooks and notifications show it: amounts as strings, no internal fields. */
export function paymentView(p: Payment) {
  return {
    id: p.id,
    merchantId: p.merchantId,
    kind: p.kind,
    state: p.state,
    reason: p.reason,
    amount: p.amount.toString(),
    currency: p.currency,
    fee: p.fee.toString(),
    description: p.description,
    merchantReference: p.merchantReference,
    payerMsisdn: p.payerMsisdn,
    fundingSource: p.fundingSource,
    expiresAt: p.expiresAt.toISOString(),
    refundedAmount: p.refundedAmount.toString(),
    releasedAmount: p.releasedAmount.toString(),
    purchaseId: p.purchaseId,
    createdAt: p.createdAt.toISOString(),
    updatedAt: p.updatedAt.toISOString(),
  };
}

export type PaymentView = ReturnType<typeof paymentView>;
