/**
 * Operation counters for the cost model of svs-protocol.md §5.2: every scalar multiplication, hash, MAC, KDF,
 * signature and AEAD call of the package goes through one counted wrapper (group.ts, crypto/primitives.ts).
 * `countOps(fn)` runs fn synchronously and returns what it performed. Nested calls all see the operations.
 */
export interface OpCounts {
  /** T_mul: scalar multiplications k·P and k·G. */
  mul: number;
  /** T_h: plain SHA-256 calls (H, Hn, sid). */
  hash: number;
  /** HMAC-SHA256 calls outside HKDF (tags, ratchet, auth_j). */
  hmac: number;
  /** HKDF-Extract calls. */
  extract: number;
  /** HKDF-Expand calls. */
  expand: number;
  /** T_sig: ECDSA signatures. */
  sign: number;
  /** T_ver: ECDSA verifications. */
  verify: number;
  /** T_sym: AEAD encryptions or decryptions. */
  sym: number;
}

export type OpName = keyof OpCounts;

export function zeroOpCounts(): OpCounts {
  return { mul: 0, hash: 0, hmac: 0, extract: 0, expand: 0, sign: 0, verify: 0, sym: 0 };
}

const activeCounters: OpCounts[] = [];

export function tally(op: OpName): void {
  for (const counts of activeCounters) counts[op] += 1;
}

export function countOps<T>(fn: () => T): { result: T; ops: OpCounts } {
  const ops = zeroOpCounts();
  activeCounters.push(ops);
  try {
    return { result: fn(), ops };
  } finally {
    activeCounters.splice(activeCounters.lastIndexOf(ops), 1);
  }
}
