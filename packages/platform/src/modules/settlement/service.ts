import { createHash, randomUUID } from "node:crypto";
import { idFromBytes, type Id } from "@obol/ledger";
import { sql, type Kysely } from "kysely";
import type { BankingService } from "../banking/service.js";
import type { BankOperation } from "../banking/store.js";
import { resultOf } from "../banking/service.js";
import type { LedgerService } from "../ledger/index.js";
import { merchantBalanceKind, type Merchant, type PartiesService } from "../parties/service.js";
import { batchFigures, reportCsv, reportJson, type BatchState, type BreakdownLine, type SettlementBatch } from "./report.js";
import { lastEndedPeriod, type SettlementSettings } from "./settings.js";
import { OutageBackoff } from "../../db/unavailable.js";

export const settlementPurpose = "settlement";
const merchantsPageMax = 100;
const schedulerTickMsMax = 60_000;

interface BatchRow {
  id: string; merchant_id: string; currency: string; period_start: Date; period_end: Date; account_id: string; from_seq: bigint; to_seq: bigint;
  opening_balance: bigint; closing_balance: bigint; held: bigint; amount: bigint; breakdown: string; state: BatchState; operation_id: string | null;
  bank_reference: string | null; reason: string | null; created_at: Date; settled_at: Date | null;
}

/**
 * Settlement: once per period (OBOL_SETTLEMENT_INTERVAL), each approved merchant with a linked bank
 * account is paid its merchant balance (captures minus refunds minus fees, as posted) through the
 * bank connector. One batch per (merchant, currency, period), created once; its payout is a banking
 * operation whose id is derived from the batch, so re-running a period, or a crash halfway, pays at
 * most once. Each batch keeps a report: the postings since the previous batch, totalled by ledger code.
 */
