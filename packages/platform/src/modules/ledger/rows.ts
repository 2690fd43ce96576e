import type { Account, PendingState, Transfer, TransferKind } from "@obol/ledger";

/** Column names as stored; values as the drivers return them (int8 as bigint, uuid as text). */
export interface AccountRow {
  id: string; currency: string; kind: string; owner_type: string; owner_id: string | null; flags: number; frozen: boolean;
  debits_pending: bigint; debits_posted: bigint; credits_pending: bigint; credits_posted: bigint;
}

export interface TransferRow {
  id: string; kind: string; debit_account_id: string; credit_account_id: string; amount: bigint; currency: string;
  pending_id: string | null; timeout_ms: bigint; expires_at_ms: bigint | null; code: number; user_data: string | null;
  created_at_ms: bigint; pending_state: string | null;
}

export function accountFromRow(row: AccountRow): Account {
  return {
    id: row.id, currency: row.currency, flags: row.flags, frozen: row.frozen,
    debitsPending: row.debits_pending, debitsPosted: row.debits_posted,
    creditsPending: row.credits_pending, creditsPosted: row.credits_posted,
  };
}

export function transferFromRow(row: TransferRow): Transfer {
  return {
    id: row.id, kind: row.kind as TransferKind, debitAccountId: row.debit_account_id, creditAccountId: row.credit_account_id,
    amount: row.amount, currency: row.currency, pendingId: row.pending_id, timeoutMs: Number(row.timeout_ms),
    expiresAt: row.expires_at_ms === null ? null : Number(row.expires_at_ms), code: row.code, userData: row.user_data,
    createdAt: Number(row.created_at_ms), pendingState: row.pending_state as PendingState | null,
  };
}
