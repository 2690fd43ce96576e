import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { LedgerService } from "../modules/ledger/index.js";

/** Prometheus metrics of one platform process (served at /metrics). */
export function createMetrics(ledger: LedgerService) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "obol_" });
  const requests = new Counter({ name: "obol_http_requests_total", help: "HTTP requests by route and status", labelNames: ["method", "route", "status"], registers: [registry] });
  const duration = new Histogram({
    name: "obol_http_request_duration_seconds", help: "HTTP request duration", labelNames: ["method", "route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  const stats = ledger.batcher.stats;
  new Gauge({ name: "obol_ledger_batches_committed", help: "Ledger batches committed by this process", registers: [registry], collect() { this.set(stats.batches); } });
  new Gauge({ name: "obol_ledger_transfers_committed", help: "Transfers committed in ledger batches by this process", registers: [registry], collect() { this.set(stats.transfers); } });
  new Gauge({ name: "obol_ledger_batch_retries", help: "Ledger batches run again after a conflict", registers: [registry], collect() { this.set(stats.retries); } });
  return { registry, requests, duration };
}
