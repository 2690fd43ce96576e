import { isApplied, type ResultCode, type TransferInput } from "@obol/ledger";
import { sql, type Kysely, type Transaction } from "kysely";
import type { LedgerService } from "../ledger/index.js";
import { ledgerCodes } from "../ledger-codes.js";

/**
 * The outbox between N's state and the ledger. A state change and the ledger move it implies are written in
 * one transaction here; the ledger then applies the move under a transfer id derived from the request, so
 * applying it again after a crash (by the retried request or by the sweeper) finds it done ("exists") and
 * never moves money twice.
 *
 * - withdraw: posts the pending reservation (user's wallet → escrow) made before the token was issued. The
 *   ledger decides between post and void (or timeout) of one reservation, so a token is funded or voided,
 *   never both. A W2 is sent only once the post is applied.
 * - settle: escrow → merchant (a confirmed deposit). refund: escrow → user (token expiry).
 */
export type MoveKind = "withdraw" | "settle" | "refund";

export interface Move {
  transferId: string;
  kind: MoveKind;
  sn: string;
  depId: string | null;
  /** withdraw: the reservation to post. */
  pendingId: string | null;
  debitAccountId: string | null;
  creditAccountId: string | null;
  amount: bigint | null;
}

export type MoveResult = "applied" | "failed" | "pending";

/** Results that may change with ledger state (a frozen account): the move stays pending and is tried again. */
const retryLater: ReadonlySet<ResultCode> = new Set(["account_frozen", "debit_account_not_found", "credit_account_not_found", "overflow", "linked_event_failed"]);
/** The reservation behind a withdrawal is gone: the token is never funded. */
const reservationGone: ReadonlySet<ResultCode> = new Set(["pending_transfer_expired", "pending_transfer_already_voided"]);

export class LedgerMoves {
  constructor(private readonly ledger: LedgerService, private readonly clock: () => number) {}

  async record(trx: Transaction<any>, move: Move): Promise<void> {
    await sql`
      INSERT INTO ecash_ledger_moves (transfer_id, kind, sn, dep_id, pending_id, debit_account_id, credit_account_id, amount, created_at_ms)
      VALUES (${move.transferId}::uuid, ${move.kind}, ${move.sn}, ${move.depId}, ${move.pendingId}::uuid, ${move.debitAccountId}::uuid,
              ${move.creditAccountId}::uuid, ${move.amount === null ? null : move.amount.toString()}::bigint, ${this.clock()})
      ON CONFLICT (transfer_id) DO NOTHING`.execute(trx);
  }

  /** The withdraw move that posts this reservation, with its state. */
  async forReservation(db: Kysely<any>, reservationId: string): Promise<(Move & { state: string }) | undefined> {
    const rows = (await sql<MoveRow>`SELECT * FROM ecash_ledger_moves WHERE pending_id = ${reservationId}::uuid`.execute(db)).rows;
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  async pending(db: Kysely<any>, createdBeforeMs: number, limit: number): Promise<Move[]> {
    const rows = (await sql<MoveRow>`
      SELECT * FROM ecash_ledger_moves WHERE state = 'PENDING' AND created_at_ms <= ${createdBeforeMs}
      ORDER BY created_at_ms LIMIT ${limit}`.execute(db)).rows;
    return rows.map(fromRow);
  }

  /** Applies one move (outside any transaction: the ledger commits in its own). */
  async apply(db: Kysely<any>, move: Move): Promise<MoveResult> {
    const [result] = await this.ledger.submit([this.transferOf(move)]);
    if (result === undefined) throw new Error("ledger returned no result");
    if (isApplied(result)) {
      await sql`UPDATE ecash_ledger_moves SET state = 'APPLIED', done_at_ms = ${this.clock()}
                WHERE transfer_id = ${move.transferId}::uuid AND state = 'PENDING'`.execute(db);
      return "applied";
    }
    if (move.kind === "withdraw" && reservationGone.has(result)) {
      // Never funded, so its W2 was never sent: the token disappears and a retried W1 is refused.
      await db.transaction().execute(async (trx) => {
        await sql`UPDATE ecash_ledger_moves SET state = 'FAILED', done_at_ms = ${this.clock()} WHERE transfer_id = ${move.transferId}::uuid`.execute(trx);
        await sql`DELETE FROM ecash_tokens WHERE sn = ${move.sn} AND reservation_id = ${move.pendingId}::uuid`.execute(trx);
      });
      return "failed";
    }
    if (retryLater.has(result)) return "pending";
    throw new Error(`e-cash ledger move ${move.kind} ${move.transferId} refused with ${result}: a broken invariant`);
  }

  private transferOf(move: Move): TransferInput {
    switch (move.kind) {
      case "withdraw":
        return { id: move.transferId, kind: "post_pending", pendingId: move.pendingId!, code: ledgerCodes.ecashWithdrawal };
      case "settle":
      case "refund":
        return {
          id: move.transferId, kind: "posted", debitAccountId: move.debitAccountId!, creditAccountId: move.creditAccountId!, amount: move.amount!,
          code: move.kind === "settle" ? ledgerCodes.ecashSettlement : ledgerCodes.ecashExpiryRefund, userData: `ecash:${move.sn}`,
        };
    }
  }
}

interface MoveRow {
  transfer_id: string;
  kind: MoveKind;
  sn: string;
  dep_id: string | null;
  pending_id: string | null;
  debit_account_id: string | null;
  credit_account_id: string | null;
  amount: bigint | string | null;
  state: string;
}

function fromRow(row: MoveRow): Move & { state: string } {
  return {
    transferId: row.transfer_id, kind: row.kind, sn: row.sn, depId: row.dep_id, pendingId: row.pending_id,
    debitAccountId: row.debit_account_id, creditAccountId: row.credit_account_id,
    amount: row.amount === null ? null : BigInt(row.amount), state: row.state,
  };
}
