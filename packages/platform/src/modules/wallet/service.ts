import { randomUUID } from "node:crypto";
import type { ResultCode, Transfer } from "@obol/ledger";
import { sql, type Kysely } from "kysely";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import type { Fence, LedgerService, OwnerType } from "../ledger/index.js";
import { walletKind, type PartiesService, type User } from "../parties/service.js";
import { parseNote } from "./notes.js";

/** Ledger business codes of wallet movements (TransferInput.code). */
export const transferCodes = { p2p: 1, topUp: 2, withdrawal: 3 } as const;
const kindCodeKey = { p2p: "p2p", top_up: "topUp", withdrawal: "withdrawal" } as const satisfies Record<MovementReceipt["kind"], keyof typeof transferCodes>;

/** The platform's account at the bank: top-ups are debited to it, withdrawals credited. */
export const bankClearingKind = "bank_clearing";

const walletIdsCachedMax = 100_000;
const accountOwnersCachedMax = 100_000;

/** How history and transfer views name a movement, by its ledger code. */
const kindByCode = new Map<number, MovementKind>([[transferCodes.p2p, "p2p"], [transferCodes.topUp, "top_up"], [transferCodes.withdrawal, "withdrawal"]]);

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ApiErrorCode };

export interface WalletLimits {
  /** Largest single top-up or withdrawal, in minor units. */
  bankTransferAmountMax: bigint;
}

export interface MovementReceipt {
  transferId: string;
  kind: "p2p" | "top_up" | "withdrawal";
  amount: string;
  currency: string;
  from: string | null;
  to: string | null;
  createdAt: string;
  /** P2P only: the sender's note, trimmed, or null. */
  note?: string | null;
}

export type MovementKind = "p2p" | "top_up" | "withdrawal" | "other";

/** The other side of a movement: a user (MSISDN and display name) or a merchant; null for the platform's own accounts (bank clearing, fees, e-cash escrow). */
export type Counterparty = { type: "user"; msisdn: string; displayName: string } | { type: "merchant"; msisdn: null; displayName: string };

/** One movement as its owner sees it (history item). `direction` is from the caller's wallet: debit = money out. */
export interface MovementView {
  transferId: string;
  kind: MovementKind;
  direction: "debit" | "credit";
  amount: string;
  currency: string;
  counterparty: Counterparty | null;
  note: string | null;
  createdAt: string;
}

/** A single transfer looked up by id. Only transfers that moved money are visible, so status is always "completed". */
export interface TransferView extends MovementView {
  status: "completed";
  /** When the money moved; for a transfer that posted a hold, createdAt is when the hold was made. */
  completedAt: string;
}

/**
 * What a user does with a wallet. Owns no table: it composes parties and the ledger. Each method
 * takes the ledger transfer id from the caller (derived from its Idempotency-Key), so calling it
 * again after a crash can never move money twice.
 */
export class WalletService {
  private readonly walletIds = new Map<string, string>();
  private readonly accountOwners = new Map<string, { ownerType: OwnerType; ownerId: string | null }>();
  constructor(
    private readonly db: Kysely<any>, private readonly ledger: LedgerService, private readonly parties: PartiesService,
    readonly currencies: readonly string[], private readonly limits: WalletLimits,
  ) {}

  async balances(userId: string): Promise<{ currency: string; accountId: string; available: string; held: string; posted: string; frozen: boolean }[]> {
    const wallets = await this.parties.wallets(userId);
    return wallets.filter((a) => a.kind === walletKind).map((a) => ({
      currency: a.currency, accountId: a.id, frozen: a.frozen,
      posted: (a.creditsPosted - a.debitsPosted).toString(),
      held: a.debitsPending.toString(),
      available: (a.creditsPosted - a.debitsPosted - a.debitsPending).toString(),
    }));
  }

