import { ledgerCodeName } from "../ledger-codes.js";

export type BatchState = "empty" | "paying" | "paid" | "failed";

/** The postings of one business code on the merchant balance within a batch. */
export interface BreakdownLine {
  code: number;
  name: string;
  count: number;
  credits: bigint;
  debits: bigint;
}

export interface SettlementBatch {
  id: string;
  merchantId: string;
  currency: string;
  periodStart: Date;
  periodEnd: Date;
  fromSeq: bigint;
  toSeq: bigint;
  /** Posted balance of the merchant balance at the previous batch's cut, and at this one's. */
  openingBalance: bigint;
  closingBalance: bigint;
  /** Pending debits (e.g. refunds on hold) at the cut: not paid out. */
  held: bigint;
  /** What this batch pays: closing − held (never below zero). */
  amount: bigint;
  breakdown: BreakdownLine[];
  state: BatchState;
  operationId: string | null;
  bankReference: string | null;
  reason: string | null;
  createdAt: Date;
  settledAt: Date | null;
}

/** What a batch pays, and the breakdown by ledger code, from the balance at the cut (pure). */
export function batchFigures(input: { opening: bigint; posted: bigint; debitsPending: bigint; lines: Array<{ code: number; count: number; credits: bigint; debits: bigint }> }): {
  breakdown: BreakdownLine[]; amount: bigint;
} {
  const breakdown = input.lines.map((l) => ({ ...l, name: ledgerCodeName(l.code) }));
  const moved = breakdown.reduce((sum, l) => sum + l.credits - l.debits, 0n);
  if (input.opening + moved !== input.posted) throw new Error(`settlement: opening ${input.opening} + movements ${moved} is not the balance ${input.posted}`);
  const amount = input.posted - input.debitsPending;
  return { breakdown, amount: amount > 0n ? amount : 0n };
}

export function reportJson(batch: SettlementBatch, merchantName: string): Record<string, unknown> {
  return {
    batchId: batch.id, merchantId: batch.merchantId, merchantName, currency: batch.currency,
    period: { start: batch.periodStart.toISOString(), end: batch.periodEnd.toISOString() },
    postings: { afterSeq: batch.fromSeq.toString(), uptoSeq: batch.toSeq.toString() },
    openingBalance: batch.openingBalance.toString(),
    breakdown: batch.breakdown.map((l) => ({ code: l.code, name: l.name, count: l.count, credits: l.credits.toString(), debits: l.debits.toString(), net: (l.credits - l.debits).toString() })),
    closingBalance: batch.closingBalance.toString(), held: batch.held.toString(), payout: batch.amount.toString(),
    state: batch.state, bankReference: batch.bankReference, reason: batch.reason,
    createdAt: batch.createdAt.toISOString(), settledAt: batch.settledAt?.toISOString() ?? null,
  };
}

const csvColumns = ["batch_id", "merchant_id", "currency", "period_start", "period_end", "line", "code", "name", "count", "credits", "debits", "amount", "state", "bank_reference"];

/**
 * The same report as CSV (RFC 4180), one flat table: an `opening` line, one `movement` line per ledger
 * code, then `closing`, `held` and `payout`. Amounts are minor units.
 */
export function reportCsv(batch: SettlementBatch): string {
  const base = [batch.id, batch.merchantId, batch.currency, batch.periodStart.toISOString(), batch.periodEnd.toISOString()];
  const row = (line: string, code: string, name: string, count: string, credits: string, debits: string, amount: bigint) =>
    [...base, line, code, name, count, credits, debits, amount.toString(), batch.state, batch.bankReference ?? ""];
  const rows = [
    csvColumns,
    row("opening", "", "", "", "", "", batch.openingBalance),
    ...batch.breakdown.map((l) => row("movement", String(l.code), l.name, String(l.count), l.credits.toString(), l.debits.toString(), l.credits - l.debits)),
    row("closing", "", "", "", "", "", batch.closingBalance),
    row("held", "", "", "", "", "", batch.held),
    row("payout", "", "", "", "", "", batch.amount),
  ];
  return rows.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
