/**
 * The payment state machine (seed 004 §2.3, seed 001 §9.3, seed 002 ch. 7): a pure table, so the
 * code, the documentation (docs/payments.md) and the tests all read the same transitions. The
 * service applies an event only through `nextState`; an event the table does not allow in the
 * current state is refused (ERR_PAYMENT_STATE) and changes nothing.
 */
export const paymentStates = [
  "awaiting_confirmation", // created by the merchant; the payer's wallet is asked to confirm
  "funding",               // the payer confirmed; the funding source is being debited
  "succeeded",             // direct payment captured (refunds are separate records)
  "held",                  // escrow: funds held on a pending ledger transfer
  "shipped",               // escrow: the merchant marked the order shipped
  "disputed",              // escrow: the buyer disputed before release; an operator decides
  "released",              // escrow: the held funds (all, or the undisputed part) went to the merchant
  "refunded",              // escrow: the held funds went back to the buyer (all or part)
  "declined",              // the payer declined
  "expired",               // no confirmation before the expiry
  "cancelled",             // the merchant cancelled before confirmation
  "failed",                // funding failed (insufficient funds, bank declined…)
] as const;
export type PaymentState = (typeof paymentStates)[number];

export const paymentEvents = [
  "confirm", "decline", "expire", "cancel",
  "fund_failed", "captured", "held",
  "ship", "confirm_receipt", "auto_release", "ship_timeout", "dispute", "resolve_release", "resolve_refund",
] as const;
export type PaymentEvent = (typeof paymentEvents)[number];

export type PaymentKind = "direct" | "escrow";

export interface Transition {
  event: PaymentEvent;
  from: PaymentState;
  to: PaymentState;
  /** Only for payments of this kind; both when absent. */
  kind?: PaymentKind;
}

/** Every allowed transition. Anything not listed is refused. */
export const transitions: readonly Transition[] = [
  { event: "confirm", from: "awaiting_confirmation", to: "funding" },
  { event: "decline", from: "awaiting_confirmation", to: "declined" },
  { event: "expire", from: "awaiting_confirmation", to: "expired" },
  { event: "cancel", from: "awaiting_confirmation", to: "cancelled" },
  { event: "fund_failed", from: "funding", to: "failed" },
  { event: "captured", from: "funding", to: "succeeded", kind: "direct" },
  { event: "held", from: "funding", to: "held", kind: "escrow" },
  { event: "ship", from: "held", to: "shipped", kind: "escrow" },
  { event: "confirm_receipt", from: "held", to: "released", kind: "escrow" },
  { event: "confirm_receipt", from: "shipped", to: "released", kind: "escrow" },
  { event: "auto_release", from: "shipped", to: "released", kind: "escrow" },
  { event: "ship_timeout", from: "held", to: "refunded", kind: "escrow" },
  { event: "dispute", from: "held", to: "disputed", kind: "escrow" },
  { event: "dispute", from: "shipped", to: "disputed", kind: "escrow" },
  { event: "resolve_release", from: "disputed", to: "released", kind: "escrow" },
  { event: "resolve_refund", from: "disputed", to: "refunded", kind: "escrow" },
];

/** States no event leaves. */
export const finalStates: ReadonlySet<PaymentState> = new Set(
  paymentStates.filter((state) => !transitions.some((t) => t.from === state)),
);

export function nextState(kind: PaymentKind, from: PaymentState, event: PaymentEvent): PaymentState | undefined {
  return transitions.find((t) => t.event === event && t.from === from && (t.kind === undefined || t.kind === kind))?.to;
}

/** The states in which a timer is due (the `timer_at` column): what the sweeper does when it fires. */
export const timerEvents: Partial<Record<PaymentState, PaymentEvent>> = {
  awaiting_confirmation: "expire",
  held: "ship_timeout",
  shipped: "auto_release",
};
