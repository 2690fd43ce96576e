/**
 * Ledger business codes (TransferInput.code): what kind of movement a transfer is. One list for every
 * module, so reports (settlement breakdowns, history) name movements the same way. Codes are stable
 * and never reused.
 */
export const ledgerCodes = {
  /** wallet → wallet */
  p2p: 1,
  /** bank clearing → wallet */
  topUp: 2,
  /** wallet → bank clearing */
  withdrawal: 3,
  /** payer's funding (wallet or bank clearing) → merchant balance, gross */
  paymentCapture: 10,
  /** merchant balance → platform revenue */
  paymentFee: 11,
  /** merchant balance → payer's wallet */
  refund: 12,
  /** payer → escrow, as a pending transfer */
  escrowHold: 13,
  /** escrow → merchant balance */
  escrowRelease: 14,
  /** escrow → payer */
  escrowRefund: 15,
  /** merchant balance → bank clearing: a settlement batch paid to the merchant's bank account */
  settlementPayout: 20,
} as const;

export type LedgerCodeName = keyof typeof ledgerCodes;

const names = new Map<number, LedgerCodeName>(Object.entries(ledgerCodes).map(([name, code]) => [code, name as LedgerCodeName]));

/** The name of a code, or "code_<n>" for one this list does not know. */
export function ledgerCodeName(code: number): string {
  return names.get(code) ?? `code_${code}`;
}
