/**
 * Business codes of ledger transfers (TransferInput.code), one table for every module, so reports
 * (settlement, reconciliation, history) can tell movements apart. A code is never reused.
 */
export const ledgerCodes = {
  p2p: 1,
  topUp: 2,
  withdrawal: 3,
  /** Payer → merchant, the payment amount net of the fee. */
  paymentCapture: 10,
  /** Payer → platform revenue, the platform's fee on a payment. */
  paymentFee: 11,
  /** Merchant → payer, a (partial) refund of a captured payment. */
  refund: 12,
  /** Payer → merchant, pending: escrowed funds. */
  escrowHold: 13,
  /** Posts (all or part of) an escrow hold to the merchant. */
  escrowRelease: 14,
  /** Voids an escrow hold: the funds go back to the payer. */
  escrowRefund: 15,
  /** Bank-funded payment: bank clearing → payer's wallet, immediately spent by the payment. */
  bankFunding: 16,
  /** Merchant balance → bank clearing, paid out to the merchant's bank account. */
  settlementPayout: 20,
  /** User's wallet → e-cash escrow: the reservation made for a withdrawal (W1), its post and its void. */
  ecashWithdrawal: 30,
  /** E-cash escrow → merchant balance, a deposit the user confirmed (D3 ACCEPT). */
  ecashSettlement: 31,
  /** E-cash escrow → user's wallet, what is left of a token after its expiry and deposit grace. */
  ecashExpiryRefund: 32,
} as const;

export type LedgerCodeName = keyof typeof ledgerCodes;

const names = new Map<number, LedgerCodeName>(Object.entries(ledgerCodes).map(([name, code]) => [code, name as LedgerCodeName]));

/** The name of a code (reports), or "code_<n>" for one this table does not know. */
export function ledgerCodeName(code: number): string {
  return names.get(code) ?? `code_${code}`;
}