  /**
   * Sends money to another user, with an optional note (see notes.ts). The note is stored before
   * the ledger transfer, under the same id, so a transfer never exists without its note; a refused
   * transfer takes its note away again.
   */
  async p2p(payer: User, input: { toMsisdn: string; amount: bigint; currency: string; transferId: string; note?: string | null; fence?: Fence }): Promise<Outcome<MovementReceipt>> {
    const currency = this.checkCurrency(input.currency);
    if (!currency.ok) return currency;
    const parsed = parseNote(input.note);
    if (!parsed.ok) return { ok: false, code: "ERR_NOTE_INVALID" };
    // Applied already (by an attempt that lost its claim, or died before answering): the answer is
    // the receipt, whatever changed since (a payee suspended meanwhile must not turn it into a refusal).
    const applied = await this.receiptIfApplied(input, "p2p", payer.msisdn, input.toMsisdn);
    if (applied !== undefined) return applied.ok ? { ok: true, value: { ...applied.value, note: await this.storedNote(input.transferId) } } : applied;
    if (payer.status !== "active") return { ok: false, code: "ERR_USER_SUSPENDED" };
    const payee = await this.parties.userByMsisdn(input.toMsisdn);
    if (payee === undefined || payee.status !== "active") return { ok: false, code: "ERR_RECIPIENT_NOT_FOUND" };
    if (payee.id === payer.id) return { ok: false, code: "ERR_SELF_TRANSFER" };
    const from = await this.wallet(payer.id, input.currency);
    const to = await this.wallet(payee.id, input.currency);
    const { note } = parsed;
    if (note !== null) await this.storeNote(input.transferId, note);
    const moved = await this.move(input.transferId, transferCodes.p2p, from, to, input.amount, "p2p", payer.msisdn, payee.msisdn, input.fence);
    if (note !== null) {
      if (moved.ok) {
        // A concurrent twin of this request (same key, same body) may have been refused and taken
        // the note away between our insert and our commit: put it back.
        await this.storeNote(input.transferId, note);
      } else if ((await this.ledger.transfer(input.transferId)) === undefined) {
        // Refused, and no transfer has this id (a transfer that has it keeps its own note).
        await sql`DELETE FROM wallet_transfer_notes WHERE transfer_id = ${input.transferId}::uuid`.execute(this.db);
        // A twin's transfer may have committed between the look and the delete.
        if ((await this.ledger.transfer(input.transferId)) !== undefined) await this.storeNote(input.transferId, note);
      }
    }
    if (!moved.ok) return moved;
    // The receipt names the note as stored, like the rest of it (a key reused after its
    // idempotency record expired finds the first transfer, and that transfer's note).
    return { ok: true, value: { ...moved.value, note: await this.storedNote(input.transferId) } };
  }

  private async storedNote(transferId: string): Promise<string | null> {
    const stored = await sql<{ note: string }>`SELECT note FROM wallet_transfer_notes WHERE transfer_id = ${transferId}::uuid`.execute(this.db);
    return stored.rows[0]?.note ?? null;
  }

  /**
   * A transfer by id, for its sender or receiver only; anyone else, and any id that is not a
   * transfer that moved money into or out of one of the caller's wallets, gets ERR_TRANSFER_NOT_FOUND
   * (not "forbidden": ids must not be probed).
   */
  async transfer(caller: User, transferId: string): Promise<Outcome<TransferView>> {
    const notFound = { ok: false, code: "ERR_TRANSFER_NOT_FOUND" } as const;
    const transfer = await this.ledger.transfer(transferId);
    if (transfer === undefined || (transfer.kind !== "posted" && transfer.kind !== "post_pending")) return notFound;
    const wallets = new Set((await this.parties.wallets(caller.id)).filter((a) => a.kind === walletKind).map((a) => a.id));
    const debit = wallets.has(transfer.debitAccountId);
    if (!debit && !wallets.has(transfer.creditAccountId)) return notFound;
    const counterpartyAccountId = debit ? transfer.creditAccountId : transfer.debitAccountId;
    const [named] = await this.describe([{ transferId: transfer.id, counterpartyAccountId }]);
    const hold: Transfer | undefined = transfer.pendingId === null ? undefined : await this.ledger.transfer(transfer.pendingId);
    return {
      ok: true,
      value: {
        transferId: transfer.id, kind: kindByCode.get(transfer.code) ?? "other", direction: debit ? "debit" : "credit", status: "completed",
        amount: transfer.amount.toString(), currency: transfer.currency, counterparty: named!.counterparty, note: named!.note,
        createdAt: new Date(hold?.createdAt ?? transfer.createdAt).toISOString(), completedAt: new Date(transfer.createdAt).toISOString(),
      },
    };
  }

