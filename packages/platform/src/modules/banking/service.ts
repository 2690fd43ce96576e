import { randomBytes, randomUUID } from "node:crypto";
import type { BankClient, Exchange, LinkReport, StatusReport } from "@obol/bank";
import type { Id, ResultCode, TransferInput } from "@obol/ledger";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import { ObolError } from "../../errors/obol-error.js";
import { failpoint } from "../../failpoints.js";
import type { LedgerService } from "../ledger/index.js";
import { ledgerCodes } from "../ledger-codes.js";
import { merchantBalanceKind, walletKind, type Merchant, type PartiesService, type User } from "../parties/service.js";
import { bankClearingKind, type Outcome } from "../wallet/service.js";
import { reconcile, type BankLine, type LedgerLine, type Mismatch } from "./reconcile.js";
import {
  bankIdsOf, bankLinkIdOf, bankReferenceOf, bankUserData, finalStates, interpretOriginal, interpretReversal, ledgerIdOf, retryDelayMs, type OperationKind,
} from "./operations.js";
import { retryMsMax, type BankSettings } from "./settings.js";
import { BankingStore, type BankLink, type BankOperation, type PartyType } from "./store.js";
import { OutageBackoff } from "../../db/unavailable.js";

/** What the banking module answers about an operation (the API other modules call). */
export type BankOperationResult =
  | { status: "applied"; bankReference: string }
  | { status: "declined"; reason: string }
  | { status: "reversed"; reason: string }
  | { status: "pending" };

export interface OperationRequest {
  /** The caller's id of the operation: calling again with it resumes the same operation. */
  operationId: Id;
  userId: Id;
  currency: string;
  amount: bigint;
  /** What the operation is for: a token like "payment" or "refund"; listeners subscribe by it. */
  purpose: string;
  /** What the account holder sees on the bank statement (RmtInf/Ustrd), ≤ 140 characters. */
  remittance?: string;
}

/** A linked account as other modules see it: never the full account number. */
export interface LinkedAccount {
  linkId: string;
  currency: string;
  accountMasked: string;
  holderName: string;
  /** A mandate exists: the platform may debit the account (links by name are credit-only). */
  canDebit: boolean;
}

export interface BankLinkView {
  linkId: string;
  currency: string;
  accountMasked: string;
  status: "awaiting_code" | "active" | "failed" | "replaced";
  holderName: string | null;
  attemptsLeft: number | null;
  reason: string | null;
  createdAt: string;
}

/** A top-up or withdrawal through the bank, as the user sees it. */
export interface BankMovement {
  operationId: string;
  kind: "top_up" | "withdrawal";
  status: "completed" | "pending" | "declined" | "reversed";
  amount: string;
  currency: string;
  bankReference: string | null;
  transferId: string | null;
  reason: string | null;
  createdAt: string;
}

export type OutcomeListener = (operation: BankOperation) => Promise<void>;

/** The result of a reconciliation run: every mismatch, and the two balances. */
export interface ReconciliationReport {
  currency: string;
  generatedAt: string;
  ledgerLines: number;
  bankLines: number;
  matched: number;
  offsetting: number;
  mismatches: Mismatch[];
  /** What the clearing account says the platform holds at the bank, and what the bank's statement says. */
  ledgerBalance: bigint;
  bankBalance: bigint;
}

export interface BankingDeps {
  store: BankingStore;
  ledger: LedgerService;
  parties: PartiesService;
  /** undefined: no bank is configured. */
  client: BankClient | undefined;
  settings: BankSettings;
  /** Production never moves money against the clearing account without a bank. */
  production: boolean;
  currencies: readonly string[];
  bankTransferAmountMax: bigint;
  clock: () => number;
  random?: () => number;
  onError: (error: unknown) => void;
}

const linkAttemptsPerHourMax = 5;
const syncExchangesMax = 2;
const stepsPerDriveMax = 8;
const remittanceMax = 140;
const maskedDigits = 4;

/**
 * The bank connector: account links (with the bank's verification) and durable bank operations.
 *
 * An operation is recorded before anything is sent; its bank ids are derived from its id, so a
 * resend after a crash, a timeout or a lost answer is the same instruction and the bank books it at
 * most once. When the outcome is unknown the module asks (pacs.028) before it resends; after the
 * resend window it reverses (pacs.007), which settles the original either way. Operations left
 * unresolved (the process died, the bank is down) are picked up by the recovery sweeper. Only the
 * holder of an operation's lease drives it, and every state change is a compare-and-set.
 */
