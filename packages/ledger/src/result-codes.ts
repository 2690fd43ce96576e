/**
 * The outcome of one transfer in a batch. The order of this list is the order in which the rules
 * check a transfer: when several problems exist, the first one listed is reported. Codes are
 * stable and never reused.
 *
 * - final: the same request will always get this result, so a client must not retry it as is.
 * - transient: the result depends on ledger state (balances, account status, what exists yet),
 *   so the same request may succeed later.
 */
export const resultCodes = {
  ok: { final: true, description: "Applied." },
  linked_event_failed: { final: false, description: "Another transfer of the same linked chain failed, so none was applied." },
  linked_event_chain_open: { final: true, description: "The last transfer of the batch is marked linked: the chain has no end." },
  id_invalid: { final: true, description: "The id, or an account or pending id the transfer names, is not a canonical 128-bit UUID, or is zero." },
  code_invalid: { final: true, description: "The business code is not an integer in 1..65535." },
  user_data_too_long: { final: true, description: "The reference is longer than userDataCharsMax." },
  pending_id_must_be_empty: { final: true, description: "Only post_pending and void_pending transfers name a pending transfer." },
  pending_id_required: { final: true, description: "post_pending and void_pending must name the pending transfer." },
  pending_id_must_be_different: { final: true, description: "A transfer cannot post or void itself." },
  timeout_reserved_for_pending_transfer: { final: true, description: "Only pending transfers may have a timeout." },
  timeout_invalid: { final: true, description: "The timeout is not an integer in 0..pendingTimeoutMsMax milliseconds." },
  accounts_must_be_different: { final: true, description: "The debit and credit accounts are the same." },
  amount_must_be_positive: { final: true, description: "The amount is missing, zero or negative." },
  amount_exceeds_max: { final: true, description: "The amount is above 2^63-1 minor units." },
  exists_with_different_fields: { final: true, description: "A transfer with this id exists and differs from this one." },
  exists: { final: true, description: "This exact transfer was already applied; nothing changed now." },
  debit_account_not_found: { final: false, description: "The debit account does not exist." },
  credit_account_not_found: { final: false, description: "The credit account does not exist." },
  accounts_must_have_same_currency: { final: true, description: "The two accounts hold different currencies." },
  pending_transfer_not_found: { final: false, description: "The named pending transfer does not exist." },
  pending_transfer_not_pending: { final: true, description: "The named transfer is not a pending (two-phase) transfer." },
  pending_transfer_has_different_accounts: { final: true, description: "The accounts given differ from the pending transfer's." },
  pending_transfer_has_different_amount: { final: true, description: "A void must not name an amount other than the pending amount." },
  exceeds_pending_transfer_amount: { final: true, description: "The amount to post is above the pending amount." },
  pending_transfer_already_posted: { final: true, description: "The pending transfer was already posted." },
  pending_transfer_already_voided: { final: true, description: "The pending transfer was already voided." },
  pending_transfer_expired: { final: true, description: "The pending transfer reached its timeout and was released." },
  account_frozen: { final: false, description: "The debit or credit account is frozen." },
  insufficient_funds: { final: false, description: "The debit account's debits would exceed its credits." },
  exceeds_debits: { final: false, description: "The credit account's credits would exceed its debits." },
  overflow: { final: false, description: "A balance would exceed 2^63-1 minor units." },
} as const satisfies Record<string, { final: boolean; description: string }>;

export type ResultCode = keyof typeof resultCodes;

export function isFinal(code: ResultCode): boolean {
  return resultCodes[code].final;
}

/** True when the transfer is in the ledger after the batch (now or from before). */
export function isApplied(code: ResultCode): boolean {
  return code === "ok" || code === "exists";
}
