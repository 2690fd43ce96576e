import { randomUUID } from "node:crypto";
import type { ResultCode, TransferInput } from "@obol/ledger";
import type { Kysely } from "kysely";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import { failpoint } from "../../failpoints.js";
import { transferIdFor } from "../idempotency/service.js";
import { ledgerCodes } from "../ledger-codes.js";
import type { LedgerService } from "../ledger/index.js";
import { merchantBalanceKind, walletKind, type Merchant, type PartiesService, type User } from "../parties/service.js";
import { bankClearingKind } from "../wallet/service.js";
import { bankUserData } from "../banking/operations.js";
import { announcementFor, paymentView } from "./announcements.js";
import { feeFor, type FeeSchedule } from "./fees.js";
import { nextState, type PaymentEvent, type PaymentKind } from "./state-machine.js";
import { PaymentStore, type FundingSource, type Payment, type Refund, type TransitionChanges } from "./store.js";

export type Outcome<T> = { ok: true; value: T } | { ok: false; code: ApiErrorCode };

/** The outbox of merchant events (webhooks module); called inside the caller's transaction. */
export interface MerchantEventsPort {
  enqueue(trx: Kysely<any>, event: { merchantId: string; type: string; data: Record<string, unknown> }): Promise<unknown>;
}

/** Notification records (notifications module); called inside the caller's transaction. */
export interface NotificationsPort {
  record(trx: Kysely<any>, notice: { recipient: { type: "user" | "merchant"; id: string }; kind: string; data: Record<string, unknown> }): Promise<unknown>;
}

export type BankDebitOutcome =
  | { status: "applied"; bankReference: string } | { status: "declined"; reason: string } | { status: "reversed"; reason: string } | { status: "pending" };

/** Debits a user's linked bank account (the banking module). Idempotent by operationId: calling again resumes. */
export interface BankFundingPort {
  linkedAccount(userId: string, currency: string): Promise<{ canDebit: boolean } | undefined>;
  debitUser(input: { operationId: string; userId: string; currency: string; amount: bigint; purpose: string; remittance?: string }): Promise<BankDebitOutcome>;
  /** Gives an applied debit back (the bank credits the same account), or fences one whose outcome is unknown. */
  reverse(operationId: string): Promise<unknown>;
}

export interface PaymentsLimits {
  /** How long a payer has to confirm when the merchant does not say (issue 4: 60 s). */
  confirmationTtlMsDefault: number;
  confirmationTtlMsMin: number;
  confirmationTtlMsMax: number;
  /** Escrow: the merchant must mark the order shipped within this, or the buyer is refunded. */
  escrowShipDeadlineMs: number;
  /** Escrow: funds go to the merchant this long after shipping unless the buyer disputes. */
  escrowAutoReleaseMs: number;
  /** A payment left in `funding` (crash, bank outcome unknown) is driven again after this. */
  fundingRetryMs: number;
  timersPerSweepMax: number;
  inboxEntriesMax: number;
}

export const defaultPaymentsLimits: PaymentsLimits = {
  confirmationTtlMsDefault: 60_000,
  confirmationTtlMsMin: 10_000,
  confirmationTtlMsMax: 24 * 3_600_000,
  escrowShipDeadlineMs: 14 * 86_400_000,
  escrowAutoReleaseMs: 7 * 86_400_000,
  fundingRetryMs: 5_000,
  timersPerSweepMax: 200,
  inboxEntriesMax: 20,
};

export interface CreatePaymentInput {
  kind: PaymentKind;
  amount: bigint;
  currency: string;
  description: string;
  merchantReference: string;
  payerMsisdn: string | null;
  expiresInMs?: number | undefined;
  purchaseId?: string | null;
}

export type FundingChoice = FundingSource | "auto";

const accountIdsCachedMax = 100_000;

/** The revenue account's ledger kind: where fees go. */
export const platformRevenueKind = "platform_revenue";

