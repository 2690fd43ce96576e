export { applyBatch, type BatchOutcome } from "./apply-batch.js";
export { InvariantError, invariant } from "./assert.js";
export { idFromBytes, isValidId, type Id } from "./ids.js";
export * as limits from "./limits.js";
export { isApplied, isFinal, resultCodes, type ResultCode } from "./result-codes.js";
export {
  AccountFlag, type Account, type PendingState, type Posting, type Snapshot, type Transfer,
  type TransferInput, type TransferKind,
} from "./types.js";