export class BankingService {
  private readonly listeners = new Map<string, OutcomeListener[]>();
  private readonly walletIds = new Map<string, string>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private closed = false;
  private readonly leaseMs: number;

  constructor(private readonly d: BankingDeps) {
    this.leaseMs = (syncExchangesMax + 2) * d.settings.timeoutMs + 10_000;
  }

  /** True when a bank is configured: top-ups and withdrawals go through it. */
  get enabled(): boolean {
    return this.d.client !== undefined;
  }

  /**
   * Without a bank, development keeps the old behaviour (top-ups and withdrawals move money against
   * the clearing account only); production refuses them.
   */
  get clearingOnlyAllowed(): boolean {
    return this.d.client === undefined && !this.d.production;
  }

  // ---- account links ----------------------------------------------------------------------------

  /** Asks the bank to verify that this account is the user's (their MSISDN); the bank sends the holder a code. */
  async startLink(user: User, input: { accountNumber: string; currency: string }): Promise<Outcome<BankLinkView>> {
    const client = this.d.client;
    if (client === undefined) return { ok: false, code: "ERR_BANK_NOT_CONFIGURED" };
    if (!this.d.currencies.includes(input.currency)) return { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
    if (user.status !== "active") return { ok: false, code: "ERR_USER_SUSPENDED" };
    const since = new Date(this.d.clock() - 3_600_000);
    if ((await this.d.store.linksStartedSince("user", user.id, since)) >= linkAttemptsPerHourMax) return { ok: false, code: "ERR_BANK_LINK_LIMIT" };
    const link = await this.d.store.insertLink({ id: randomUUID(), partyType: "user", partyId: user.id, currency: input.currency, accountNumber: input.accountNumber, method: "msisdn" });
    const exchange = await client.link({
      header: client.header(`K${link.id.replaceAll("-", "").toUpperCase()}`), linkId: bankLinkIdOf(link.id), currency: input.currency,
      accountNumber: input.accountNumber, msisdn: user.msisdn,
    });
    return this.linkAnswer(link, exchange, "start");
  }

  /** Sends the code the user got from the bank; the right one activates the link and its mandate. */
  async confirmLink(user: User, linkId: string, code: string): Promise<Outcome<BankLinkView>> {
    const client = this.d.client;
    if (client === undefined) return { ok: false, code: "ERR_BANK_NOT_CONFIGURED" };
    const link = await this.d.store.link(linkId);
    if (link === undefined || link.partyType !== "user" || link.partyId !== user.id) return { ok: false, code: "ERR_NOT_FOUND" };
    if (link.status !== "pending") return link.status === "active" ? { ok: true, value: linkView(link) } : { ok: false, code: "ERR_BANK_LINK_FAILED" };
    const exchange = await client.confirmLink({ header: client.header(`Q${randomBytes(16).toString("hex").toUpperCase()}`), linkId: bankLinkIdOf(link.id), code });
    return this.linkAnswer(link, exchange, "confirm");
  }

  private async linkAnswer(link: BankLink, exchange: Exchange<LinkReport>, step: "start" | "confirm"): Promise<Outcome<BankLinkView>> {
    if (exchange.kind !== "answer") {
      this.d.onError(new Error(`bank link ${step}: ${exchange.kind === "unknown" ? exchange.reason : exchange.reject.reason}`));
      if (step === "start") await this.d.store.updatePendingLink(link.id, { status: "failed", reason: "bank unavailable", attemptsLeft: null });
      return { ok: false, code: "ERR_BANK_UNAVAILABLE" };
    }
    const report = exchange.value;
    if (report.status === "ACTV") {
      const active = await this.d.store.activateLink(link.id, report.mandateId ?? null, report.holderName!, new Date(this.d.clock()));
      return { ok: true, value: linkView(active!) };
    }
    if (report.status === "PDNG") {
      const pending = await this.d.store.updatePendingLink(link.id, { status: "pending", reason: null, attemptsLeft: report.attemptsLeft ?? null });
      return { ok: true, value: linkView(pending ?? link) };
    }
    if (report.reason === "CDWR") {
      await this.d.store.updatePendingLink(link.id, { status: "pending", reason: "wrong code", attemptsLeft: report.attemptsLeft ?? null });
      return { ok: false, code: "ERR_BANK_LINK_CODE_WRONG" };
    }
    await this.d.store.updatePendingLink(link.id, { status: "failed", reason: report.reason ?? "RJCT", attemptsLeft: 0 });
    return { ok: false, code: step === "start" ? "ERR_BANK_ACCOUNT_NOT_VERIFIED" : "ERR_BANK_LINK_FAILED" };
  }

  /**
   * Links a merchant's bank account by confirmation of payee: the bank checks the holder's name is the
   * merchant's legal name and answers at once. Credit-only (no mandate): for settlements.
   */
  async linkMerchantAccount(merchant: Merchant, input: { accountNumber: string; currency: string }): Promise<Outcome<BankLinkView>> {
    const client = this.d.client;
    if (client === undefined) return { ok: false, code: "ERR_BANK_NOT_CONFIGURED" };
    if (!this.d.currencies.includes(input.currency)) return { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
    if (merchant.status !== "approved") return { ok: false, code: "ERR_MERCHANT_NOT_APPROVED" };
    const since = new Date(this.d.clock() - 3_600_000);
    if ((await this.d.store.linksStartedSince("merchant", merchant.id, since)) >= linkAttemptsPerHourMax) return { ok: false, code: "ERR_BANK_LINK_LIMIT" };
    const link = await this.d.store.insertLink({ id: randomUUID(), partyType: "merchant", partyId: merchant.id, currency: input.currency, accountNumber: input.accountNumber, method: "name" });
    const exchange = await client.link({
      header: client.header(`K${link.id.replaceAll("-", "").toUpperCase()}`), linkId: bankLinkIdOf(link.id), currency: input.currency,
      accountNumber: input.accountNumber, holderName: plainText(merchant.legalName, 70) || "-",
    });
    return this.linkAnswer(link, exchange, "start");
  }

  async merchantLinks(merchantId: string): Promise<BankLinkView[]> {
    return (await this.d.store.links("merchant", merchantId, 20)).map(linkView);
  }

  async links(userId: string): Promise<BankLinkView[]> {
    return (await this.d.store.links("user", userId, 20)).map(linkView);
  }

  async linkedAccount(userId: Id, currency: string): Promise<LinkedAccount | undefined> {
    const link = await this.d.store.activeLink("user", userId, currency);
    return link === undefined ? undefined : { linkId: link.id, currency, accountMasked: mask(link.accountNumber), holderName: link.holderName!, canDebit: link.mandateId !== null };
  }

  // ---- operations: the API of other modules --------------------------------------------------------

  /** Takes `amount` from the user's linked bank account into the platform's settlement account. */
  debitUser(request: OperationRequest): Promise<BankOperationResult> {
    return this.partyOperation({ type: "user", id: request.userId }, "debit", request, false).then(resultOrRefusal);
  }

  /** Pays `amount` from the platform's settlement account into the user's linked bank account. */
  creditUser(request: OperationRequest): Promise<BankOperationResult> {
    return this.partyOperation({ type: "user", id: request.userId }, "credit", request, false).then(resultOrRefusal);
  }

  /**
   * Pays `amount` out of the merchant's balance to its linked bank account (settlements): the amount
   * is held on the merchant balance first, posted to the clearing account (code settlementPayout)
   * once the bank paid, released if it did not. Idempotent by operation id, like every operation.
   */
  async payMerchant(request: { operationId: Id; merchantId: Id; currency: string; amount: bigint; purpose: string; remittance?: string }): Promise<BankOperationResult> {
    return this.partyOperation({ type: "merchant", id: request.merchantId }, "credit", request, true).then(resultOrRefusal);
  }

  /**
   * Undoes an operation of another module: if the bank booked it the money goes back; if its outcome
   * is unknown the bank fences it. Resolves to reversed (or declined: it had been rejected anyway),
   * applied if the bank refused the reversal, or pending while the bank cannot be reached.
   */
  async reverse(operationId: Id): Promise<BankOperationResult> {
    let op = await this.d.store.operation(operationId);
    if (op === undefined) throw new ObolError("ERR_NOT_FOUND", `no bank operation ${operationId}`);
    if (op.ownLedger) throw new ObolError("ERR_FORBIDDEN", "top-ups and withdrawals are reversed by the banking module itself");
    if (op.state === "pending" || op.state === "applied") {
      op = (await this.d.store.transition(op.id, op.state, "reversing", { reason: "reversal requested" })) ?? (await this.d.store.operation(op.id))!;
    }
    return resultOf(await this.drive(op.id, "sync"));
  }

  async operation(operationId: Id): Promise<BankOperation | undefined> {
    return this.d.store.operation(operationId);
  }

  /**
   * Tells `listener` when an operation of this purpose reaches applied, declined or reversed (from
   * the request that created it, or later from the sweeper). At least once, not durable: a listener
   * must be idempotent, and a module that must not miss an outcome asks again with its operation id.
   */
  onOutcome(purpose: string, listener: OutcomeListener): void {
    this.listeners.set(purpose, [...(this.listeners.get(purpose) ?? []), listener]);
  }

  // ---- top-up and withdrawal --------------------------------------------------------------------------

  async topUp(user: User, input: { operationId: Id; amount: bigint; currency: string }): Promise<Outcome<BankMovement>> {
    return this.movement(user, "debit", input);
  }

  async withdraw(user: User, input: { operationId: Id; amount: bigint; currency: string }): Promise<Outcome<BankMovement>> {
    return this.movement(user, "credit", input);
  }

  async movementOf(userId: string, operationId: Id): Promise<BankMovement | undefined> {
    const op = await this.d.store.operation(operationId);
    return op === undefined || op.partyType !== "user" || op.partyId !== userId || !op.ownLedger ? undefined : movementOf(op);
  }

  private async movement(user: User, kind: OperationKind, input: { operationId: Id; amount: bigint; currency: string }): Promise<Outcome<BankMovement>> {
    if (!this.d.currencies.includes(input.currency)) return { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
    if (user.status !== "active") return { ok: false, code: "ERR_USER_SUSPENDED" };
    if (input.amount > this.d.bankTransferAmountMax) return { ok: false, code: "ERR_AMOUNT_LIMIT" };
    const op = await this.partyOperation({ type: "user", id: user.id }, kind, {
      operationId: input.operationId, currency: input.currency, amount: input.amount,
      purpose: kind === "debit" ? "top_up" : "withdrawal", remittance: kind === "debit" ? "Obol wallet top-up" : "Obol wallet withdrawal",
    }, true);
    if (typeof op === "string") return { ok: false, code: op };
    const movement = movementOf(op);
    if (movement.status === "declined" && op.reason !== null && op.reason.startsWith("ERR_")) return { ok: false, code: op.reason as ApiErrorCode };
    return { ok: true, value: movement };
  }

  /** Records (or finds) the operation, then drives it as far as the bank answers now. */
  private async partyOperation(party: { type: PartyType; id: Id }, kind: OperationKind, r: Omit<OperationRequest, "userId">, ownLedger: boolean): Promise<BankOperation | ApiErrorCode> {
    if (this.d.client === undefined) return "ERR_BANK_NOT_CONFIGURED";
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(r.purpose)) throw new ObolError("ERR_VALIDATION", "purpose must be a token [a-z][a-z0-9_]{0,31}");
    if (r.amount <= 0n) throw new ObolError("ERR_AMOUNT_INVALID", "amount must be positive");
    let op = await this.d.store.operation(r.operationId);
    if (op === undefined) {
      const link = await this.d.store.activeLink(party.type, party.id, r.currency);
      if (link === undefined || (kind === "debit" && link.mandateId === null)) return "ERR_BANK_ACCOUNT_NOT_LINKED";
      const ids = bankIdsOf(r.operationId, kind);
      op = await this.d.store.createOperation({
        id: r.operationId, kind, purpose: r.purpose, partyType: party.type, partyId: party.id, linkId: link.id, currency: r.currency, amount: r.amount,
        remittance: plainText(r.remittance ?? "", remittanceMax) || `Obol ${r.purpose.replaceAll("_", " ")}`, ...ids, ownLedger,
        nextAttemptAt: new Date(this.d.clock()),
      });
    }
    if (op.kind !== kind || op.partyType !== party.type || op.partyId !== party.id || op.amount !== r.amount || op.currency !== r.currency || op.purpose !== r.purpose || op.ownLedger !== ownLedger) {
      throw new ObolError("ERR_IDEMPOTENCY_MISMATCH", `bank operation ${r.operationId} exists with other parameters`);
    }
    return finalStates.includes(op.state) || (op.state === "applied" && !op.ownLedger) ? op : this.drive(op.id, "sync");
  }

  // ---- the driver ----------------------------------------------------------------------------------

  /** Takes the lease and moves the operation as far as it goes now. Another driver holding it: the state as stored. */
  private async drive(id: string, mode: "sync" | "sweep"): Promise<BankOperation> {
    const now = this.d.clock();
    const claimed = await this.d.store.claim(id, new Date(now), new Date(now + this.leaseMs));
    if (claimed === undefined) return (await this.d.store.operation(id))!;
    return this.driveClaimed(claimed, mode);
  }

  private async driveClaimed(claimed: BankOperation, mode: "sync" | "sweep"): Promise<BankOperation> {
    let op = claimed;
    try {
      op = await this.advance(op, mode);
    } finally {
      const delay = retryDelayMs(op.attempts, this.d.settings.retryMs, retryMsMax, this.d.random ?? Math.random);
      await this.d.store.release(op.id, new Date(this.d.clock() + delay));
    }
    return op;
  }

  private async advance(start: BankOperation, mode: "sync" | "sweep"): Promise<BankOperation> {
    let op = start;
    for (let step = 0; step < stepsPerDriveMax; step += 1) {
      const before = op.state;
      switch (op.state) {
        case "pending": op = await this.advancePending(op, mode); break;
        case "applied": op = await this.advanceApplied(op); break;
        case "reversing": op = await this.advanceReversing(op); break;
        default: return op;
      }
      if (op.state === before) return op; // waiting for the bank or the ledger
      if (op.state !== "pending" && op.state !== "reversing") await this.notify(op);
    }
    return op;
  }

  private async advancePending(op: BankOperation, mode: "sync" | "sweep"): Promise<BankOperation> {
    if (op.kind === "credit" && op.ownLedger && !op.holdPlaced) {
      const held = await this.placeHold(op);
      if (held !== "ok") return this.moved(op, "declined", { reason: held });
      op = (await this.d.store.update(op.id, "pending", { holdPlaced: true })) ?? (await this.reread(op));
      if (op.state !== "pending") return op;
    }
    const now = this.d.clock();
    if (op.firstSentAt !== null && now - op.firstSentAt.getTime() > this.d.settings.resendWindowMs) {
      return this.moved(op, "reversing", { reason: "outcome unknown after the resend window" });
    }
    const report = await this.resolveOriginal(op, mode);
    op = (await this.d.store.operation(op.id))!;
    if (report === undefined || op.state !== "pending") return op;
    const outcome = interpretOriginal(report);
    if ("resend" in outcome) return op;
    if (outcome.to === "applied") {
      failpoint(op.kind === "debit" ? "banking.after_bank_debit" : "banking.after_bank_credit");
      return this.moved(op, "applied", { bankReference: outcome.bankReference, reason: null });
    }
    await this.releaseHold(op);
    return this.moved(op, "declined", { reason: outcome.reason });
  }

  /**
   * Finds out what the bank did with the original, sending it when it has not got it: the first time
   * at once; later after a status request says NTFD. Undefined: no answer yet.
   */
  private async resolveOriginal(op: BankOperation, mode: "sync" | "sweep"): Promise<StatusReport | undefined> {
    const client = this.d.client!;
    let exchanges = 0;
    let mustAsk = op.firstSentAt !== null;
    const budget = mode === "sync" ? syncExchangesMax : syncExchangesMax + 1;
    while (exchanges < budget) {
      exchanges += 1;
      // Recorded before the message leaves: the resend window runs from the first send, crash or not.
      const recorded = await this.d.store.update(op.id, "pending", { attempts: op.attempts + exchanges, firstSentAt: new Date(this.d.clock()) });
      if (recorded === undefined) return undefined;
      if (mustAsk) {
        const status = await client.status({ header: client.header(`Q${randomBytes(16).toString("hex").toUpperCase()}`), originalMsgId: op.msgId, originalEndToEndId: op.endToEndId });
        if (status.kind !== "answer") return this.unanswered(op, status);
        if (status.value.status !== "NTFD") return status.value;
        mustAsk = false;
        continue;
      }
      const link = await this.d.store.link(op.linkId);
      const answer = await client.instruct({
        direction: op.kind, header: client.header(op.msgId), endToEndId: op.endToEndId, amount: op.amount, currency: op.currency,
        remittance: op.remittance, customerAccount: link!.accountNumber, mandateId: link!.mandateId ?? undefined,
      });
      if (answer.kind === "answer") return answer.value;
      this.unanswered(op, answer);
      mustAsk = true;
    }
    return undefined;
  }

  private unanswered(op: BankOperation, exchange: Exchange<unknown>): undefined {
    if (exchange.kind === "rejected") this.d.onError(new Error(`bank refused a message of operation ${op.id}: ${exchange.reject.reason} ${exchange.reject.description}`));
    return undefined;
  }

  private async advanceApplied(op: BankOperation): Promise<BankOperation> {
    if (!op.ownLedger) return op;
    failpoint("banking.before_ledger");
    const leg = await this.ledgerLeg(op);
    if (leg === "ok") return this.moved(op, "completed", {});
    if (leg === "transient") return op;
    // The ledger refuses the top-up for good (the wallet is frozen or would overflow): give the money back.
    return this.moved(op, "reversing", { reason: leg });
  }

  private async advanceReversing(op: BankOperation): Promise<BankOperation> {
    const client = this.d.client!;
    await this.d.store.update(op.id, "reversing", { attempts: op.attempts + 1 });
    const answer = await client.reverse({
      header: client.header(op.reversalMsgId), originalMsgId: op.msgId, originalEndToEndId: op.endToEndId, amount: op.amount, currency: op.currency,
      reason: "MS03", // reason not specified: the same reversal message on every resend
    });
    if (answer.kind !== "answer") {
      this.unanswered(op, answer);
      return (await this.d.store.operation(op.id))!;
    }
    const outcome = interpretReversal(answer.value);
    if (outcome === undefined) {
      this.d.onError(new Error(`bank answered a reversal of ${op.id} without a result`));
      return (await this.d.store.operation(op.id))!;
    }
    if (outcome.to === "applied") {
      // The bank refused the reversal because the original stands: it is booked, whatever we hoped.
      const status = answer.value.status === "RJCT" ? await client.status({ header: client.header(`Q${randomBytes(16).toString("hex").toUpperCase()}`), originalMsgId: op.msgId, originalEndToEndId: op.endToEndId }) : undefined;
      const reference = status?.kind === "answer" && status.value.status === "ACSC" ? status.value.bankReference : op.bankReference;
      if (reference === null || reference === undefined) return (await this.d.store.operation(op.id))!;
      return this.moved(op, "applied", { reason: outcome.reason, bankReference: reference });
    }
    await this.releaseHold(op);
    if (outcome.to === "declined") return this.moved(op, "declined", { reason: "rejected by the bank (ORJT)" });
    return this.moved(op, "reversed", { reversalResult: outcome.result, reversalReference: outcome.reversalReference });
  }

  /** A compare-and-set transition; if someone else moved the operation first, the stored state wins. */
  private async moved(op: BankOperation, to: BankOperation["state"], changes: Parameters<BankingStore["transition"]>[3]): Promise<BankOperation> {
    return (await this.d.store.transition(op.id, op.state, to, changes)) ?? (await this.reread(op));
  }

  private async reread(op: BankOperation): Promise<BankOperation> {
    return (await this.d.store.operation(op.id))!;
  }

  private async notify(op: BankOperation): Promise<void> {
    for (const listener of this.listeners.get(op.purpose) ?? []) {
      try {
        await listener(op);
      } catch (error) {
        this.d.onError(error);
      }
    }
  }

  // ---- the banking module's own ledger legs (top-up, withdrawal) ---------------------------------------

  /** Withdrawal: reserve the amount in the wallet before the bank is asked to pay it out. */
  private async placeHold(op: BankOperation): Promise<"ok" | ApiErrorCode> {
    const result = await this.submit({
      id: ledgerIdOf(op.id, "hold"), kind: "pending", debitAccountId: await this.partyAccount(op),
      creditAccountId: await this.clearing(op.currency), amount: op.amount, timeoutMs: 0, code: payoutCode(op), userData: `op:${op.id}`,
    });
    if (result === "ok" || result === "exists") return "ok";
    if (result === "insufficient_funds") return "ERR_INSUFFICIENT_FUNDS";
    if (result === "account_frozen") return "ERR_ACCOUNT_FROZEN";
    throw new Error(`ledger refused a withdrawal hold: ${result}`);
  }

  /** Withdrawal declined or reversed: release the hold (idempotent; nothing to release is fine). */
  private async releaseHold(op: BankOperation): Promise<void> {
    if (op.kind !== "credit" || !op.ownLedger) return;
    const result = await this.submit({ id: ledgerIdOf(op.id, "void"), kind: "void_pending", pendingId: ledgerIdOf(op.id, "hold"), code: payoutCode(op) });
    if (!["ok", "exists", "pending_transfer_not_found", "pending_transfer_already_voided"].includes(result)) throw new Error(`ledger refused to release a withdrawal hold: ${result}`);
  }

  /** After the bank booked it: credit the wallet (top-up) or post the hold (withdrawal). */
  private async ledgerLeg(op: BankOperation): Promise<"ok" | "transient" | ApiErrorCode> {
    const userData = bankUserData(op.bankReference!);
    const transfer: TransferInput = op.kind === "debit"
      ? { id: ledgerIdOf(op.id, "wallet"), kind: "posted", debitAccountId: await this.clearing(op.currency), creditAccountId: await this.partyAccount(op), amount: op.amount, code: ledgerCodes.topUp, userData }
      : { id: ledgerIdOf(op.id, "post"), kind: "post_pending", pendingId: ledgerIdOf(op.id, "hold"), code: payoutCode(op), userData };
    const result = await this.submit(transfer);
    if (result === "ok" || result === "exists") return "ok";
    if (op.kind === "credit" && result === "account_frozen") return "transient"; // the payout happened: post once unfrozen
    if (result === "account_frozen") return "ERR_ACCOUNT_FROZEN";
    if (result === "overflow") return "ERR_AMOUNT_LIMIT";
    throw new Error(`ledger refused the ${op.purpose} of operation ${op.id}: ${result}`);
  }

  private async submit(transfer: TransferInput): Promise<ResultCode> {
    return (await this.d.ledger.submit([transfer]))[0]!;
  }

  /** The party's own ledger account: a user's wallet, a merchant's balance. Ids never change: cached. */
  private async partyAccount(op: BankOperation): Promise<string> {
    const key = `${op.partyType}/${op.partyId}/${op.currency}`;
    const cached = this.walletIds.get(key);
    if (cached !== undefined) return cached;
    const kind = op.partyType === "user" ? walletKind : merchantBalanceKind;
    const found = (await this.d.ledger.accountsOf(op.partyType, op.partyId)).find((a) => a.kind === kind && a.currency === op.currency);
    if (found === undefined) throw new Error(`${op.partyType} ${op.partyId} has no ${op.currency} ${kind} account`);
    if (this.walletIds.size > 100_000) this.walletIds.clear();
    this.walletIds.set(key, found.id);
    return found.id;
  }

  private async clearing(currency: string): Promise<string> {
    return (await this.d.ledger.platformAccount(bankClearingKind, currency, randomUUID)).id;
  }

  // ---- reconciliation --------------------------------------------------------------------------------

  /**
   * Compares every movement of the clearing account (by the bank reference its transfer carries)
   * with every entry of the bank's statement of the settlement account (camt.053, all pages).
   */
  async reconcile(currency: string): Promise<ReconciliationReport | ApiErrorCode> {
    const client = this.d.client;
    if (client === undefined) return "ERR_BANK_NOT_CONFIGURED";
    if (!this.d.currencies.includes(currency)) return "ERR_CURRENCY_UNSUPPORTED";
    const clearing = await this.clearing(currency);
    const ledger: LedgerLine[] = [];
    for (let before: bigint | undefined; ;) {
      const page = await this.d.ledger.history(clearing, { limit: 100, ...(before === undefined ? {} : { beforeSeq: before }) });
      for (const entry of page) ledger.push({ reference: bankReferenceOf(entry.userData), amount: -entry.amount, transferId: entry.transferId, code: entry.code });
      if (page.length < 100) break;
      before = page.at(-1)!.seq;
    }
    const bank: BankLine[] = [];
    let bankBalance = 0n;
    for (let after = 0n, pages = 0; ; pages += 1) {
      if (pages > 100_000) throw new Error("the bank's statement does not end");
      const exchange = await client.statement({ header: client.header(`S${randomBytes(16).toString("hex").toUpperCase()}`), currency, afterEntry: after, entriesMax: 50 });
      if (exchange.kind !== "answer") return "ERR_BANK_UNAVAILABLE";
      const page = exchange.value;
      for (const e of page.entries) bank.push({ reference: e.bankReference, amount: e.side === "CRDT" ? e.amount : -e.amount, entryRef: e.entryRef, msgId: e.msgId });
      bankBalance = page.closingBalance;
      if (page.lastPage || page.entries.length === 0) break;
      after = page.entries.at(-1)!.entryRef;
    }
    const result = reconcile(ledger, bank, await this.d.store.reversedPairs(currency));
    const cut = await this.d.ledger.cut(clearing);
    return {
      currency, generatedAt: new Date(this.d.clock()).toISOString(), ledgerLines: ledger.length, bankLines: bank.length,
      matched: result.matched, offsetting: result.offsetting, mismatches: [...result.mismatches], ledgerBalance: -cut.posted, bankBalance,
    };
  }

  // ---- recovery ------------------------------------------------------------------------------------

  /** Drives every due, unresolved operation once (one at a time: each holds its lease while it runs). */
  async sweepOnce(limit = 50): Promise<number> {
    let driven = 0;
    while (driven < limit && !this.closed) {
      const now = this.d.clock();
      const [op] = await this.d.store.claimDue(new Date(now), new Date(now + this.leaseMs), 1);
      if (op === undefined) break;
      await this.driveClaimed(op, "sweep");
      driven += 1;
    }
    return driven;
  }

  startSweeper(): void {
    if (this.d.client === undefined) return;
    const intervalMs = this.d.settings.sweepIntervalMs;
    const backoff = new OutageBackoff();
    const tick = () => {
      let delayMs = intervalMs;
      this.sweeping = this.sweepOnce().then(() => { delayMs = backoff.next(intervalMs); }, (error) => { delayMs = backoff.next(intervalMs, error); this.d.onError(error); }).finally(() => {
        this.sweeping = undefined;
        if (this.sweeper !== undefined && !this.closed) this.sweeper = setTimeout(tick, delayMs).unref();
      });
    };
    this.sweeper = setTimeout(tick, 0).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sweeper !== undefined) clearTimeout(this.sweeper);
    this.sweeper = undefined;
    await this.sweeping;
  }
}

/** The code of a payout's hold and posting: a user's withdrawal, or a merchant's settlement. */
function payoutCode(op: BankOperation): number {
  return op.partyType === "user" ? ledgerCodes.withdrawal : ledgerCodes.settlementPayout;
}

function resultOrRefusal(op: BankOperation | ApiErrorCode): BankOperationResult {
  return typeof op === "string" ? { status: "declined", reason: op } : resultOf(op);
}

export function resultOf(op: BankOperation): BankOperationResult {
  switch (op.state) {
    case "applied":
      // An operation with its own ledger leg is applied for its caller once that leg is posted too.
      return op.ownLedger ? { status: "pending" } : { status: "applied", bankReference: op.bankReference! };
    case "completed":
      return { status: "applied", bankReference: op.bankReference! };
    case "declined":
      return { status: "declined", reason: op.reason ?? "RJCT" };
    case "reversed":
      return { status: "reversed", reason: op.reason ?? op.reversalResult ?? "reversed" };
    default:
      return { status: "pending" };
  }
}

function movementOf(op: BankOperation): BankMovement {
  const status = op.state === "completed" ? "completed" : op.state === "declined" ? "declined" : op.state === "reversed" ? "reversed" : "pending";
  return {
    operationId: op.id, kind: op.kind === "debit" ? "top_up" : "withdrawal", status, amount: op.amount.toString(), currency: op.currency,
    bankReference: op.bankReference, transferId: status === "completed" ? ledgerIdOf(op.id, op.kind === "debit" ? "wallet" : "post") : null,
    reason: status === "completed" || status === "pending" ? null : op.reason, createdAt: op.createdAt.toISOString(),
  };
}

function linkView(link: BankLink): BankLinkView {
  return {
    linkId: link.id, currency: link.currency, accountMasked: mask(link.accountNumber),
    status: link.status === "pending" ? "awaiting_code" : link.status, holderName: link.holderName, attemptsLeft: link.attemptsLeft,
    reason: link.reason, createdAt: link.createdAt.toISOString(),
  };
}

/** Free text for a bank message field: no control characters (ISO Max140Text/Max70Text), trimmed to `max`. */
function plainText(text: string, max: number): string {
  // By code point, so a cut never splits a surrogate pair.
  return Array.from(text.replace(/[\u0000-\u001f\u007f]+/g, " ").trim()).slice(0, max).join("").trim();
}

function mask(accountNumber: string): string {
  return `${"•".repeat(Math.max(0, accountNumber.length - maskedDigits))}${accountNumber.slice(-maskedDigits)}`;
}

export type { PartyType };
