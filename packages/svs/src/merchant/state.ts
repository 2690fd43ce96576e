/** P's persistent state (svs-protocol.md §4), as plain data. Holds secrets (s_P, K^j): store it encrypted. */
import type { Credential, PendingEnrolment } from "../credential.js";
import type { DepositItemStatus, PaymentRecord } from "../encoding/messages.js";

/** seenR, kept ≥ 2Δ; with the answer to the P1 that used R, so that a retransmitted P1 gets the same reply. */
export interface SeenR {
  readonly expiresAtMs: number;
  readonly requestHash: Uint8Array;
  readonly reply: Uint8Array | null;
}

/** session[sid] = {SN, K^j, j_last, last reply} (§4). */
export interface MerchantSession {
  readonly sid: Uint8Array;
  readonly sn: Uint8Array;
  /** K^{j_last + 1}: the key of the next payment (K^{j_last} is erased). Secret. */
  readonly key: Uint8Array;
  readonly jLast: number;
  /** H(last request) and its reply, for byte-identical retransmits. */
  readonly lastRequestHash: Uint8Array;
  readonly lastReply: Uint8Array;
}

export type MerchantRecordStatus = "UNDEPOSITED" | "IN_DEPOSIT" | DepositItemStatus;

export interface MerchantRecord {
  readonly record: PaymentRecord;
  readonly goodsInfo: Uint8Array;
  readonly status: MerchantRecordStatus;
  readonly depId: string | null;
}

/** What P knows of a token: τ and σ_N (for D1), spent[SN] and the records awaiting deposit. */
export interface MerchantToken {
  readonly sn: Uint8Array;
  readonly tau: Uint8Array;
  readonly signature: Uint8Array;
  readonly amount: bigint;
  readonly expMs: number;
  /** spent[SN]: P's cumulative total over all sessions. */
  readonly spent: bigint;
  readonly records: readonly MerchantRecord[];
}

export interface MerchantDeposit {
  readonly depId: Uint8Array;
  readonly d1: Uint8Array;
  /** Expand(prk, "SVS1/dep/result"). Secret. */
  readonly resultKey: Uint8Array;
  readonly createdAtMs: number;
  /** hex(SN) of the tokens in the batch. */
  readonly sns: readonly string[];
  /** Last D4 results by hex(SN); "PENDING" until N reports. */
  readonly results: Readonly<Record<string, { readonly status: DepositItemStatus; readonly amount: bigint }>>;
}

export interface MerchantState {
  readonly credential: Credential | null;
  readonly enrolment: PendingEnrolment | null;
  /** By hex(enc(R)). */
  readonly seenR: Readonly<Record<string, SeenR>>;
  /** By hex(sid). */
  readonly sessions: Readonly<Record<string, MerchantSession>>;
  /** By hex(SN). */
  readonly tokens: Readonly<Record<string, MerchantToken>>;
  /** By hex(dep_id). */
  readonly deposits: Readonly<Record<string, MerchantDeposit>>;
}

export function emptyMerchantState(): MerchantState {
  return { credential: null, enrolment: null, seenR: {}, sessions: {}, tokens: {}, deposits: {} };
}

/** The merchant's catalogue: price and goods for a GI, or null if P does not sell it. Must be a pure lookup. */
export type Catalogue = (goodsInfo: Uint8Array) => { readonly price: bigint; readonly goods: Uint8Array } | null;
