import { randomBytes } from "node:crypto";
import { fromHex, idKey, toHex, wallet, type Rng } from "@obol/svs";
import { ObolError } from "../errors/obol-error.js";
import { must } from "./must.js";
import { merchantCatalogue, merchantDescriptorAt, payMerchant } from "./merchant-client.js";
import { toPublicParams, type EcashPlatformClient } from "./platform-client.js";

/** Where the wallet state lives between calls: written before every message that depends on it is sent. */
export interface WalletStore {
  save(state: wallet.WalletState): Promise<void>;
}

export interface TokenView {
  sn: string;
  payee: string;
  amount: bigint;
  spent: bigint;
  remaining: bigint;
  expMs: number;
}

export interface Confirmation {
  d2: Uint8Array;
  view: wallet.ConfirmationRequestView;
  merchantName: string | null;
}

export type PaymentResult = wallet.PaymentOutcome & { sn: string; item: string; price: bigint; remaining: bigint };

/**
 * The wallet side (U) of SVS1-M over HTTP: enrolment with the platform (after the user's login), withdrawals
 * into tokens bound to one merchant, payments straight to the merchant's server, and answers to the platform's
 * deposit confirmations. The protocol is @obol/svs's; this class persists its state before each message that
 * depends on it and resends an unanswered message (the same bytes) before starting a new one.
 */
export class EcashWallet {
  private readonly rng: Rng;

  constructor(
    private state: wallet.WalletState,
    private readonly store: WalletStore,
    private readonly platform: EcashPlatformClient,
    private readonly clock: () => number = Date.now,
    rng?: Rng,
  ) {
    this.rng = rng ?? ((n) => new Uint8Array(randomBytes(n)));
  }

  get current(): wallet.WalletState {
    return this.state;
  }

  get identity(): string | null {
    return this.state.credential?.id ?? null;
  }

  /** R1 → R3 with the no-escrow enrolment: the platform never learns s_U. The parameters are pinned here. */
  async register(): Promise<{ id: string; notAfterMs: number }> {
    if (this.state.credential !== null) return { id: this.state.credential.id, notAfterMs: this.state.credential.notAfterMs };
    let r1 = wallet.resendWalletEnrolment(this.state);
    if (r1 === null) {
      const params = toPublicParams(await this.platform.params());
      const { id } = await this.platform.registration();
      const started = must(wallet.startWalletEnrolment(this.state, params, id, this.rng));
      await this.commit(started.state);
      r1 = started.request;
    }
    const r3 = await this.platform.register(r1);
    const finished = must(wallet.finishWalletEnrolment(this.state, r3, this.clock()));
    await this.commit(finished.state);
    return { id: finished.state.credential!.id, notAfterMs: finished.state.credential!.notAfterMs };
  }

  /**
   * Learns a merchant from its own server (ID_P, V_P, notAfter) and checks it against the platform's directory,
   * which also gives the name to show. Caches Y_P (1 T_mul).
   */
  async addMerchant(merchantUrl: string): Promise<{ id: string; legalName: string }> {
    const offered = await merchantDescriptorAt(merchantUrl);
    const listed = await this.platform.merchant(offered.id);
    if (listed.v !== offered.v || listed.notAfterMs !== offered.notAfterMs || listed.status !== "ACTIVE") {
      throw new ObolError("ERR_ECASH_UNKNOWN_MERCHANT", `${merchantUrl} is not the merchant the platform registered as ${offered.id}`);
    }
    await this.commit(must(wallet.addMerchant(this.state, { id: offered.id, v: fromHex(offered.v), notAfterMs: offered.notAfterMs })).state);
    return { id: offered.id, legalName: listed.legalName };
  }

  /** W1 → W2: a token of `amount` spendable only at `payee` (svs-protocol.md §3 #6). The W1 is kept until W2 is in. */
  async withdraw(amount: bigint, payee: string): Promise<TokenView> {
    const started = must(wallet.startWithdrawal(this.state, { amount, payee }, this.clock(), this.rng));
    await this.commit(started.state);
    return this.completeWithdrawal(started.withdrawalId, started.request);
  }

  /** Resends each W1 still waiting for its W2 (the same bytes: N answers from its cache, §2.4 U step 2). */
  async finishPendingWithdrawals(): Promise<{ recovered: TokenView[]; abandoned: number }> {
    const recovered: TokenView[] = [];
    let abandoned = 0;
    for (const withdrawalId of Object.keys(this.state.withdrawals)) {
      const resent = wallet.resendWithdrawal(this.state, withdrawalId, this.clock());
      if (!resent.ok) {
        // Past Δ the platform refuses the W1: if it had issued the token, the escrow comes back at expiry.
        await this.commit(wallet.abandonWithdrawal(this.state, withdrawalId));
        abandoned += 1;
        continue;
      }
      recovered.push(await this.completeWithdrawal(withdrawalId, resent.request));
    }
    return { recovered, abandoned };
  }