/**
 * Payments (issue 4): merchant requests, the payer's confirmation, funding through the ledger or
 * the bank, escrow, refunds. Every state change goes through the state machine table and is
 * written together with its webhook (outbox) and notification records in one transaction.
 * Ledger transfers are never inside that transaction: their ids derive from the payment id, so
 * the step after a crash submits the same transfers again and the ledger answers "exists".
 */
export class PaymentsService {
  readonly store: PaymentStore;
  private readonly fundingInFlight = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private readonly accountIds = new Map<string, string>();

  constructor(private readonly deps: {
    db: Kysely<any>; ledger: LedgerService; parties: PartiesService; clock: () => number; currencies: readonly string[];
    fees: FeeSchedule; limits: PaymentsLimits; events: MerchantEventsPort; notifications: NotificationsPort; bank?: BankFundingPort | undefined;
  }) {
    this.store = new PaymentStore(deps.db);
  }

  // ── merchant side ──────────────────────────────────────────────────────────────────────────

  async create(merchant: Merchant, input: CreatePaymentInput, id: string): Promise<Outcome<Payment>> {
    const { limits } = this.deps;
    if (merchant.status !== "approved") return { ok: false, code: "ERR_MERCHANT_NOT_APPROVED" };
    if (!this.deps.currencies.includes(input.currency)) return { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
    const ttl = input.expiresInMs ?? limits.confirmationTtlMsDefault;
    if (ttl < limits.confirmationTtlMsMin || ttl > limits.confirmationTtlMsMax) return { ok: false, code: "ERR_EXPIRY_INVALID" };
    let payerUserId: string | null = null;
    if (input.payerMsisdn !== null) {
      const payer = await this.deps.parties.userByMsisdn(input.payerMsisdn);
      if (payer === undefined || payer.status !== "active") return { ok: false, code: "ERR_PAYER_NOT_FOUND" };
      payerUserId = payer.id;
    }
    const now = new Date(this.deps.clock());
    const created = await this.deps.db.transaction().execute(async (trx) => {
      const result = await this.store.insert(trx, {
        id, merchantId: merchant.id, kind: input.kind, amount: input.amount, currency: input.currency, fee: feeFor(input.amount, this.deps.fees),
        description: input.description, merchantReference: input.merchantReference, payerMsisdn: input.payerMsisdn, payerUserId,
        expiresAt: new Date(now.getTime() + ttl), purchaseId: input.purchaseId ?? null,
      }, `merchant:${merchant.id}`, now);
      if (result === "created" && payerUserId !== null) {
        const payment = (await this.store.byId(id, trx))!;
        await this.deps.notifications.record(trx, { recipient: { type: "user", id: payerUserId }, kind: announcementFor("create").userNotice!, data: paymentView(payment) });
      }
      return result;
    });
    if (created === "reference_taken") return { ok: false, code: "ERR_REFERENCE_TAKEN" };
    const payment = (await this.store.byId(id))!;
    if (payment.merchantId !== merchant.id) return { ok: false, code: "ERR_IDEMPOTENCY_MISMATCH" };
    if (payerUserId !== null) this.wake(payerUserId);
    return { ok: true, value: payment };
  }

  async get(merchantId: string, id: string): Promise<Payment | undefined> {
    const payment = await this.store.byId(id);
    return payment?.merchantId === merchantId ? payment : undefined;
  }

  async cancel(merchant: Merchant, id: string): Promise<Outcome<Payment>> {
    const payment = await this.get(merchant.id, id);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    return this.apply(payment, "cancel", { reason: "ERR_PAYMENT_CANCELLED" }, `merchant:${merchant.id}`);
  }

  async ship(merchant: Merchant, id: string): Promise<Outcome<Payment>> {
    const payment = await this.get(merchant.id, id);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    const releaseAt = new Date(this.deps.clock() + this.deps.limits.escrowAutoReleaseMs);
    return this.apply(payment, "ship", { timerAt: releaseAt }, `merchant:${merchant.id}`);
  }

  /**
   * A full or partial refund of a succeeded direct payment. The amount is reserved against the
   * capture first (never above it, whatever runs concurrently), then moved on the ledger from the
   * merchant's balance back to the payer's wallet. The platform keeps its fee.
   */
  async refund(merchant: Merchant, paymentId: string, input: { amount: bigint; reason: string }, refundId: string): Promise<Outcome<Refund>> {
    const payment = await this.get(merchant.id, paymentId);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    if (payment.kind !== "direct" || payment.state !== "succeeded") return { ok: false, code: "ERR_PAYMENT_STATE" };
    const now = new Date(this.deps.clock());
    const reserved = await this.deps.db.transaction().execute((trx) => this.store.insertRefund(trx, { id: refundId, paymentId, amount: input.amount, reason: input.reason }, now));
    if (reserved === "exceeds") return { ok: false, code: "ERR_REFUND_EXCEEDS_CAPTURE" };
    const existing = (await this.store.refund(refundId))!;
    if (existing.paymentId !== paymentId || existing.amount !== input.amount) return { ok: false, code: "ERR_IDEMPOTENCY_MISMATCH" };
    return { ok: true, value: await this.completeRefund(existing) };
  }

  refunds(paymentId: string): Promise<Refund[]> {
    return this.store.refundsOf(paymentId);
  }

  // ── payer side (called by the wallet channel with a verified, signed message) ─────────────

  /**
   * The payer's signed confirmation. It must name exactly what the payer was shown (merchant,
   * amount, currency): a confirmation of anything else is refused and changes nothing.
   */
  async confirm(user: User, input: { paymentId: string; merchantId: string; amount: bigint; currency: string; funding: FundingChoice }): Promise<Outcome<Payment>> {
    const payment = await this.store.byId(input.paymentId);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    if (payment.payerUserId !== null && payment.payerUserId !== user.id) return { ok: false, code: "ERR_NOT_PAYER" };
    if (payment.merchantId !== input.merchantId || payment.amount !== input.amount || payment.currency !== input.currency) return { ok: false, code: "ERR_PAYMENT_MISMATCH" };
    // Confirming after the expiry is refused as such, whether the timer already ended the request or not.
    if (payment.state === "expired") return { ok: false, code: "ERR_PAYMENT_EXPIRED" };
    if (payment.state !== "awaiting_confirmation") return { ok: false, code: "ERR_PAYMENT_STATE" };
    if (payment.expiresAt.getTime() <= this.deps.clock()) {
      await this.apply(payment, "expire", { reason: "ERR_PAYMENT_EXPIRED" }, "platform:timer");
      return { ok: false, code: "ERR_PAYMENT_EXPIRED" };
    }
    const merchant = await this.deps.parties.merchantById(payment.merchantId);
    if (merchant?.status !== "approved") return { ok: false, code: "ERR_MERCHANT_NOT_APPROVED" };
    const source = await this.chooseSource(user, payment, input.funding);
    if (!source.ok) return source;
    const confirmed = await this.apply(payment, "confirm", {
      fundingSource: source.value, payer: { userId: user.id, msisdn: user.msisdn }, timerAt: new Date(this.deps.clock() + this.deps.limits.fundingRetryMs),
    }, `user:${user.id}`);
    if (!confirmed.ok) return confirmed;
    return { ok: true, value: await this.fund(confirmed.value) };
  }

  async decline(user: User, paymentId: string): Promise<Outcome<Payment>> {
    const payment = await this.store.byId(paymentId);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    if (payment.payerUserId !== null && payment.payerUserId !== user.id) return { ok: false, code: "ERR_NOT_PAYER" };
    return this.apply(payment, "decline", { reason: "ERR_PAYMENT_DECLINED", payer: { userId: user.id, msisdn: user.msisdn } }, `user:${user.id}`);
  }

  /** Escrow: the buyer confirms receipt; the held funds go to the merchant. */
  async confirmReceipt(user: User, paymentId: string): Promise<Outcome<Payment>> {
    const payment = await this.payersEscrow(user, paymentId);
    if (!payment.ok) return payment;
    return this.release(payment.value, "confirm_receipt", payment.value.amount, `user:${user.id}`);
  }

  /** Escrow: the buyer disputes before release; an operator decides. */
  async dispute(user: User, paymentId: string, reason: string): Promise<Outcome<Payment>> {
    const payment = await this.payersEscrow(user, paymentId);
    if (!payment.ok) return payment;
    return this.apply(payment.value, "dispute", { reason: `dispute:${reason}`.slice(0, 64) }, `user:${user.id}`);
  }

  /** Requests waiting for this user, oldest first; waits up to waitMs for one to arrive. */
  async inbox(user: User, waitMs: number): Promise<Payment[]> {
    const read = () => this.store.awaitingUser(user.id, new Date(this.deps.clock()), this.deps.limits.inboxEntriesMax);
    const first = await read();
    if (first.length > 0 || waitMs <= 0) return first;
    await new Promise<void>((resolve) => {
      const waiters = this.waiters.get(user.id) ?? new Set();
      const done = () => { clearTimeout(timer); waiters.delete(done); if (waiters.size === 0) this.waiters.delete(user.id); resolve(); };
      const timer = setTimeout(done, waitMs);
      waiters.add(done);
      this.waiters.set(user.id, waiters);
    });
    return read();
  }

  paymentsOf(user: User, limit: number): Promise<Payment[]> {
    return this.store.ofUser(user.id, limit);
  }

  // ── operator side ──────────────────────────────────────────────────────────────────────────

  /** Ends a dispute: `refundAmount` 0 releases everything to the merchant; otherwise the buyer gets it back and the merchant the rest. */
  async resolveDispute(operatorId: string, paymentId: string, refundAmount: bigint): Promise<Outcome<Payment>> {
    const payment = await this.store.byId(paymentId);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    if (payment.state !== "disputed") return { ok: false, code: "ERR_PAYMENT_STATE" };
    if (refundAmount < 0n || refundAmount > payment.amount) return { ok: false, code: "ERR_REFUND_EXCEEDS_CAPTURE" };
    const actor = `operator:${operatorId}`;
    return refundAmount === 0n
      ? this.release(payment, "resolve_release", payment.amount, actor)
      : this.release(payment, "resolve_refund", payment.amount - refundAmount, actor);
  }

  disputes(limit: number): Promise<Payment[]> {
    return this.store.disputed(limit);
  }

  // ── timers and recovery (the sweeper calls this every second; state lives in the database) ──

  /** Fires due timers (expiry, ship deadline, auto-release), re-drives funding and refunds left by a crash. */
  async runDue(): Promise<number> {
    const now = new Date(this.deps.clock());
    let fired = 0;
    for (const payment of await this.store.dueTimers(now, this.deps.limits.timersPerSweepMax)) {
      switch (payment.state) {
        case "awaiting_confirmation":
          fired += (await this.apply(payment, "expire", { reason: "ERR_PAYMENT_EXPIRED" }, "platform:timer")).ok ? 1 : 0;
          break;
        case "funding":
          await this.fund(payment);
          fired += 1;
          break;
        case "held":
          fired += (await this.release(payment, "ship_timeout", 0n, "platform:timer")).ok ? 1 : 0;
          break;
        case "shipped":
          fired += (await this.release(payment, "auto_release", payment.amount, "platform:timer")).ok ? 1 : 0;
          break;
        default:
          throw new Error(`payment ${payment.id}: timer set in state ${payment.state}`);
      }
    }
    for (const refund of await this.store.pendingRefunds(new Date(now.getTime() - this.deps.limits.fundingRetryMs), this.deps.limits.timersPerSweepMax)) {
      await this.completeRefund(refund);
      fired += 1;
    }
    return fired;
  }

  // ── internals ─────────────────────────────────────────────────────────────────────────────

  private async chooseSource(user: User, payment: Payment, choice: FundingChoice): Promise<Outcome<FundingSource>> {
    const bank = this.deps.bank;
    const linked = bank !== undefined && (await bank.linkedAccount(user.id, payment.currency))?.canDebit === true;
    if (choice === "bank") return linked ? { ok: true, value: "bank" } : { ok: false, code: "ERR_BANK_ACCOUNT_NOT_LINKED" };
    if (choice === "wallet" || !linked) return { ok: true, value: "wallet" };
    const wallet = (await this.deps.parties.wallets(user.id)).find((a) => a.kind === walletKind && a.currency === payment.currency);
    const available = wallet === undefined ? 0n : wallet.creditsPosted - wallet.debitsPosted - wallet.debitsPending;
    return { ok: true, value: available >= payment.amount ? "wallet" : "bank" };
  }

  /**
   * Moves the money of a confirmed payment; safe to call again at any point (after a crash, a
   * lost bank answer, or concurrently): bank operations and ledger transfers are idempotent by
   * ids derived from the payment id, and the state change is version-checked.
   */
  private async fund(payment: Payment): Promise<Payment> {
    if (payment.state !== "funding") return payment;
    if (this.fundingInFlight.has(payment.id)) return payment;
    this.fundingInFlight.add(payment.id);
    try {
      const payer = payment.payerUserId!;
      const wallet = await this.account("user", payer, walletKind, payment.currency);
      const merchant = await this.account("merchant", payment.merchantId, merchantBalanceKind, payment.currency);
      if (payment.fundingSource === "bank") {
        const bank = this.deps.bank;
        if (bank === undefined) return this.failFunding(payment, "ERR_BANK_NOT_CONFIGURED");
        const operationId = transferIdFor("payment", payment.id, 100);
        const debit = await bank.debitUser({
          operationId, userId: payer, currency: payment.currency, amount: payment.amount, purpose: "payment", remittance: `Obol payment ${payment.merchantReference}`.slice(0, 140),
        });
        if (debit.status === "pending") {
          await this.store.setTimer(payment.id, new Date(this.deps.clock() + this.deps.limits.fundingRetryMs));
          return (await this.store.byId(payment.id))!;
        }
        if (debit.status === "declined" || debit.status === "reversed") return this.failFunding(payment, "ERR_BANK_DECLINED");
        failpoint("payments.after_bank_debit");
        const clearing = await this.platformAccount(bankClearingKind, payment.currency);
        // The clearing movement carries the bank's reference (AcctSvcrRef): reconciliation matches it to the bank's statement.
        const credited = await this.deps.ledger.submit([{ id: this.leg(payment, 1), kind: "posted", debitAccountId: clearing, creditAccountId: wallet, amount: payment.amount, code: ledgerCodes.bankFunding, userData: bankUserData(debit.bankReference) }]);
        const failure = ledgerFailure(credited);
        if (failure !== undefined) {
          // The bank took the money but the wallet cannot receive it (frozen): give it back at the bank.
          await bank.reverse(operationId);
          return this.failFunding(payment, failure);
        }
      }
      const transfers: TransferInput[] = payment.kind === "direct"
        ? await this.withFee(payment, merchant, [{ id: this.leg(payment, 2), kind: "posted", debitAccountId: wallet, creditAccountId: merchant, amount: payment.amount, code: ledgerCodes.paymentCapture, userData: payment.id }], payment.fee)
        : [{ id: this.leg(payment, 3), kind: "pending", debitAccountId: wallet, creditAccountId: merchant, amount: payment.amount, code: ledgerCodes.escrowHold, timeoutMs: 0, userData: payment.id }];
      const failure = ledgerFailure(await this.deps.ledger.submit(transfers));
      if (failure !== undefined) return this.failFunding(payment, failure);
      const outcome = payment.kind === "direct"
        ? await this.apply(payment, "captured", { reason: null }, "platform:funding")
        : await this.apply(payment, "held", { reason: null, timerAt: new Date(this.deps.clock() + this.deps.limits.escrowShipDeadlineMs) }, "platform:funding");
      return outcome.ok ? outcome.value : (await this.store.byId(payment.id))!;
    } finally {
      this.fundingInFlight.delete(payment.id);
    }
  }

  private async failFunding(payment: Payment, code: ApiErrorCode): Promise<Payment> {
    const failed = await this.apply(payment, "fund_failed", { reason: code }, "platform:funding");
    return failed.ok ? failed.value : (await this.store.byId(payment.id))!;
  }

  /**
   * Ends an escrow hold: `toMerchant` of the amount is posted to the merchant (with the fee on that
   * part), the rest goes back to the buyer. 0 voids the hold.
   */
  private async release(payment: Payment, event: PaymentEvent, toMerchant: bigint, actor: string): Promise<Outcome<Payment>> {
    const to = nextState(payment.kind, payment.state, event);
    if (to === undefined) return { ok: false, code: "ERR_PAYMENT_STATE" };
    const hold = this.leg(payment, 3);
    const fee = toMerchant === 0n ? 0n : feeFor(toMerchant, this.deps.fees);
    const transfers: TransferInput[] = toMerchant === 0n
      ? [{ id: this.leg(payment, 4), kind: "void_pending", pendingId: hold, code: ledgerCodes.escrowRefund, userData: payment.id }]
      : await this.withFee(payment, await this.account("merchant", payment.merchantId, merchantBalanceKind, payment.currency), [{ id: this.leg(payment, 4), kind: "post_pending", pendingId: hold, amount: toMerchant, code: ledgerCodes.escrowRelease, userData: payment.id }], fee);
    const failure = ledgerFailure(await this.deps.ledger.submit(transfers));
    // The hold exists and is pending (the state says so): the only way to fail here is a frozen account.
    if (failure !== undefined) return { ok: false, code: failure };
    const reason = event === "resolve_refund" || event === "ship_timeout" ? `refunded:${payment.amount - toMerchant}` : payment.reason;
    return this.apply(payment, event, { releasedAmount: toMerchant, fee, reason }, actor);
  }

  private async completeRefund(refund: Refund): Promise<Refund> {
    if (refund.state !== "pending") return refund;
    const payment = (await this.store.byId(refund.paymentId))!;
    const wallet = await this.account("user", payment.payerUserId!, walletKind, payment.currency);
    const merchant = await this.account("merchant", payment.merchantId, merchantBalanceKind, payment.currency);
    const failure = ledgerFailure(await this.deps.ledger.submit([
      { id: refund.id, kind: "posted", debitAccountId: merchant, creditAccountId: wallet, amount: refund.amount, code: ledgerCodes.refund, userData: payment.id },
    ]));
    const now = new Date(this.deps.clock());
    await this.deps.db.transaction().execute(async (trx) => {
      const finished = await this.store.finishRefund(trx, refund.id, failure === undefined ? { state: "succeeded" } : { state: "failed", failure }, now);
      if (!finished || failure !== undefined) return;
      const after = (await this.store.byId(payment.id, trx))!;
      const data = { ...paymentView(after), refund: { id: refund.id, amount: refund.amount.toString(), reason: refund.reason } };
      await this.deps.events.enqueue(trx, { merchantId: payment.merchantId, type: "payment.refunded", data });
      await this.deps.notifications.record(trx, { recipient: { type: "merchant", id: payment.merchantId }, kind: "payment.refunded", data });
      await this.deps.notifications.record(trx, { recipient: { type: "user", id: payment.payerUserId! }, kind: "payment.refunded", data });
    });
    return (await this.store.refund(refund.id))!;
  }

  private async payersEscrow(user: User, paymentId: string): Promise<Outcome<Payment>> {
    const payment = await this.store.byId(paymentId);
    if (payment === undefined) return { ok: false, code: "ERR_PAYMENT_NOT_FOUND" };
    if (payment.payerUserId !== user.id) return { ok: false, code: "ERR_NOT_PAYER" };
    if (payment.kind !== "escrow") return { ok: false, code: "ERR_PAYMENT_STATE" };
    return { ok: true, value: payment };
  }

  /**
   * Applies one event of the state machine, with its announcements, in one transaction. Refused
   * (ERR_PAYMENT_STATE) when the table does not allow it; when another request changed the payment
   * first, the event is re-checked against the fresh state once.
   */
  private async apply(payment: Payment, event: PaymentEvent, changes: TransitionChanges, actor: string): Promise<Outcome<Payment>> {
    let current = payment;
    for (let attempt = 0; attempt < 2; attempt++) {
      const to = nextState(current.kind, current.state, event);
      if (to === undefined) return { ok: false, code: "ERR_PAYMENT_STATE" };
      const now = new Date(this.deps.clock());
      const moved = await this.deps.db.transaction().execute(async (trx) => {
        const after = await this.store.transition(trx, current, event, to, changes, actor, now);
        if (after === undefined) return undefined;
        const announcement = announcementFor(event);
        const data = paymentView(after);
        if (announcement.webhook !== undefined) {
          await this.deps.events.enqueue(trx, { merchantId: after.merchantId, type: announcement.webhook, data });
          await this.deps.notifications.record(trx, { recipient: { type: "merchant", id: after.merchantId }, kind: announcement.webhook, data });
        }
        if (announcement.userNotice !== undefined && after.payerUserId !== null) {
          await this.deps.notifications.record(trx, { recipient: { type: "user", id: after.payerUserId }, kind: announcement.userNotice, data });
        }
        return after;
      });
      if (moved !== undefined) return { ok: true, value: moved };
      current = (await this.store.byId(payment.id))!;
    }
    return { ok: false, code: "ERR_PAYMENT_STATE" };
  }

  /** The transfers, then the fee from the merchant's balance to platform revenue, as one linked chain. */
  private async withFee(payment: Payment, merchantAccount: string, transfers: TransferInput[], fee: bigint): Promise<TransferInput[]> {
    if (fee === 0n) return transfers;
    const revenue = await this.platformAccount(platformRevenueKind, payment.currency);
    return [
      ...transfers.map((t) => ({ ...t, linked: true })),
      { id: this.leg(payment, 5), kind: "posted", debitAccountId: merchantAccount, creditAccountId: revenue, amount: fee, code: ledgerCodes.paymentFee, userData: payment.id },
    ];
  }

  private leg(payment: Payment, leg: number): string {
    return transferIdFor("payment", payment.id, leg);
  }

  /**
   * A party's account id. Ids never change once created, so they are cached (bounded); balances
   * and the frozen flag are always read by the ledger itself.
   */
  private async account(ownerType: "user" | "merchant", ownerId: string, kind: string, currency: string): Promise<string> {
    const key = `${ownerType}/${ownerId}/${kind}/${currency}`;
    const cached = this.accountIds.get(key);
    if (cached !== undefined) return cached;
    const found = (await this.deps.ledger.accountsOf(ownerType, ownerId)).find((a) => a.kind === kind && a.currency === currency);
    if (found === undefined) throw new Error(`${ownerType} ${ownerId} has no ${kind} account in ${currency}`);
    if (this.accountIds.size >= accountIdsCachedMax) this.accountIds.delete(this.accountIds.keys().next().value!);
    this.accountIds.set(key, found.id);
    return found.id;
  }

  private async platformAccount(kind: string, currency: string): Promise<string> {
    const key = `platform/${kind}/${currency}`;
    const cached = this.accountIds.get(key);
    if (cached !== undefined) return cached;
    const id = (await this.deps.ledger.platformAccount(kind, currency, randomUUID)).id;
    this.accountIds.set(key, id);
    return id;
  }

  private wake(userId: string): void {
    for (const waiter of this.waiters.get(userId) ?? []) waiter();
  }
}

/** A ledger refusal as the payer sees it; undefined when the whole chain is in the ledger. */
function ledgerFailure(results: readonly ResultCode[]): ApiErrorCode | undefined {
  const decisive = results.find((r) => r !== "ok" && r !== "exists" && r !== "linked_event_failed");
  switch (decisive) {
    case undefined:
      if (results.every((r) => r === "ok" || r === "exists")) return undefined;
      throw new Error(`ledger chain failed without a cause: ${results.join(",")}`);
    case "insufficient_funds":
      return "ERR_INSUFFICIENT_FUNDS";
    case "account_frozen":
      return "ERR_ACCOUNT_FROZEN";
    case "overflow":
      return "ERR_AMOUNT_LIMIT";
    default:
      // Ids derive from the payment, accounts exist, amounts are positive: anything else is a bug.
      throw new Error(`ledger refused a payment transfer: ${decisive}`);
  }
}
