/** Sizes and hard limits of SVS1-M (svs-protocol.md §2.0). Units are in the name, last. */

/** Protocol version byte that starts every SVS1-M message and the token body τ (§2.0). */
export const svsVersion = 0x01;

/** One LP field carries at most 2^16 - 1 bytes: its length prefix is I2OSP(len, 2) (§2.0). */
export const fieldBytesMax = 0xffff;
/** Largest whole message accepted by any parser: one full field (C_D) plus the D1 header. */
export const messageBytesMax = 66_560;

/** IDs are 1-255 bytes of UTF-8 (§2.0). */
export const idBytesMin = 1;
export const idBytesMax = 255;

export const serialNumberBytes = 16;
export const nonceBytes = 16;
export const sessionIdBytes = 16;
export const aeadNonceBytes = 12;
export const aeadTagBytes = 16;
export const aeadKeyBytes = 32;
export const hashBytes = 32;
export const macBytes = 32;
export const scalarBytes = 32;
/** SEC1 compressed point (§2.0: enc(P)). */
export const pointBytes = 33;
/** ECDSA P-256 signature r || s (IEEE P1363). */
export const signatureBytes = 64;

/** Goods information GI: opaque to the protocol, the merchant defines its content. */
export const goodsInfoBytesMax = 1024;
/** Electronic goods EG returned in P2 / Pj'. */
export const goodsBytesMax = 32_768;
/** One D1 names at most this many tokens, and at most depositRecordsMax records in all. */
export const depositTokensMax = 64;
export const depositRecordsMax = 512;
/** Payments per session: j is a uint32 on the wire; a session this long should be replaced by a new P1. */
export const sessionPaymentsMax = 1_000_000;

/** Freshness window Δ (§2.0, default 120 s). Replay caches keep entries for at least 2Δ. */
export const freshnessWindowMsDefault = 120_000;

/** Largest time value accepted: times are uint64 ms on the wire but JS numbers in the API. */
export const timeMsMax = Number.MAX_SAFE_INTEGER;
/** Largest amount: amounts are uint64 minor units (§2.0). */
export const amountMax = 0xffff_ffff_ffff_ffffn;
