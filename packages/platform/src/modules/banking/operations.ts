import { createHash } from "node:crypto";
import { idFromBytes, type Id } from "@obol/ledger";
import type { StatusReport } from "@obol/bank";

/**
 * The life of a bank operation (a debit or credit of a party's bank account), as pure rules.
 *
 *   pending ──ACSC──▶ applied ──own ledger leg──▶ completed          (top-up, withdrawal)
 *      │                 │  ╲
 *      │RJCT             │   ╲ reverse()/ledger refused
 *      ▼                 ▼    ▼
 *   declined ◀─ORJT── reversing ──RVSD/CNCL──▶ reversed
 *                        │
 *                        └──RJCT (the original stands)──▶ applied
 *   pending ──resend window over, or reverse()──▶ reversing
 *
 * - pending: recorded; the bank may or may not have it. Resent with the same MsgId (the bank is
 *   idempotent on it) after a status request (pacs.028) says NTFD.
 * - applied: the bank booked it (bank_reference). For operations of other modules (payments,
 *   settlements) this is where the banking module stops: the caller posts its own ledger transfer.
 * - completed: applied, and the banking module's own ledger leg (top-up credit to the wallet,
 *   withdrawal hold posted) is committed.
 * - declined: the bank rejected it; nothing moved (a withdrawal's hold is released first).
 * - reversing: a reversal (pacs.007, its own derived MsgId) is under way. Once the bank acknowledges
 *   it the original is final either way: reversed, fenced, or it had been rejected.
 * - reversed: the money went back (RVSD) or the original was fenced before it arrived (CNCL).
 *
 * completed, declined and reversed are final. The database refuses any other transition (trigger
 * in migrations.ts); `test/banking/state-machine.test.ts` walks both and checks they agree.
 */
export type OperationState = "pending" | "applied" | "completed" | "declined" | "reversing" | "reversed";
export type OperationKind = "debit" | "credit";

export const operationStates: readonly OperationState[] = ["pending", "applied", "completed", "declined", "reversing", "reversed"];
export const finalStates: readonly OperationState[] = ["completed", "declined", "reversed"];

export const transitions: ReadonlyArray<readonly [OperationState, OperationState]> = [
  ["pending", "applied"], ["pending", "declined"], ["pending", "reversing"],
  ["applied", "completed"], ["applied", "reversing"],
  ["reversing", "reversed"], ["reversing", "declined"], ["reversing", "applied"],
];

export function canTransition(from: OperationState, to: OperationState): boolean {
  return transitions.some(([a, b]) => a === from && b === to);
}

/** What a status report about the original means for a pending operation. */
export type OriginalOutcome =
  | { readonly to: "applied"; readonly bankReference: string }
  | { readonly to: "declined"; readonly reason: string }
  | { readonly resend: true };

export function interpretOriginal(report: StatusReport): OriginalOutcome {
  switch (report.status) {
    case "ACSC": return { to: "applied", bankReference: report.bankReference! };
    case "RJCT": return { to: "declined", reason: report.reason! };
    case "NTFD": return { resend: true };
  }
}

/** What the bank's answer to a reversal means for a reversing operation. */
export type ReversalOutcome =
  | { readonly to: "reversed"; readonly result: "RVSD" | "CNCL"; readonly reversalReference: string }
  | { readonly to: "declined"; readonly reason: string }
  | { readonly to: "applied"; readonly reason: string };

export function interpretReversal(report: StatusReport): ReversalOutcome | undefined {
  if (report.status === "RJCT") return { to: "applied", reason: `reversal refused: ${report.reason}` };
  if (report.status !== "ACSC" || report.reversal === undefined) return undefined;
  if (report.reversal === "ORJT") return { to: "declined", reason: "ORJT" };
  return { to: "reversed", result: report.reversal, reversalReference: report.bankReference! };
}

/** Delay before the next attempt at an unresolved operation: doubling from `firstMs`, capped, with ±20 % jitter. */
export function retryDelayMs(attempts: number, firstMs: number, maxMs: number, random: () => number): number {
  const base = Math.min(maxMs, firstMs * 2 ** Math.min(Math.max(0, attempts - 1), 20));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Bank-side ids of an operation, derived from its id: every resend is the same instruction. ISO Max35Text. */
export function bankIdsOf(operationId: Id, kind: OperationKind): { msgId: string; endToEndId: string; reversalMsgId: string } {
  const hex = operationId.replaceAll("-", "").toUpperCase();
  return { msgId: `${kind === "debit" ? "D" : "C"}${hex}`, endToEndId: `E${hex}`, reversalMsgId: `R${hex}` };
}

export function bankLinkIdOf(linkId: Id): string {
  return `L${linkId.replaceAll("-", "").toUpperCase()}`;
}

/** Ledger transfers the banking module itself posts for an operation, ids derived from it (RFC 9562 §5.8, v8). */
export type LedgerLeg = "wallet" | "hold" | "post" | "void";

export function ledgerIdOf(operationId: Id, leg: LedgerLeg): Id {
  const bytes = createHash("sha256").update(`obol/banking/ledger/v1\n${operationId}\n${leg}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return idFromBytes(bytes);
}

/**
 * A ledger transfer that moves the bank clearing account for a bank booking carries this userData,
 * so reconciliation can match it to the bank statement entry with the same AcctSvcrRef.
 */
export function bankUserData(bankReference: string): string {
  return `bank:${bankReference}`;
}

export function bankReferenceOf(userData: string | null): string | undefined {
  return userData !== null && userData.startsWith("bank:") ? userData.slice(5) : undefined;
}
