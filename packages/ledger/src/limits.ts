/** Hard limits of the ledger rules. Every quantity the ledger accepts has a named maximum. */

/** Largest value a balance field or amount may hold: PostgreSQL BIGINT (2^63 - 1). */
export const amountMax = (1n << 63n) - 1n;

/** Most transfers one batch may carry; the store and batcher stay below it. */
export const batchTransfersMax = 8_192;

/** Longest pending-transfer timeout: 90 days (escrow holds are the longest expected use). */
export const pendingTimeoutMsMax = 90 * 24 * 60 * 60 * 1000;

/** Longest opaque reference a transfer may carry. */
export const userDataCharsMax = 64;

/** Business codes (what kind of movement a transfer is) are 1..codeMax. */
export const codeMax = 65_535;
