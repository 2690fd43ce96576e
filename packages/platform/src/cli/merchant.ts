import { randomUUID } from "node:crypto";
import { expectOk, type ObolClient } from "@obol/sdk";
import { ObolError } from "../errors/obol-error.js";
import { platformClient } from "./client.js";
import { type PaymentState, type PaymentView } from "./payment-view.js";
import { countdown } from "./progress.js";

/**
 * The merchant API from the command line, through @obol/sdk: `obol merchant …` with the API key in
 * OBOL_MERCHANT_API_KEY (never an argument: arguments show in process lists and shell history). The
 * functions here do the work and return what happened; main's command table prints it.
 */
export interface RefundView { id: string; amount: string; state: string }

const finalStates = new Set(["succeeded", "released", "refunded", "declined", "expired", "cancelled", "failed"]);
const pollIntervalMs = 500;

export function merchantClient(url: string): ObolClient {
  const key = process.env.OBOL_MERCHANT_API_KEY;
  if (key === undefined || key === "") throw new ObolError("ERR_USAGE", "set OBOL_MERCHANT_API_KEY to the merchant's API key");
  return platformClient(url, key);
}

export interface PaymentRequestInput {
  amount: bigint; currency: string; payer?: string | undefined; reference?: string | undefined; description?: string | undefined; escrow: boolean;
  expiresSeconds?: number | undefined; idempotencyKey?: string | undefined;
}

export async function requestPayment(api: ObolClient, o: PaymentRequestInput): Promise<PaymentView> {
  return expectOk<unknown, PaymentView>(api.POST("/v1/payments", {
    body: {
      kind: o.escrow ? "escrow" : "direct", amount: o.amount.toString(), currency: o.currency, merchantReference: o.reference ?? `cli-${randomUUID().slice(0, 8)}`,
      ...(o.payer ? { payerMsisdn: o.payer } : {}), ...(o.description ? { description: o.description } : {}), ...(o.expiresSeconds ? { expiresInSeconds: o.expiresSeconds } : {}),
    },
    params: { header: { "idempotency-key": o.idempotencyKey ?? randomUUID() } },
  }));
}

export async function getPayment(api: ObolClient, id: string): Promise<PaymentView> {
  return expectOk<unknown, PaymentView>(api.GET("/v1/payments/{id}", { params: { path: { id } } }));
}

export async function findPaymentByReference(api: ObolClient, reference: string): Promise<PaymentView> {
  return expectOk<unknown, PaymentView>(api.GET("/v1/payments/by-reference/{reference}", { params: { path: { reference } } }));
}

/** Polls until the payment is final or held, or the wait is over; a countdown shows on stderr. */
export async function waitForOutcome(api: ObolClient, payment: PaymentView, waitSeconds: number): Promise<PaymentView> {
  const deadline = Date.now() + waitSeconds * 1000;
  const stop = countdown("waiting for the payer to confirm", waitSeconds);
  try {
    let current = payment;
    while (!finalStates.has(current.state) && current.state !== "held" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, pollIntervalMs));
      current = await getPayment(api, payment.id);
    }
    return current;
  } finally {
    stop();
  }
}

export async function listPayments(api: ObolClient, state?: string): Promise<PaymentView[]> {
  const query = { limit: 50, ...(state === undefined ? {} : { state: state as PaymentState }) };
  return (await expectOk<unknown, { payments: PaymentView[] }>(api.GET("/v1/payments", { params: { query } }))).payments;
}

/** A refund of `amount` minor units, in the payment's currency (read first, so the amount can be checked against it). */
export async function refundPayment(api: ObolClient, o: { paymentId: string; amount: bigint; reason?: string | undefined; idempotencyKey?: string | undefined }): Promise<RefundView> {
  return expectOk<unknown, RefundView>(api.POST("/v1/payments/{id}/refunds", {
    params: { path: { id: o.paymentId }, header: { "idempotency-key": o.idempotencyKey ?? randomUUID() } },
    body: { amount: o.amount.toString(), ...(o.reason ? { reason: o.reason } : {}) },
  }));
}

export async function paymentAction(api: ObolClient, action: "ship" | "cancel", paymentId: string): Promise<PaymentView> {
  const path = action === "ship" ? "/v1/payments/{id}/ship" as const : "/v1/payments/{id}/cancel" as const;
  return expectOk<unknown, PaymentView>(api.POST(path, { params: { path: { id: paymentId } } }));
}
