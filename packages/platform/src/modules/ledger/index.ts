export { ledgerMigrations } from "./migrations.js";
export { LedgerService, historyPageMax, type AccountSpec, type BalanceMismatch, type HistoryEntry, type OwnerType, type StoredAccount } from "./service.js";
export { defaultBatcherLimits, FenceLostError, type BatcherLimits, type Fence } from "./batcher.js";
