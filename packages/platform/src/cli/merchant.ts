import { randomUUID } from "node:crypto";
import { ObolError } from "../errors/obol-error.js";
import { formatAmount } from "../money.js";

/**
 * The merchant API from the command line: `obol merchant …` with the API key in
 * OBOL_MERCHANT_API_KEY (never an argument: arguments show in process lists and shell history).
 */
export interface MerchantCli {
  url: string;
}

const finalStates = new Set(["succeeded", "released", "refunded", "declined", "expired", "cancelled", "failed"]);

function apiKey(): string {
  const key = process.env.OBOL_MERCHANT_API_KEY;
  if (key === undefined || key === "") throw new ObolError("ERR_USAGE", "set OBOL_MERCHANT_API_KEY to the merchant's API key");
  return key;
}

async function call(cli: MerchantCli, method: string, path: string, body?: unknown, idempotencyKey?: string): Promise<any> {
  const response = await fetch(cli.url + path, {
    method,
    headers: {
      authorization: `Bearer ${apiKey()}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = response.status === 204 ? {} : ((await response.json()) as any);
  if (!response.ok) throw new ObolError(json?.error?.code ?? "ERR_HTTP", `${method} ${path}: ${json?.error?.message ?? response.status}`);
  return json;
}

function line(p: any): string {
  return `${p.id}  ${String(p.state).padEnd(21)} ${formatAmount(BigInt(p.amount), p.currency)}  ${p.merchantReference}${p.reason ? `  ${p.reason}` : ""}`;
}

export async function merchantRequest(cli: MerchantCli, o: {
  amount: string; currency: string; payer?: string | undefined; reference?: string | undefined; description?: string | undefined; escrow: boolean;
  expiresSeconds?: number | undefined; idempotencyKey?: string | undefined; waitSeconds: number;
}): Promise<number> {
  const created = await call(cli, "POST", "/v1/payments", {
    kind: o.escrow ? "escrow" : "direct", amount: o.amount, currency: o.currency, merchantReference: o.reference ?? `cli-${randomUUID().slice(0, 8)}`,
    ...(o.payer ? { payerMsisdn: o.payer } : {}), ...(o.description ? { description: o.description } : {}), ...(o.expiresSeconds ? { expiresInSeconds: o.expiresSeconds } : {}),
  }, o.idempotencyKey ?? randomUUID());
  console.log(`requested: ${line(created)} (expires ${created.expiresAt})`);
  if (o.waitSeconds <= 0) return 0;
  const deadline = Date.now() + o.waitSeconds * 1000;
  let current = created;
  while (!finalStates.has(current.state) && current.state !== "held" && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    current = await call(cli, "GET", `/v1/payments/${created.id}`);
  }
  console.log(`now: ${line(current)}`);
  return current.state === "succeeded" || current.state === "held" ? 0 : 1;
}

export async function merchantList(cli: MerchantCli, o: { state?: string | undefined }): Promise<number> {
  const listed = await call(cli, "GET", `/v1/payments?limit=50${o.state ? `&state=${encodeURIComponent(o.state)}` : ""}`);
  for (const p of listed.payments) console.log(line(p));
  if (listed.payments.length === 0) console.log("no payments");
  return 0;
}

export async function merchantGet(cli: MerchantCli, o: { paymentId: string }): Promise<number> {
  const p = await call(cli, "GET", `/v1/payments/${encodeURIComponent(o.paymentId)}`);
  console.log(line(p));
  for (const t of p.transitions) console.log(`  ${t.at}  ${t.event.padEnd(16)} ${t.from ?? "-"} → ${t.to}  by ${t.actor}${t.reason ? `  ${t.reason}` : ""}`);
  for (const r of p.refunds) console.log(`  refund ${r.id}: ${formatAmount(BigInt(r.amount), p.currency)} ${r.state}${r.reason ? ` (${r.reason})` : ""}`);
  return 0;
}

export async function merchantRefund(cli: MerchantCli, o: { paymentId: string; amount: string; reason?: string | undefined; idempotencyKey?: string | undefined }): Promise<number> {
  const r = await call(cli, "POST", `/v1/payments/${encodeURIComponent(o.paymentId)}/refunds`, { amount: o.amount, ...(o.reason ? { reason: o.reason } : {}) }, o.idempotencyKey ?? randomUUID());
  console.log(`refund ${r.id}: ${r.amount} ${r.state}`);
  return 0;
}

export async function merchantAction(cli: MerchantCli, action: "ship" | "cancel", o: { paymentId: string }): Promise<number> {
  const p = await call(cli, "POST", `/v1/payments/${encodeURIComponent(o.paymentId)}/${action}`);
  console.log(line(p));
  return 0;
}
