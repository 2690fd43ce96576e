/**
 * Reconciliation of the platform's ledger against the bank's statement (pure).
 *
 * Both sides are lists of movements of the money the platform holds at the bank, seen from the bank:
 * positive = money came into the settlement account (CRDT), negative = it left (DBIT).
 * - ledger: every posting on the bank clearing account; a clearing posting of −x is a bank CRDT of x.
 *   Its bank reference comes from the transfer's userData (`bank:<AcctSvcrRef>`).
 * - bank: every entry of the camt.053 statement, by its AcctSvcrRef.
 * - offsetting: pairs of bank references that cancel out on purpose with no ledger movement at all
 *   (an operation the bank booked and then reversed before the platform ever posted it).
 *
 * Every reference must appear exactly once on each side with the same signed amount; anything else
 * is a mismatch, reported with both sides' lines.
 */
export interface LedgerLine {
  readonly reference: string | undefined;
  readonly amount: bigint;
  readonly transferId: string;
  readonly code: number;
}

export interface BankLine {
  readonly reference: string;
  readonly amount: bigint;
  readonly entryRef: bigint;
  readonly msgId?: string | undefined;
}

export type MismatchKind = "missing_at_bank" | "missing_in_ledger" | "amount_differs" | "duplicate_in_ledger" | "duplicate_at_bank";

export interface Mismatch {
  readonly kind: MismatchKind;
  readonly reference: string | undefined;
  readonly ledger: readonly LedgerLine[];
  readonly bank: readonly BankLine[];
}

export interface Reconciliation {
  readonly matched: number;
  /** Bank entries matched as offsetting pairs (booked and reversed with no ledger movement). */
  readonly offsetting: number;
  readonly mismatches: readonly Mismatch[];
}

export function reconcile(ledger: readonly LedgerLine[], bank: readonly BankLine[], offsettingPairs: ReadonlyArray<readonly [string, string]>): Reconciliation {
  const mismatches: Mismatch[] = [];
  const byRef = <T extends { reference: string | undefined }>(lines: readonly T[]) => {
    const map = new Map<string, T[]>();
    for (const line of lines) {
      if (line.reference === undefined) continue;
      map.set(line.reference, [...(map.get(line.reference) ?? []), line]);
    }
    return map;
  };
  for (const line of ledger) if (line.reference === undefined) mismatches.push({ kind: "missing_at_bank", reference: undefined, ledger: [line], bank: [] });
  const ledgerByRef = byRef(ledger);
  const bankByRef = byRef(bank);
  const partner = new Map<string, string>();
  for (const [a, b] of offsettingPairs) { partner.set(a, b); partner.set(b, a); }

  let matched = 0;
  let offsetting = 0;
  const references = [...new Set([...ledgerByRef.keys(), ...bankByRef.keys()])].sort();
  for (const reference of references) {
    const l = ledgerByRef.get(reference) ?? [];
    const b = bankByRef.get(reference) ?? [];
    if (l.length > 1) mismatches.push({ kind: "duplicate_in_ledger", reference, ledger: l, bank: b });
    if (b.length > 1) mismatches.push({ kind: "duplicate_at_bank", reference, ledger: l, bank: b });
    if (l.length > 1 || b.length > 1) continue;
    if (l.length === 1 && b.length === 1) {
      if (l[0]!.amount === b[0]!.amount) matched += 1;
      else mismatches.push({ kind: "amount_differs", reference, ledger: l, bank: b });
    } else if (l.length === 1) {
      mismatches.push({ kind: "missing_at_bank", reference, ledger: l, bank: [] });
    } else {
      const other = partner.get(reference);
      const otherBank = other === undefined ? [] : (bankByRef.get(other) ?? []);
      const cancels = other !== undefined && !ledgerByRef.has(other) && otherBank.length === 1 && otherBank[0]!.amount === -b[0]!.amount;
      if (cancels) offsetting += 1;
      else mismatches.push({ kind: "missing_in_ledger", reference, ledger: [], bank: b });
    }
  }
  return { matched, offsetting, mismatches };
}
