import { encodePoint, encodeScalar, mulBase, randomScalar } from "../crypto/group.js";
import { freshnessWindowMsDefault } from "../limits.js";
import type { PublicParams, Rng } from "../types.js";

/** N's secrets (§2.1 I2-I3): x_N for the DH/implicit keys and a separate x_N^sig for tokens. Keep them in an HSM/keystore. */
export interface PlatformKeys {
  /** x_N, 32 bytes. */
  readonly x: Uint8Array;
  /** x_N^sig, 32 bytes. */
  readonly xSig: Uint8Array;
}

export interface PlatformPolicy {
  /** Largest M a single withdrawal may ask for (§2.4 N step 3). */
  readonly withdrawAmountMax: bigint;
  /** Token lifetime: exp = now + tokenTtlMs (§2.4 N step 5, e.g. 30 days). */
  readonly tokenTtlMs: number;
  /** Deposits are accepted until exp + depositGraceMs; then the rest of the escrow is refunded (§2.7 step 5). */
  readonly depositGraceMs: number;
}

export interface PlatformConfig {
  readonly params: PublicParams;
  readonly keys: PlatformKeys;
  readonly policy: PlatformPolicy;
}

export const defaultPlatformPolicy: PlatformPolicy = Object.freeze({
  withdrawAmountMax: 1_000_000n,
  tokenTtlMs: 30 * 24 * 3600 * 1000,
  depositGraceMs: 7 * 24 * 3600 * 1000,
});

/** §2.1 I2-I4: draws x_N and x_N^sig and returns the parameters to publish. 2 T_mul. */
export function generatePlatformKeys(idN: string, rng: Rng, freshnessWindowMs = freshnessWindowMsDefault): { params: PublicParams; keys: PlatformKeys } {
  const x = randomScalar(rng);
  const xSig = randomScalar(rng);
  return {
    keys: { x: encodeScalar(x), xSig: encodeScalar(xSig) },
    params: { idN, qN: encodePoint(mulBase(x)), qNSig: encodePoint(mulBase(xSig)), freshnessWindowMs },
  };
}
