import type { Id } from "./ids.js";

/** Account flags are fixed when the account is created (bit mask, stored as an integer). */
export const AccountFlag = {
  /** The account may never owe: debits (posted + pending) stay <= posted credits. User wallets. */
  debitsMustNotExceedCredits: 1,
  /** The mirror rule, for accounts that may only ever hold a debit balance. */
  creditsMustNotExceedDebits: 2,
} as const;

/**
 * An account's balance is four monotonic counters, as in TigerBeetle: what was posted and what is
 * reserved by pending transfers, on each side. A posted debit moves money out of the account.
 */
export interface Account {
  readonly id: Id;
  /** ISO 4217 alphabetic code. Both sides of a transfer must hold the same currency. */
  readonly currency: string;
  readonly flags: number;
  readonly frozen: boolean;
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
}

/**
 * - posted: moves money at once (single phase).
 * - pending: reserves the amount on both accounts until posted, voided or timed out.
 * - post_pending: posts all or part of a pending transfer; the rest is released.
 * - void_pending: releases a pending transfer.
 */
export type TransferKind = "posted" | "pending" | "post_pending" | "void_pending";

export type PendingState = "pending" | "posted" | "voided" | "expired";

/** What a client asks for. Optional fields of post/void default to the pending transfer's. */
export interface TransferInput {
  readonly id: Id;
  readonly kind: TransferKind;
  readonly debitAccountId?: Id | undefined;
  readonly creditAccountId?: Id | undefined;
  /** Minor units. For post_pending, absent means the whole pending amount. */
  readonly amount?: bigint | undefined;
  readonly pendingId?: Id | undefined;
  /** Pending transfers only: milliseconds until the reservation is released; 0 means none. */
  readonly timeoutMs?: number | undefined;
  /** The transfer continues into the next one of the batch: all of the chain applies, or none. */
  readonly linked?: boolean | undefined;
  /** What kind of business movement this is (p2p, top-up, fee…), 1..65535. */
  readonly code: number;
  /** An opaque reference for the caller (e.g. a payment id), at most userDataCharsMax chars. */
  readonly userData?: string | undefined;
}

/** A transfer as stored. Every field is resolved; a stored transfer never changes except the
 * state of a pending transfer. */
export interface Transfer {
  readonly id: Id;
  readonly kind: TransferKind;
  readonly debitAccountId: Id;
  readonly creditAccountId: Id;
  readonly amount: bigint;
  readonly currency: string;
  readonly pendingId: Id | null;
  readonly timeoutMs: number;
  /** Epoch milliseconds after which a pending transfer is released; null when it has none. */
  readonly expiresAt: number | null;
  readonly code: number;
  readonly userData: string | null;
  readonly createdAt: number;
  /** Only for kind "pending". */
  readonly pendingState: PendingState | null;
}

/** One side of a journal entry. Debits are negative, credits positive; an entry sums to zero. */
export interface Posting {
  readonly transferId: Id;
  readonly accountId: Id;
  readonly currency: string;
  readonly amount: bigint;
}

/** What the rules read. It must hold every account the batch names and every transfer whose id
 * the batch uses (as its own id or as pendingId) that exists. */
export interface Snapshot {
  readonly accounts: ReadonlyMap<Id, Account>;
  readonly transfers: ReadonlyMap<Id, Transfer>;
}
