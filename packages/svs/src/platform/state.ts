/**
 * N's persistent state (svs-protocol.md §4), as plain data. Every map is keyed by a hex string: identities by
 * idKey(ID) (hex of the UTF-8), tokens by hex(SN), deposits by hex(dep_id), caches by "idKey:hex(nonce)".
 *
 * A database adapter does not need to hold all of it in memory: it loads the entries one message needs
 * (platform.stateKeysFor), passes that partial state to the handler, and writes back what changed
 * (stateChanges). An entry absent from the partial state is treated as absent.
 */
import type { PaymentRecord } from "../encoding/messages.js";
import type { Role } from "../types.js";

export interface RegistryEntry {
  readonly id: string;
  readonly role: Role;
  /** enc(V_X). */
  readonly v: Uint8Array;
  readonly notAfterMs: number;
  readonly status: "ACTIVE" | "REVOKED";
  /** The ledger account behind this identity (given by the adapter at registration). */
  readonly account: string;
  /** H(R1) and the R3 answer, so that a retried R1 gets the same R3 (t_X is not secret: s_X = k'_X + t_X). */
  readonly r1Hash: Uint8Array;
  readonly r3: Uint8Array;
}

export type TokenStatus = "ISSUED" | "PARTIAL" | "SETTLED" | "DISPUTED" | "EXPIRED";

/** token[SN] = {ID_U, M, payee, exp, K_UN, settled, settled_j, status} (§2.4 step 11) plus escrow bookkeeping. */
export interface PlatformToken {
  readonly sn: Uint8Array;
  readonly idU: string;
  readonly accountU: string;
  /** M. */
  readonly amount: bigint;
  readonly payee: string;
  readonly expMs: number;
  /** K_UN. Secret. */
  readonly kUN: Uint8Array;
  /** enc(τ) exactly as issued: a deposit must present these bytes (§2.7 N step 3). */
  readonly tau: Uint8Array;
  /** σ_N as issued: compared byte for byte too, so an altered σ_N is refused at no cost (property 9). */
  readonly signature: Uint8Array;
  /** Σ settled prices (cum of the last settled record). */
  readonly settled: bigint;
  /**
   * Number of records settled; the spec's settled_j is settledRecords − 1. Records are counted per token, not by
   * session j: j restarts at 0 in every session and skips rejected payments, so deposit continuity is checked
   * on the cum chain (first cum − price = settled).
   */
  readonly settledRecords: number;
  readonly status: TokenStatus;
  /** escrow[SN]: M − settled − refunded. */
  readonly escrow: bigint;
  /** Claimed by a deposit that awaits U's confirmation (at most one at a time). */
  readonly pendingDepId: string | null;
  readonly pendingAmount: bigint;
  /** Held in escrow for the dispute process after U refused. */
  readonly disputedAmount: bigint;
}

export type PlatformDepositItemStatus = "PENDING" | "SETTLED" | "DISPUTED" | "REJECTED";

export interface PlatformDepositItem {
  readonly sn: Uint8Array;
  readonly status: PlatformDepositItemStatus;
  /** Why N refused this SN (REJECTED only), for N's log. */
  readonly rejectReason: string | null;
  readonly records: readonly PaymentRecord[];
  /** cum_last − settled at the time of D1. */
  readonly total: bigint;
  readonly cumLast: bigint;
  /** The D2 sent to U (PENDING items), kept so that it can be delivered again. */
  readonly d2: Uint8Array | null;
  readonly decidedAtMs: number | null;
}

/** pending deposits: dep_id → items per SN; its presence is also the "used dep_id" set (§4). */
export interface PlatformDeposit {
  readonly depId: Uint8Array;
  readonly idP: string;
  readonly accountP: string;
  /** Expand(prk, "SVS1/dep/result"), the key of D4. Secret. */
  readonly resultKey: Uint8Array;
  readonly createdAtMs: number;
  readonly items: Readonly<Record<string, PlatformDepositItem>>;
}

export interface WithdrawalCacheEntry {
  readonly w1Hash: Uint8Array;
  readonly w2: Uint8Array;
  readonly expiresAtMs: number;
}

export interface PlatformState {
  readonly registry: Readonly<Record<string, RegistryEntry>>;
  /** Replay cache (ID, nonce) → expiry, kept ≥ 2Δ. */
  readonly replay: Readonly<Record<string, number>>;
  /** W2 response cache keyed by (ID_U, nonce1). */
  readonly withdrawals: Readonly<Record<string, WithdrawalCacheEntry>>;
  readonly tokens: Readonly<Record<string, PlatformToken>>;
  readonly deposits: Readonly<Record<string, PlatformDeposit>>;
}

export function emptyPlatformState(): PlatformState {
  return { registry: {}, replay: {}, withdrawals: {}, tokens: {}, deposits: {} };
}

/** Ledger moves the adapter performs in the same transaction that persists the new state. */
export type LedgerMove =
  /** Withdrawal: debit U's wallet account into the e-cash escrow account (§2.4 step 11). Idempotency key: SN. */
  | { readonly kind: "withdraw"; readonly sn: Uint8Array; readonly account: string; readonly amount: bigint }
  /** Deposit accepted by U: escrow → P (§2.7). Idempotency key: dep_id ‖ SN. */
  | { readonly kind: "settle"; readonly sn: Uint8Array; readonly depId: Uint8Array; readonly account: string; readonly amount: bigint }
  /** Token expiry: the rest of the escrow back to U (§2.7 step 5). Idempotency key: SN. */
  | { readonly kind: "refund"; readonly sn: Uint8Array; readonly account: string; readonly amount: bigint };