  private async completeWithdrawal(withdrawalId: string, w1: Uint8Array): Promise<TokenView> {
    const w2 = await this.platform.withdraw(w1);
    const got = must(wallet.handleW2(this.state, withdrawalId, w2, this.clock()));
    await this.commit(got.state);
    return this.tokens().find((t) => t.sn === toHex(got.token.sn))!;
  }

  tokens(): TokenView[] {
    return wallet.listTokens(this.state);
  }

  /**
   * Pays `item` at the merchant's server: P1 on the first payment of a token there (2 T_mul), Pj afterwards
   * (a hash ratchet, 0 T_mul). The price is the merchant's catalogue price unless given. A payment of this token
   * still waiting for its reply is resent first.
   */
  async pay(order: { merchantUrl: string; item: string; price?: bigint; sn?: string }): Promise<PaymentResult> {
    const merchant = await merchantDescriptorAt(order.merchantUrl);
    if (this.state.merchants[idKey(merchant.id)] === undefined) await this.addMerchant(order.merchantUrl);
    const price = order.price ?? (await merchantCatalogue(order.merchantUrl)).find((entry) => entry.item === order.item)?.price;
    if (price === undefined) throw new ObolError("ERR_ECASH_UNKNOWN_ITEM", `${order.item} is not in the merchant's catalogue`);
    const sn = order.sn ?? this.chooseToken(merchant.id, price);
    await this.finishPaymentsInFlight(order.merchantUrl, sn);
    const goodsInfo = Buffer.from(order.item, "utf8");
    const started = must(wallet.pay(this.state, { sn, merchantId: merchant.id, goodsInfo, price }, this.clock(), this.rng));
    await this.commit(started.state);
    const outcome = await this.deliver(order.merchantUrl, started.sid, started.request);
    const token = this.tokens().find((t) => t.sn === sn)!;
    return { ...outcome, sn, item: order.item, price, remaining: token.remaining };
  }

  /** Resends the unanswered payment of each session of this token, so that U and P agree on spent[SN]. */
  private async finishPaymentsInFlight(merchantUrl: string, sn: string): Promise<void> {
    for (const [sid, session] of Object.entries(this.state.sessions)) {
      if (toHex(session.sn) !== sn || session.inFlight === null) continue;
      await this.deliver(merchantUrl, sid, session.inFlight.request);
    }
  }

  private async deliver(merchantUrl: string, sid: string, request: Uint8Array): Promise<wallet.PaymentOutcome> {
    const reply = await payMerchant(merchantUrl, request);
    const handled = must(wallet.handlePaymentReply(this.state, sid, reply, this.clock()));
    await this.commit(handled.state);
    return handled.outcome;
  }

  /** The token to pay with: the first of this merchant's that covers the price, else the fullest (which refuses). */
  private chooseToken(merchantId: string, price: bigint): string {
    const usable = this.tokens().filter((t) => t.payee === merchantId && t.expMs > this.clock());
    if (usable.length === 0) throw new ObolError("ERR_SVS_UNKNOWN_TOKEN", `no token for ${merchantId}: withdraw one first`);
    const covering = usable.find((t) => t.remaining >= price);
    return (covering ?? usable.reduce((a, b) => (b.remaining > a.remaining ? b : a))).sn;
  }

  /** The deposits waiting for this user's answer, compared with the wallet's own log. */
  async confirmations(waitMs: number): Promise<Confirmation[]> {
    const names = new Map<string, string | null>();
    const found: Confirmation[] = [];
    for (const d2 of await this.platform.confirmations(waitMs)) {
      const inspected = wallet.inspectConfirmation(this.state, d2);
      if (!inspected.ok) throw new ObolError("ERR_ECASH_BAD_ANSWER", `a confirmation request does not open: ${inspected.failure.message}`);
      const merchantId = inspected.request.merchantId;
      if (!names.has(merchantId)) names.set(merchantId, await this.platform.merchant(merchantId).then((m) => m.legalName, () => null));
      found.push({ d2, view: inspected.request, merchantName: names.get(merchantId) ?? null });
    }
    return found;
  }

  /** D3. A request that does not match the log is always refused, whatever `decision` says (§2.7 U step 2). */
  async confirm(d2: Uint8Array, decision: "ACCEPT" | "REJECT"): Promise<{ decision: "ACCEPT" | "REJECT"; ignored: boolean }> {
    const answered = must(wallet.answerConfirmation(this.state, d2, decision, this.clock(), this.rng));
    await this.commit(answered.state);
    const result = await this.platform.confirm(answered.request);
    return { decision: answered.decision, ignored: result.ignored };
  }

  private async commit(state: wallet.WalletState): Promise<void> {
    await this.store.save(state);
    this.state = state;
  }
}
