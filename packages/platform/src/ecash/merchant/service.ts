import { randomBytes } from "node:crypto";
import { merchant, toHex, type DepositItemStatus, type Rng, type SvsFailure } from "@obol/svs";
import { Mutex } from "../../db/mutex.js";
import { ObolError } from "../../errors/obol-error.js";
import { must } from "../must.js";
import { toPublicParams, type EcashPlatformClient } from "../platform-client.js";
import type { MerchantStore } from "./store.js";

export interface RecordView {
  sn: string;
  j: number;
  item: string;
  price: string;
  cum: string;
  status: string;
  depId: string | null;
}

export interface DepositView {
  depId: string;
  createdAtMs: number;
  tokens: { sn: string; status: DepositItemStatus | "SENT"; amount: string }[];
}

export type PaymentAnswer =
  | { ok: true; reply: Uint8Array; payment: merchant.MerchantPayment }
  | { ok: false; failure: SvsFailure };

/**
 * The merchant side (P) of SVS1-M: takes payments straight from wallets (no platform round trip), keeps
 * sessions, spent totals and records in its local database, and deposits them with the platform. One state,
 * changed by one call at a time (a mutex), each change committed before its answer leaves.
 */
export class MerchantEcash {
  private readonly mutex = new Mutex();
  private readonly rng: Rng;

  constructor(private readonly store: MerchantStore, private readonly clock: () => number = Date.now, rng?: Rng) {
    this.rng = rng ?? ((n) => new Uint8Array(randomBytes(n)));
  }

  get platformUrl(): string {
    return this.store.platformUrl;
  }

  /** (ID_P, V_P, notAfter), published by the server for wallets. */
  offer(): { id: string; v: string; notAfterMs: number } {
    const descriptor = merchant.merchantDescriptor(this.store.current);
    if (descriptor === null) throw new ObolError("ERR_ECASH_NO_MERCHANT", "this merchant is not registered: run obol merchant ecash register");
    return { id: descriptor.id, v: toHex(descriptor.v), notAfterMs: descriptor.notAfterMs };
  }

  /** R1 → R3 with the no-escrow enrolment (the platform never learns s_P), after the merchant's API-key login. */
  async register(platform: EcashPlatformClient): Promise<{ id: string; notAfterMs: number }> {
    return this.exclusive(async () => {
      const existing = this.store.current.credential;
      if (existing !== null) return { id: existing.id, notAfterMs: existing.notAfterMs };
      let r1 = this.store.current.enrolment?.r1 ?? null;
      if (r1 === null) {
        const params = toPublicParams(await platform.params());
        const { id, role } = await platform.registration();
        if (role !== "P") throw new ObolError("ERR_USAGE", "the platform login is not a merchant's API key");
        const started = must(merchant.startMerchantEnrolment(this.store.current, params, id, this.rng));
        await this.store.commit(started.state);
        r1 = started.request;
      }
      const finished = must(merchant.finishMerchantEnrolment(this.store.current, await platform.register(r1), this.clock()));
      await this.store.commit(finished.state);
      return { id: finished.state.credential!.id, notAfterMs: finished.state.credential!.notAfterMs };
    });
  }

  /** P1 or Pj from a wallet (§2.5-§2.6). The state is committed (also after a failure that changes it) before the reply. */
  async pay(request: Uint8Array, catalogue: merchant.Catalogue): Promise<PaymentAnswer> {
    return this.exclusive(async () => {
      const outcome = merchant.handlePayment(this.store.current, request, { now: this.clock(), rng: this.rng, catalogue });
      await this.store.commit(outcome.state);
      return outcome.ok ? { ok: true, reply: outcome.reply, payment: outcome.payment } : { ok: false, failure: outcome.failure };
    });
  }

  /**
   * Brings every deposit up to date (D4 from the platform; a D1 the platform never saw is sent again while
   * fresh, else its records go back to the next deposit), then deposits every record not yet deposited (D1).
   */
  async deposit(platform: EcashPlatformClient): Promise<{ deposits: DepositView[]; sent: string | null }> {
    return this.exclusive(async () => {
      await this.refresh(platform);
      const started = merchant.startDeposit(this.store.current, this.clock(), this.rng);
      let sent: string | null = null;
      if (started.ok) {
        await this.store.commit(started.state);
        sent = started.depId;
        await this.handleD4(await platform.deposit(started.request));
      } else if (started.failure.code !== "ERR_SVS_NOTHING_TO_DEPOSIT") {
        throw new ObolError(started.failure.code, started.failure.message);
      }
      return { deposits: this.deposits(), sent };
    });
  }

  private async refresh(platform: EcashPlatformClient): Promise<void> {
    const freshnessWindowMs = this.store.current.credential?.params.freshnessWindowMs ?? 0;
    for (const [depId, deposit] of Object.entries(this.store.current.deposits)) {
      const statuses = deposit.sns.map((sn) => deposit.results[sn]?.status);
      if (statuses.every((s) => s === "SETTLED" || s === "DISPUTED" || s === "REJECTED")) continue;
      const d4 = await platform.depositResult(depId);
      if (d4 !== null) {
        await this.handleD4(d4);
      } else if (this.clock() - deposit.createdAtMs <= freshnessWindowMs) {
        await this.handleD4(await platform.deposit(merchant.resendDeposit(this.store.current, depId)!));
      } else {
        await this.store.commit(merchant.abandonDeposit(this.store.current, depId));
      }
    }
  }

  private async handleD4(d4: Uint8Array): Promise<void> {
    await this.store.commit(must(merchant.handleD4(this.store.current, d4, this.clock())).state);
  }

  deposits(): DepositView[] {
    return Object.entries(this.store.current.deposits).map(([depId, d]) => ({
      depId,
      createdAtMs: d.createdAtMs,
      tokens: d.sns.map((sn) => ({ sn, status: d.results[sn]?.status ?? "SENT", amount: (d.results[sn]?.amount ?? 0n).toString() })),
    }));
  }

  /** Every payment record, oldest first per token, with its deposit status. */
  records(): RecordView[] {
    return Object.values(this.store.current.tokens).flatMap((token) => token.records.map((r) => ({
      sn: toHex(token.sn), j: r.record.j, item: Buffer.from(r.goodsInfo).toString("utf8"), price: r.record.price.toString(),
      cum: r.record.cum.toString(), status: r.status, depId: r.depId,
    })));
  }

  /** Drops seenR entries older than 2Δ (§2.0). */
  async prune(): Promise<void> {
    await this.exclusive(() => this.store.commit(merchant.pruneSeen(this.store.current, this.clock())));
  }

  close(): Promise<void> {
    return this.exclusive(() => this.store.close());
  }

  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.mutex.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }
}

