import { randomUUID } from "node:crypto";
import type { ResultCode, Transfer } from "@obol/ledger";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import type { Fence, LedgerService } from "../ledger/index.js";
import { walletKind, type PartiesService, type User } from "../parties/service.js";

/** Ledger business codes of wallet movements (TransferInput.code). */
export const transferCodes = { p2p: 1, topUp: 2, withdrawal: 3 } as const;

/** The platform's account at the bank: top-ups are debited to it, withdrawals credited. */
export const bankClearingKind = "bank_clearing";

const walletIdsCachedMax = 100_000;

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
}

/**
 * What a user does with a wallet. Owns no table: it composes parties and the ledger. Each method
 * takes the ledger transfer id from the caller (derived from its Idempotency-Key), so calling it
 * again after a crash can never move money twice.
 */
export class WalletService {
  private readonly walletIds = new Map<string, string>();
  constructor(private readonly ledger: LedgerService, private readonly parties: PartiesService, readonly currencies: readonly string[], private readonly limits: WalletLimits) {}

  async balances(userId: string): Promise<{ currency: string; accountId: string; available: string; held: string; posted: string; frozen: boolean }[]> {
    const wallets = await this.parties.wallets(userId);
    return wallets.filter((a) => a.kind === walletKind).map((a) => ({
      currency: a.currency, accountId: a.id, frozen: a.frozen,
      posted: (a.creditsPosted - a.debitsPosted).toString(),
      held: a.debitsPending.toString(),
      available: (a.creditsPosted - a.debitsPosted - a.debitsPending).toString(),
    }));
  }

  async p2p(payer: User, input: { toMsisdn: string; amount: bigint; currency: string; transferId: string; fence?: Fence }): Promise<Outcome<MovementReceipt>> {
    const currency = this.checkCurrency(input.currency);
    if (!currency.ok) return currency;
    // Applied already (by an attempt that lost its claim, or died before answering): the answer is
    // the receipt, whatever changed since (a payee suspended meanwhile must not turn it into a refusal).
    const applied = await this.receiptIfApplied(input.transferId, "p2p", payer.msisdn, input.toMsisdn);
    if (applied !== undefined) return applied;
    if (payer.status !== "active") return { ok: false, code: "ERR_USER_SUSPENDED" };
    const payee = await this.parties.userByMsisdn(input.toMsisdn);
    if (payee === undefined || payee.status !== "active") return { ok: false, code: "ERR_RECIPIENT_NOT_FOUND" };
    if (payee.id === payer.id) return { ok: false, code: "ERR_SELF_TRANSFER" };
    const from = await this.wallet(payer.id, input.currency);
    const to = await this.wallet(payee.id, input.currency);
    return this.move(input.transferId, transferCodes.p2p, from, to, input.amount, "p2p", payer.msisdn, payee.msisdn, input.fence);
  }

  async topUp(user: User, input: { amount: bigint; currency: string; transferId: string; fence?: Fence }): Promise<Outcome<MovementReceipt>> {
    const applied = await this.receiptIfApplied(input.transferId, "top_up", null, user.msisdn);
    if (applied !== undefined) return applied;
    const checked = this.checkBankTransfer(user, input);
    if (!checked.ok) return checked;
    const clearing = (await this.ledger.platformAccount(bankClearingKind, input.currency, randomUUID)).id;
    return this.move(input.transferId, transferCodes.topUp, clearing, await this.wallet(user.id, input.currency), input.amount, "top_up", null, user.msisdn, input.fence);
  }

  async withdraw(user: User, input: { amount: bigint; currency: string; transferId: string; fence?: Fence }): Promise<Outcome<MovementReceipt>> {
    const applied = await this.receiptIfApplied(input.transferId, "withdrawal", user.msisdn, null);
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

  private async receiptIfApplied(transferId: string, kind: MovementReceipt["kind"], fromMsisdn: string | null, toMsisdn: string | null): Promise<Outcome<MovementReceipt> | undefined> {
    const transfer = await this.ledger.transfer(transferId);
    return transfer === undefined ? undefined : receipt(transfer, kind, fromMsisdn, toMsisdn);
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
