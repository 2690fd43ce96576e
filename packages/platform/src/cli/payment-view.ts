import { formatAmount } from "../money.js";

/** A merchant payment as the API answers it, and how the CLI prints one. */
export interface PaymentView {
  id: string;
  merchantId: string;
  state: string;
  kind: string;
  amount: string;
  currency: string;
  merchantReference: string;
  expiresAt: string;
  reason?: string | null;
  fundingSource?: string | null;
  fee?: string | null;
  transitions: { at: string; event: string; from: string | null; to: string; actor: string; reason?: string | null }[];
  refunds: { id: string; amount: string; state: string; reason?: string | null }[];
}

export function paymentLine(p: PaymentView): string {
  return `${p.id}  ${String(p.state).padEnd(21)} ${formatAmount(BigInt(p.amount), p.currency)}  ${p.merchantReference}${p.reason ? `  ${p.reason}` : ""}`;
}

export type PaymentState = "awaiting_confirmation" | "funding" | "succeeded" | "held" | "shipped" | "disputed" | "released" | "refunded" | "declined" | "expired" | "cancelled" | "failed";
export const paymentStates: readonly PaymentState[] = ["awaiting_confirmation", "funding", "succeeded", "held", "shipped", "disputed", "released", "refunded", "declined", "expired", "cancelled", "failed"];