export class SettlementService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private closed = false;

  constructor(private readonly d: {
    db: Kysely<any>; ledger: LedgerService; parties: PartiesService; banking: BankingService; settings: SettlementSettings;
    currencies: readonly string[]; clock: () => number; onError: (error: unknown) => void;
  }) {
    d.banking.onOutcome(settlementPurpose, (op) => this.onOperation(op));
  }

  /** Settles the last ended period for every merchant (creating each batch once) and resumes batches still paying. */
  async runDue(): Promise<SettlementBatch[]> {
    const period = lastEndedPeriod(this.d.clock(), this.d.settings.intervalMs);
    const touched: SettlementBatch[] = [];
    for (const paying of await this.batchesInState("paying")) touched.push(await this.pay(paying));
    if (!this.d.banking.enabled) return touched;
    for (let after: string | undefined; ;) {
      const merchants = await this.d.parties.listMerchants({ status: "approved", limit: merchantsPageMax, ...(after === undefined ? {} : { after }) });
      for (const merchant of merchants) {
        for (const currency of this.d.currencies) {
          const batch = await this.settle(merchant, currency, period);
          if (batch !== undefined && !touched.some((b) => b.id === batch.id)) touched.push(batch);
        }
      }
      if (merchants.length < merchantsPageMax) break;
      after = merchants.at(-1)!.id;
    }
    return touched;
  }

  /** The batch of one merchant, currency and period: created at the first call, paid (or resumed) at every call. */
  async settle(merchant: Merchant, currency: string, period: { start: number; end: number }): Promise<SettlementBatch | undefined> {
    const existing = await this.batchOf(merchant.id, currency, new Date(period.end));
    if (existing !== undefined) return existing.state === "paying" ? this.pay(existing) : existing;
    if ((await this.d.banking.merchantLinks(merchant.id)).every((l) => l.status !== "active" || l.currency !== currency)) return undefined;
    const account = (await this.d.ledger.accountsOf("merchant", merchant.id)).find((a) => a.kind === merchantBalanceKind && a.currency === currency);
    if (account === undefined) return undefined;
    const previous = (await sql<BatchRow>`
      SELECT * FROM settlement_batches WHERE merchant_id = ${merchant.id}::uuid AND currency = ${currency} AND period_end < ${new Date(period.end)}
      ORDER BY period_end DESC LIMIT 1`.execute(this.d.db)).rows[0];
    const fromSeq = previous?.to_seq ?? 0n;
    const opening = previous?.closing_balance ?? 0n;
    const cut = await this.d.ledger.cut(account.id);
    const lines = await this.d.ledger.postingsByCode(account.id, fromSeq, cut.lastSeq);
    const figures = batchFigures({ opening, posted: cut.posted, debitsPending: cut.debitsPending, lines });
    const id = randomUUID();
    await sql`
      INSERT INTO settlement_batches (id, merchant_id, currency, period_start, period_end, account_id, from_seq, to_seq, opening_balance, closing_balance, held, amount,
        breakdown, state, operation_id)
      VALUES (${id}::uuid, ${merchant.id}::uuid, ${currency}, ${new Date(period.start)}, ${new Date(period.end)}, ${account.id}::uuid, ${fromSeq.toString()}::bigint,
        ${cut.lastSeq.toString()}::bigint, ${opening.toString()}::bigint, ${cut.posted.toString()}::bigint, ${cut.debitsPending.toString()}::bigint,
        ${figures.amount.toString()}::bigint, ${serializeBreakdown(figures.breakdown)}, ${figures.amount > 0n ? "paying" : "empty"}, ${figures.amount > 0n ? payoutIdOf(id) : null}::uuid)
      ON CONFLICT (merchant_id, currency, period_end) DO NOTHING`.execute(this.d.db);
    const batch = (await this.batchOf(merchant.id, currency, new Date(period.end)))!;
    return batch.state === "paying" ? this.pay(batch) : batch;
  }

  private async pay(batch: SettlementBatch): Promise<SettlementBatch> {
    const result = await this.d.banking.payMerchant({
      operationId: batch.operationId!, merchantId: batch.merchantId, currency: batch.currency, amount: batch.amount, purpose: settlementPurpose,
      remittance: `Obol settlement ${batch.periodEnd.toISOString().slice(0, 10)} ${batch.id.slice(0, 8)}`,
    });
    return (await this.record(batch.id, result)) ?? batch;
  }

  private async onOperation(op: BankOperation): Promise<void> {
    const row = (await sql<{ id: string }>`SELECT id FROM settlement_batches WHERE operation_id = ${op.id}::uuid`.execute(this.d.db)).rows[0];
    if (row !== undefined) await this.record(row.id, resultOf(op));
  }

  /** Moves a paying batch to paid or failed when its payout is final. */
  private async record(batchId: string, result: ReturnType<typeof resultOf>): Promise<SettlementBatch | undefined> {
    if (result.status === "pending") return this.batch(batchId);
    const state: BatchState = result.status === "applied" ? "paid" : "failed";
    await sql`
      UPDATE settlement_batches SET state = ${state}, settled_at = ${new Date(this.d.clock())},
        bank_reference = ${result.status === "applied" ? result.bankReference : null}, reason = ${result.status === "applied" ? null : result.reason}
      WHERE id = ${batchId}::uuid AND state = 'paying'`.execute(this.d.db);
    return this.batch(batchId);
  }

  async batch(id: string): Promise<SettlementBatch | undefined> {
    const row = (await sql<BatchRow>`SELECT * FROM settlement_batches WHERE id = ${id}::uuid`.execute(this.d.db)).rows[0];
    return row === undefined ? undefined : batchOf(row);
  }

  async batches(filter: { merchantId?: string; limit: number }): Promise<SettlementBatch[]> {
    const rows = (await sql<BatchRow>`
      SELECT * FROM settlement_batches WHERE (${filter.merchantId ?? null}::uuid IS NULL OR merchant_id = ${filter.merchantId ?? null}::uuid)
      ORDER BY period_end DESC, created_at DESC LIMIT ${filter.limit}`.execute(this.d.db)).rows;
    return rows.map(batchOf);
  }

  /** A batch's report, as JSON or CSV. */
  async report(id: string, format: "json" | "csv"): Promise<{ contentType: string; body: string } | undefined> {
    const batch = await this.batch(id);
    if (batch === undefined) return undefined;
    if (format === "csv") return { contentType: "text/csv; charset=utf-8", body: reportCsv(batch) };
    const merchant = await this.d.parties.merchantById(batch.merchantId);
    return { contentType: "application/json; charset=utf-8", body: JSON.stringify(reportJson(batch, merchant?.legalName ?? "")) };
  }

  private async batchOf(merchantId: string, currency: string, periodEnd: Date): Promise<SettlementBatch | undefined> {
    const row = (await sql<BatchRow>`
      SELECT * FROM settlement_batches WHERE merchant_id = ${merchantId}::uuid AND currency = ${currency} AND period_end = ${periodEnd}`.execute(this.d.db)).rows[0];
    return row === undefined ? undefined : batchOf(row);
  }

  private async batchesInState(state: BatchState): Promise<SettlementBatch[]> {
    return (await sql<BatchRow>`SELECT * FROM settlement_batches WHERE state = ${state} ORDER BY created_at LIMIT 100`.execute(this.d.db)).rows.map(batchOf);
  }

  /** Runs runDue() every period (checked at least every minute): a missed period is settled at the next tick. */
  start(): void {
    if (!this.d.banking.enabled) return;
    const intervalMs = Math.min(this.d.settings.intervalMs, schedulerTickMsMax);
    const backoff = new OutageBackoff();
    const tick = () => {
      let delayMs = intervalMs;
      this.running = this.runDue().then(() => { delayMs = backoff.next(intervalMs); }, (error) => { delayMs = backoff.next(intervalMs, error); this.d.onError(error); }).finally(() => {
        this.running = undefined;
        if (!this.closed) this.timer = setTimeout(tick, delayMs).unref();
      });
    };
    this.timer = setTimeout(tick, Math.min(this.d.settings.intervalMs, schedulerTickMsMax)).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }
}

/** The payout's banking operation id, derived from the batch: paying a batch again is the same operation. */
export function payoutIdOf(batchId: string): Id {
  const bytes = createHash("sha256").update(`obol/settlement/payout/v1\n${batchId}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return idFromBytes(bytes);
}

function serializeBreakdown(lines: BreakdownLine[]): string {
  return JSON.stringify(lines.map((l) => ({ ...l, credits: l.credits.toString(), debits: l.debits.toString() })));
}

function batchOf(r: BatchRow): SettlementBatch {
  const breakdown = (JSON.parse(r.breakdown) as Array<{ code: number; name: string; count: number; credits: string; debits: string }>)
    .map((l) => ({ ...l, credits: BigInt(l.credits), debits: BigInt(l.debits) }));
  return {
    id: r.id, merchantId: r.merchant_id, currency: r.currency, periodStart: new Date(r.period_start), periodEnd: new Date(r.period_end),
    fromSeq: BigInt(r.from_seq), toSeq: BigInt(r.to_seq), openingBalance: BigInt(r.opening_balance), closingBalance: BigInt(r.closing_balance),
    held: BigInt(r.held), amount: BigInt(r.amount), breakdown, state: r.state, operationId: r.operation_id, bankReference: r.bank_reference,
    reason: r.reason, createdAt: new Date(r.created_at), settledAt: r.settled_at === null ? null : new Date(r.settled_at),
  };
}