  /** Posted movements of the caller's wallet in a currency, newest first, paged by the ledger's posting sequence. */
  async history(caller: User, query: { currency: string; limit: number; beforeSeq?: bigint }): Promise<Outcome<{ entries: (MovementView & { cursor: string })[]; next: string | null }>> {
    const wallet = (await this.parties.wallets(caller.id)).find((a) => a.kind === walletKind && a.currency === query.currency);
    if (wallet === undefined) return { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
    const postings = await this.ledger.history(wallet.id, { limit: query.limit, ...(query.beforeSeq === undefined ? {} : { beforeSeq: query.beforeSeq }) });
    const named = await this.describe(postings);
    const entries = postings.map((p, i) => ({
      transferId: p.transferId, kind: kindByCode.get(p.code) ?? "other", direction: p.amount < 0n ? "debit" as const : "credit" as const,
      amount: (p.amount < 0n ? -p.amount : p.amount).toString(), currency: p.currency, counterparty: named[i]!.counterparty, note: named[i]!.note,
      createdAt: new Date(p.createdAt).toISOString(), cursor: p.seq.toString(),
    }));
    return { ok: true, value: { entries, next: postings.length === query.limit ? postings.at(-1)!.seq.toString() : null } };
  }

  private async storeNote(transferId: string, note: string): Promise<void> {
    await sql`INSERT INTO wallet_transfer_notes (transfer_id, note) VALUES (${transferId}::uuid, ${note}) ON CONFLICT (transfer_id) DO NOTHING`.execute(this.db);
  }

  /** The counterparty and note of each movement, in a fixed number of queries per page. */
  private async describe(movements: readonly { transferId: string; counterpartyAccountId: string }[]): Promise<{ counterparty: Counterparty | null; note: string | null }[]> {
    const owners = new Map<string, { ownerType: OwnerType; ownerId: string | null }>();
    for (const accountId of new Set(movements.map((m) => m.counterpartyAccountId))) owners.set(accountId, await this.accountOwner(accountId));
    const ownerIds = (type: OwnerType) => [...new Set([...owners.values()].filter((o) => o.ownerType === type && o.ownerId !== null).map((o) => o.ownerId!))];
    const users = new Map((await this.parties.usersByIds(ownerIds("user"))).map((u) => [u.id, u]));
    const merchants = new Map((await this.parties.merchantsByIds(ownerIds("merchant"))).map((m) => [m.id, m]));
    const ids = [...new Set(movements.map((m) => m.transferId))];
    const notes = new Map(ids.length === 0 ? [] : (await sql<{ transfer_id: string; note: string }>`
      SELECT transfer_id, note FROM wallet_transfer_notes WHERE transfer_id = ANY(${ids}::uuid[])`.execute(this.db)).rows.map((r) => [r.transfer_id, r.note]));
    return movements.map((m) => {
      const owner = owners.get(m.counterpartyAccountId)!;
      const user = owner.ownerType === "user" ? users.get(owner.ownerId!) : undefined;
      const merchant = owner.ownerType === "merchant" ? merchants.get(owner.ownerId!) : undefined;
      const counterparty: Counterparty | null = user !== undefined ? { type: "user", msisdn: user.msisdn, displayName: user.displayName }
        : merchant !== undefined ? { type: "merchant", msisdn: null, displayName: merchant.legalName } : null;
      return { counterparty, note: notes.get(m.transferId) ?? null };
    });
  }

  /** Who owns a ledger account. An account's owner never changes, so answers are cached (bounded). */
  private async accountOwner(accountId: string): Promise<{ ownerType: OwnerType; ownerId: string | null }> {
    const cached = this.accountOwners.get(accountId);
    if (cached !== undefined) return cached;
    const account = await this.ledger.account(accountId);
    if (account === undefined) throw new Error(`ledger account ${accountId} of a posted transfer not found`);
    const owner = { ownerType: account.ownerType, ownerId: account.ownerId };
    if (this.accountOwners.size >= accountOwnersCachedMax) this.accountOwners.delete(this.accountOwners.keys().next().value!);
    this.accountOwners.set(accountId, owner);
    return owner;
  }

  async topUp(user: User, input: { amount: bigint; currency: string; transferId: string; fence?: Fence }): Promise<Outcome<MovementReceipt>> {
    const applied = await this.receiptIfApplied(input, "top_up", null, user.msisdn);
    if (applied !== undefined) return applied;
    const checked = this.checkBankTransfer(user, input);
    if (!checked.ok) return checked;
    const clearing = (await this.ledger.platformAccount(bankClearingKind, input.currency, randomUUID)).id;
    return this.move(input.transferId, transferCodes.topUp, clearing, await this.wallet(user.id, input.currency), input.amount, "top_up", null, user.msisdn, input.fence);
  }

  async withdraw(user: User, input: { amount: bigint; currency: string; transferId: string; fence?: Fence }): Promise<Outcome<MovementReceipt>> {
    const applied = await this.receiptIfApplied(input, "withdrawal", user.msisdn, null);
    if (applied !== undefined) return applied;
    const checked = this.checkBankTransfer(user, input);
    if (!checked.ok) return checked;
    const clearing = (await this.ledger.platformAccount(bankClearingKind, input.currency, randomUUID)).id;
    return this.move(input.transferId, transferCodes.withdrawal, await this.wallet(user.id, input.currency), clearing, input.amount, "withdrawal", user.msisdn, null, input.fence);
  }

  private checkCurrency(currency: string): Outcome<null> {
    return this.currencies.includes(currency) ? { ok: true, value: null } : { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
  }

  private checkBankTransfer(user: User, input: { amount: bigint; currency: string }): Outcome<null> {
    const currency = this.checkCurrency(input.currency);
    if (!currency.ok) return currency;
    if (user.status !== "active") return { ok: false, code: "ERR_USER_SUSPENDED" };
    if (input.amount > this.limits.bankTransferAmountMax) return { ok: false, code: "ERR_AMOUNT_LIMIT" };
    return { ok: true, value: null };
  }

  /**
   * The wallet account id of a user in a currency. Account ids never change once created, so they
   * are cached (bounded); balances and the frozen flag are always read by the ledger itself.
   */
  private async wallet(userId: string, currency: string): Promise<string> {
    const cacheKey = `${userId}/${currency}`;
    const cached = this.walletIds.get(cacheKey);
    if (cached !== undefined) return cached;
    const wallet = (await this.parties.wallets(userId)).find((a) => a.kind === walletKind && a.currency === currency);
    if (wallet === undefined) throw new Error(`user ${userId} has no ${currency} wallet`);
    if (this.walletIds.size >= walletIdsCachedMax) this.walletIds.delete(this.walletIds.keys().next().value!);
    this.walletIds.set(cacheKey, wallet.id);
    return wallet.id;
  }

  private async move(
    transferId: string, code: number, from: string, to: string, amount: bigint,
    kind: MovementReceipt["kind"], fromMsisdn: string | null, toMsisdn: string | null, fence: Fence | undefined,
  ): Promise<Outcome<MovementReceipt>> {
    const submitted = await this.ledger.submitReturning([{ id: transferId, kind: "posted", debitAccountId: from, creditAccountId: to, amount, code }], fence);
    const failure = failureCode(submitted.results[0]!);
    if (failure !== undefined) return { ok: false, code: failure };
    // The receipt comes from the transfer as stored (read back for a retry that found it already
    // applied), so a replay after a crash answers exactly as the first time.
    const transfer = submitted.created[0] ?? (await this.ledger.transfer(transferId));
    if (transfer === undefined) throw new Error(`transfer ${transferId} acknowledged but not found`);
    return receipt(transfer, kind, fromMsisdn, toMsisdn);
  }

  /**
   * The receipt of a transfer already applied under this id, if it is the one asked for; a transfer under
   * the id that differs (a key reused, after its idempotency record expired, for another amount, currency,
   * kind or payee) is ERR_IDEMPOTENCY_MISMATCH, as the ledger itself would answer.
   */
  private async receiptIfApplied(
    input: { transferId: string; amount: bigint; currency: string }, kind: MovementReceipt["kind"], fromMsisdn: string | null, toMsisdn: string | null,
  ): Promise<Outcome<MovementReceipt> | undefined> {
    const transfer = await this.ledger.transfer(input.transferId);
    if (transfer === undefined) return undefined;
    const mismatch = { ok: false, code: "ERR_IDEMPOTENCY_MISMATCH" } as const;
    if (transfer.code !== transferCodes[kindCodeKey[kind]] || transfer.amount !== input.amount || transfer.currency !== input.currency) return mismatch;
    if (kind === "p2p") {
      const [named] = await this.describe([{ transferId: transfer.id, counterpartyAccountId: transfer.creditAccountId }]);
      if (named?.counterparty?.msisdn !== toMsisdn) return mismatch;
    }
    return receipt(transfer, kind, fromMsisdn, toMsisdn);
  }
}

function receipt(transfer: Transfer, kind: MovementReceipt["kind"], fromMsisdn: string | null, toMsisdn: string | null): Outcome<MovementReceipt> {
  return {
    ok: true,
    value: { transferId: transfer.id, kind, amount: transfer.amount.toString(), currency: transfer.currency, from: fromMsisdn, to: toMsisdn, createdAt: new Date(transfer.createdAt).toISOString() },
  };
}

/** How a ledger result reaches the caller; undefined means the transfer is in the ledger. */
function failureCode(result: ResultCode): ApiErrorCode | undefined {
  switch (result) {
    case "ok":
    case "exists":
      return undefined;
    case "insufficient_funds":
      return "ERR_INSUFFICIENT_FUNDS";
    case "account_frozen":
      return "ERR_ACCOUNT_FROZEN";
    case "exists_with_different_fields":
      return "ERR_IDEMPOTENCY_MISMATCH";
    case "overflow":
      // The payee's balance would pass 2^63-1 minor units: no account can hold that much.
      return "ERR_AMOUNT_LIMIT";
    default:
      // Every other code means the wallet built a transfer the rules refuse: a bug, not bad input.
      throw new Error(`ledger refused a wallet transfer: ${result}`);
  }
}
