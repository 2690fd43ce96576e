import { createHash, randomBytes, randomUUID } from "node:crypto";
import { freshnessWindowMsDefault, idKey, messages, platform, stateChanges, stateFromJson, toHex, type Rng, type SvsFailure } from "@obol/svs";
import { sql, type Kysely } from "kysely";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import { failpoint } from "../../failpoints.js";
import { transferIdFor } from "../idempotency/service.js";
import type { LedgerService } from "../ledger/index.js";
import { ledgerCodes } from "../ledger-codes.js";
import { merchantBalanceKind, walletKind, type Merchant, type PartiesService, type User } from "../parties/service.js";
import type { EcashConfig } from "./config.js";
import { defaultFailureLimits, FailureLimiter } from "./failure-limiter.js";
import { compressedPublicKey, loadOrCreateEcashKeys } from "./keys.js";
import { LedgerMoves, type Move } from "./moves.js";
import { InboxNotifier } from "./notifier.js";
import { EntrySealer } from "./sealed-entries.js";
import { EcashStore } from "./store.js";
import { OutageBackoff } from "../../db/unavailable.js";

/** The platform account that holds the money of every unspent e-cash token. */
export const escrowKind = "ecash_escrow";
/** How long a withdrawal's reservation waits for its post (a crash between the two is recovered within it). */
export const reservationTimeoutMs = 10 * 60_000;
/** D2s one poll returns at most. */
export const confirmationsPerPollMax = 16;
/** Longest a poll for D2s may wait. */
export const confirmationWaitMsMax = 25_000;
/** Outstanding ledger moves the sweeper applies per round, and how old they must be (a live request applies its own). */
const sweepMovesMax = 100;
const sweepMoveAgeMs = 2_000;
const sweepTokensMax = 100;

export type EcashResult<T> = { ok: true; value: T } | { ok: false; code: ApiErrorCode; reason?: string };
export type EcashParty = { type: "user"; user: User } | { type: "merchant"; merchant: Merchant };

export interface EcashDeps {
  db: Kysely<any>;
  ledger: LedgerService;
  parties: PartiesService;
  clock: () => number;
  settings: EcashConfig;
  /** Seals N's keys at rest (the platform's key passphrase). */
  passphrase: string;
  rng?: Rng;
}

/**
 * N, the platform side of SVS1-M (svs-protocol.md), on top of the pure @obol/svs handlers: this service loads the
 * state entries a message needs under locks, runs the handler, writes the new state together with the ledger
 * moves it implies (outbox) in one transaction, applies the moves with deterministic transfer ids, and only
 * then answers. Callers are authenticated by the platform first (user bearer token, merchant API key); the
 * SVS identity they use must be their own.
 */
export class EcashService {
  readonly config: platform.PlatformConfig;
  private readonly store: EcashStore;
  private readonly moves: LedgerMoves;
  private readonly inbox = new InboxNotifier();
  private readonly limiter: FailureLimiter;
  private readonly rng: Rng;
  private readonly accounts = new Map<string, string>();
  private sweeper: NodeJS.Timeout | undefined;

  private constructor(private readonly deps: Omit<EcashDeps, "passphrase">, keys: platform.PlatformKeys, private readonly escrowAccountId: string) {
    const { settings } = deps;
    this.config = {
      keys,
      params: { idN: settings.operatorId, qN: compressedPublicKey(keys.x), qNSig: compressedPublicKey(keys.xSig), freshnessWindowMs: freshnessWindowMsDefault },
      policy: { withdrawAmountMax: settings.withdrawAmountMax, tokenTtlMs: settings.tokenTtlMs, depositGraceMs: settings.depositGraceMs },
    };
    this.store = new EcashStore(new EntrySealer(keys.x));
    this.moves = new LedgerMoves(deps.ledger, deps.clock);
    this.limiter = new FailureLimiter(deps.clock, { ...defaultFailureLimits, failuresMax: settings.rejectionsPerMinuteMax, windowMs: 60_000 });
    this.rng = deps.rng ?? ((n) => new Uint8Array(randomBytes(n)));
  }

  static async open(deps: EcashDeps): Promise<EcashService> {
    const keys = await loadOrCreateEcashKeys(deps.db, deps.passphrase);
    const escrow = await deps.ledger.platformAccount(escrowKind, deps.settings.currency, randomUUID);
    const { passphrase: _secret, ...rest } = deps;
    return new EcashService(rest, keys, escrow.id);
  }

  get currency(): string {
    return this.deps.settings.currency;
  }

  get escrowAccount(): string {
    return this.escrowAccountId;
  }

  /** What wallets and merchants pin (§2.1 I4). */
  publicParams() {
    const { params, policy } = this.config;
    return {
      idN: params.idN, qN: toHex(params.qN), qNSig: toHex(params.qNSig), freshnessWindowMs: params.freshnessWindowMs,
      currency: this.currency, withdrawAmountMax: policy.withdrawAmountMax.toString(), tokenTtlMs: policy.tokenTtlMs, depositGraceMs: policy.depositGraceMs,
    };
  }

  /** The SVS identity of a platform party: fixed by the platform, so nobody can take another's name. */
  identityOf(party: EcashParty): { id: string; role: "U" | "P" } {
    return party.type === "user" ? { id: `user:${party.user.id}`, role: "U" } : { id: `merchant:${party.merchant.id}`, role: "P" };
  }

  async registration(party: EcashParty): Promise<{ id: string; role: "U" | "P"; registered: boolean; notAfterMs: number | null }> {
    const identity = this.identityOf(party);
    const rows = (await sql<{ not_after_ms: bigint }>`
      SELECT not_after_ms FROM ecash_registry WHERE key = ${idKey(identity.id)}`.execute(this.deps.db)).rows;
    return { ...identity, registered: rows.length > 0, notAfterMs: rows[0] === undefined ? null : Number(rows[0].not_after_ms) };
  }

  /** R1 → R3 (§2.2, no-escrow enrolment SVS1-M-NE). A retried identical R1 gets the same R3. */
  async register(party: EcashParty, r1: Uint8Array): Promise<EcashResult<Uint8Array>> {
    if (party.type === "merchant" && party.merchant.status !== "approved") return { ok: false, code: "ERR_MERCHANT_NOT_APPROVED" };
    const limited = this.checkLimit(party);
    if (limited !== undefined) return limited;
    const { id, role } = this.identityOf(party);
    const account = await this.accountOf(party);
    const now = this.deps.clock();
    const grant = { id, role, account, notAfterMs: now + this.deps.settings.registrationTtlMs };
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      await this.store.lock(trx, `id:${id}`);
      const state = await this.store.load(trx, { registry: [idKey(id)], replay: [], withdrawals: [], tokens: [], deposits: [], openTokensOfPayee: null });
      const result = platform.handleR1(this.config, state, r1, grant, now, this.rng);
      if (result.ok) await this.store.write(trx, stateChanges(state, result.state));
      return result;
    });
    return outcome.ok ? { ok: true, value: outcome.reply } : this.refuse(party, outcome.failure);
  }

  /**
   * W1 → W2 (§2.4). The user's wallet is debited into the escrow account in two phases: a pending reservation
   * first (the ledger checks the balance atomically), then the token is issued and stored with the post of the
   * reservation in the outbox, then the post is applied. The ids of the three ledger transfers (reserve, post,
   * void) derive from H(W1), so the retried W1 that §2.4 prescribes finds them instead of debiting again.
   */
  async withdraw(user: User, w1Bytes: Uint8Array): Promise<EcashResult<Uint8Array>> {
    const party: EcashParty = { type: "user", user };
    const limited = this.checkLimit(party);
    if (limited !== undefined) return limited;
    let w1: messages.W1;
    try {
      w1 = messages.parseW1(w1Bytes);
    } catch {
      return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "encoding", message: "W1 does not parse" });
    }
    if (w1.idU !== this.identityOf(party).id) return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "unknown-identity", message: "W1 names another identity" });
    if (w1.amount > this.config.policy.withdrawAmountMax) return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "amount", message: "above the withdrawal maximum" });
    if (!(await this.registration(party)).registered) return { ok: false, code: "ERR_ECASH_NOT_REGISTERED" };
    const wallet = await this.accountOf(party);
    const scope = `ecash:user:${user.id}`;
    const key = `w1:${sha256Hex(w1Bytes)}`;
    const reservationId = transferIdFor(scope, key, 0);

    const reserved = await this.deps.ledger.submit([{
      id: reservationId, kind: "pending", debitAccountId: wallet, creditAccountId: this.escrowAccountId, amount: w1.amount,
      timeoutMs: reservationTimeoutMs, code: ledgerCodes.ecashWithdrawal, userData: "ecash:withdraw",
    }]);
    const reservation = reserved[0]!;
    if (reservation === "insufficient_funds") return { ok: false, code: "ERR_INSUFFICIENT_FUNDS" };
    if (reservation === "account_frozen") return { ok: false, code: "ERR_ACCOUNT_FROZEN" };
    if (reservation === "exists") {
      const earlier = await this.deps.ledger.transfer(reservationId);
      if (earlier?.pendingState !== "pending" && earlier?.pendingState !== "posted") {
        return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "replay", message: "this W1's reservation was released" });
      }
    } else if (reservation !== "ok") {
      throw new Error(`e-cash reservation refused with ${reservation}`);
    }

    const now = this.deps.clock();
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      await this.store.lock(trx, `id:${w1.idU}`);
      const state = await this.store.load(trx, platform.stateKeysFor(w1Bytes)!);
      const result = platform.handleW1(this.config, state, w1Bytes, { now, rng: this.rng, availableBalance: w1.amount });
      if (!result.ok || result.token === null) return result;
      await this.store.write(trx, stateChanges(state, result.state), { reservationId, refundDueMs: result.token.expMs + this.config.policy.depositGraceMs });
      await this.moves.record(trx, {
        transferId: transferIdFor(scope, key, 1), kind: "withdraw", sn: toHex(result.token.sn), depId: null, pendingId: reservationId,
        debitAccountId: null, creditAccountId: null, amount: null,
      });
      return result;
    });
    failpoint("ecash.withdraw_after_commit");
    if (!outcome.ok) {
      // Released unless an earlier identical W1 was issued and posted: the ledger refuses to void a posted one.
      await this.deps.ledger.submit([{ id: transferIdFor(scope, key, 2), kind: "void_pending", pendingId: reservationId, code: ledgerCodes.ecashWithdrawal }]);
      return this.refuse(party, outcome.failure);
    }
    const move = await this.moves.forReservation(this.deps.db, reservationId);
    if (move === undefined) throw new Error(`e-cash: issued W2 without its withdraw move (reservation ${reservationId})`);
    const applied = move.state === "PENDING" ? await this.moves.apply(this.deps.db, move) : move.state === "APPLIED" ? "applied" : "failed";
    if (applied === "applied") return { ok: true, value: outcome.reply };
    if (applied === "failed") return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "replay", message: "the reservation expired before the token was funded" });
    return { ok: false, code: "ERR_ACCOUNT_FROZEN" };
  }

  /** D1 → D4 (§2.7): checks the batch, puts one D2 per accepted token in its wallet's inbox. */
  async deposit(merchant: Merchant, d1Bytes: Uint8Array): Promise<EcashResult<Uint8Array>> {
    const party: EcashParty = { type: "merchant", merchant };
    if (merchant.status !== "approved") return { ok: false, code: "ERR_MERCHANT_NOT_APPROVED" };
    const limited = this.checkLimit(party);
    if (limited !== undefined) return limited;
    let d1: messages.D1;
    try {
      d1 = messages.parseD1(d1Bytes);
    } catch {
      return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "encoding", message: "D1 does not parse" });
    }
    if (d1.idP !== this.identityOf(party).id) return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "unknown-identity", message: "D1 names another identity" });
    const now = this.deps.clock();
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      await this.store.lock(trx, `id:${d1.idP}`);
      const state = await this.store.load(trx, platform.stateKeysFor(d1Bytes)!);
      const result = platform.handleD1(this.config, state, d1Bytes, now, this.rng);
      if (!result.ok) return result;
      await this.store.write(trx, stateChanges(state, result.state));
      for (const c of result.confirmations) {
        await sql`INSERT INTO ecash_confirmations (dep_id, sn, account_u, d2, created_at_ms)
                  VALUES (${toHex(c.depId)}, ${toHex(c.sn)}, ${c.accountU}::uuid, ${Buffer.from(c.d2)}, ${now})`.execute(trx);
      }
      return result;
    });
    if (!outcome.ok) return this.refuse(party, outcome.failure);
    for (const c of outcome.confirmations) this.inbox.notify(c.accountU);
    return { ok: true, value: outcome.reply };
  }

  /** D4 again, for a merchant polling its deposit. */
  async depositResult(merchant: Merchant, depId: string): Promise<EcashResult<Uint8Array>> {
    const account = await this.accountOf({ type: "merchant", merchant });
    const deposits = await this.deps.db.transaction().execute((trx) => this.store.load(trx, { registry: [], replay: [], withdrawals: [], tokens: [], deposits: [depId], openTokensOfPayee: null }));
    const deposit = deposits.deposits[depId];
    if (deposit === undefined || deposit.accountP !== account) return { ok: false, code: "ERR_NOT_FOUND" };
    const result = platform.depositResult(deposits, deposit.depId, this.deps.clock(), this.rng);
    if (!result.ok) return { ok: false, code: "ERR_NOT_FOUND" };
    return { ok: true, value: result.reply };
  }

  /** The D2s waiting for this user's answer, oldest first; waits up to waitMs for one to arrive. */
  async confirmations(user: User, waitMs: number, keepWaiting: () => boolean): Promise<Uint8Array[]> {
    const account = await this.accountOf({ type: "user", user });
    const deadline = Date.now() + Math.min(Math.max(0, waitMs), confirmationWaitMsMax);
    for (;;) {
      const rows = (await sql<{ d2: Uint8Array }>`
        SELECT d2 FROM ecash_confirmations WHERE account_u = ${account}::uuid AND state = 'PENDING'
        ORDER BY created_at_ms, dep_id, sn LIMIT ${confirmationsPerPollMax}`.execute(this.deps.db)).rows;
      const remaining = deadline - Date.now();
      if (rows.length > 0 || remaining <= 0 || !keepWaiting()) return rows.map((r) => new Uint8Array(r.d2));
      // Re-check at least every second: a deposit taken by another platform process notifies no one here.
      await this.inbox.wait(account, Math.min(remaining, 1_000));
    }
  }

  /** D3 (§2.7 N): ACCEPT settles escrow → merchant; REJECT marks the records disputed; a second D3 is ignored. */
  async confirm(user: User, d3Bytes: Uint8Array): Promise<EcashResult<{ decision: "ACCEPT" | "REJECT" | null; ignored: boolean }>> {
    const party: EcashParty = { type: "user", user };
    const limited = this.checkLimit(party);
    if (limited !== undefined) return limited;
    let d3: messages.D3;
    try {
      d3 = messages.parseD3(d3Bytes);
    } catch {
      return this.refuse(party, { code: "ERR_SVS_REJECTED", reason: "encoding", message: "D3 does not parse" });
    }
    const depId = toHex(d3.depId);
    const sn = toHex(d3.sn);
    const account = await this.accountOf(party);
    const now = this.deps.clock();
    const outcome = await this.deps.db.transaction().execute(async (trx) => {
      await this.store.lock(trx, `sn:${sn}`);
      const owner = (await sql<{ account_u: string }>`
        SELECT account_u FROM ecash_confirmations WHERE dep_id = ${depId} AND sn = ${sn} FOR UPDATE`.execute(trx)).rows[0];
      if (owner === undefined || owner.account_u !== account) return { ok: false as const, failure: { code: "ERR_SVS_REJECTED" as const, reason: "unknown-deposit" as const, message: "no such confirmation for this user" } };
      const state = await this.store.load(trx, platform.stateKeysFor(d3Bytes)!);
      const result = platform.handleD3(this.config, state, d3Bytes, now);
      if (!result.ok || result.ignored) return result;
      await this.store.write(trx, stateChanges(state, result.state));
      const settle = await this.recordMoves(trx, result.ledger);
      await sql`UPDATE ecash_confirmations SET state = 'ANSWERED' WHERE dep_id = ${depId} AND sn = ${sn}`.execute(trx);
      return { ...result, settle };
    });
    failpoint("ecash.confirm_after_commit");
    if (!outcome.ok) return this.refuse(party, outcome.failure);
    if ("settle" in outcome) for (const move of outcome.settle) await this.moves.apply(this.deps.db, move);
    return { ok: true, value: { decision: outcome.decision, ignored: outcome.ignored } };
  }

  /** A registered merchant's public data, for wallets to build Y_P (§2.5) and to show who they pay. */
  async merchantDescriptor(id: string): Promise<{ id: string; v: string; notAfterMs: number; status: string; legalName: string } | undefined> {
    const row = (await sql<{ entry: string }>`
      SELECT entry FROM ecash_registry WHERE key = ${idKey(id)} AND role = 'P'`.execute(this.deps.db)).rows[0];
    const merchantId = /^merchant:([0-9a-f-]{36})$/.exec(id)?.[1];
    const merchant = merchantId === undefined ? undefined : await this.deps.parties.merchantById(merchantId);
    if (row === undefined || merchant === undefined) return undefined;
    const entry = stateFromJson<platform.RegistryEntry>(row.entry);
    return { id, v: toHex(entry.v), notAfterMs: entry.notAfterMs, status: entry.status, legalName: merchant.legalName };
  }

  /**
   * One round of the background work: apply ledger moves a crash left behind, refund expired tokens
   * (§2.7 step 5) and prune the replay and W2 caches. Safe to run in several processes at once.
   */
  async sweep(): Promise<{ moves: number; refunded: number }> {
    const now = this.deps.clock();
    let moves = 0;
    for (const move of await this.moves.pending(this.deps.db, now - sweepMoveAgeMs, sweepMovesMax)) {
      if ((await this.moves.apply(this.deps.db, move)) !== "pending") moves += 1;
    }
    const refunds = await this.deps.db.transaction().execute(async (trx) => {
      const state = await this.store.loadDueTokens(trx, now, sweepTokensMax);
      if (Object.keys(state.tokens).length === 0) return [];
      const swept = platform.sweepExpiredTokens(this.config, state, now);
      await this.store.write(trx, stateChanges(state, swept.state));
      return this.recordMoves(trx, swept.ledger);
    });
    for (const move of refunds) await this.moves.apply(this.deps.db, move);
    await this.store.pruneCaches(this.deps.db, now);
    return { moves, refunded: refunds.length };
  }

  startSweeper(onError: (error: unknown) => void): void {
    const intervalMs = this.deps.settings.sweepIntervalMs;
    const backoff = new OutageBackoff();
    const tick = () => {
      let delayMs = intervalMs;
      this.sweep().then(() => { delayMs = backoff.next(intervalMs); }, (error) => { delayMs = backoff.next(intervalMs, error); onError(error); }).finally(() => {
        if (this.sweeper !== undefined) this.sweeper = setTimeout(tick, delayMs).unref();
      });
    };
    this.sweeper = setTimeout(tick, this.deps.settings.sweepIntervalMs).unref();
  }

  stop(): void {
    if (this.sweeper !== undefined) clearTimeout(this.sweeper);
    this.sweeper = undefined;
  }

  /** For operators: where the e-cash money sits. */
  async summary(): Promise<{ currency: string; escrowAccountId: string; escrowBalance: string; tokens: Record<string, { count: number; escrow: string }>; pendingMoves: number }> {
    const escrow = await this.deps.ledger.account(this.escrowAccountId);
    const byStatus = (await sql<{ status: string; n: bigint | string; escrow: bigint | string }>`
      SELECT status, count(*) AS n, coalesce(sum(escrow), 0)::bigint AS escrow FROM ecash_tokens GROUP BY status ORDER BY status`.execute(this.deps.db)).rows;
    const pending = (await sql<{ n: bigint | string }>`SELECT count(*) AS n FROM ecash_ledger_moves WHERE state = 'PENDING'`.execute(this.deps.db)).rows[0]!;
    return {
      currency: this.currency,
      escrowAccountId: this.escrowAccountId,
      escrowBalance: escrow === undefined ? "0" : (escrow.creditsPosted - escrow.debitsPosted).toString(),
      tokens: Object.fromEntries(byStatus.map((r) => [r.status, { count: Number(r.n), escrow: String(r.escrow) }])),
      pendingMoves: Number(pending.n),
    };
  }

  private async recordMoves(trx: Parameters<LedgerMoves["record"]>[0], ledger: readonly platform.LedgerMove[]): Promise<Move[]> {
    const recorded: Move[] = [];
    for (const m of ledger) {
      const sn = toHex(m.sn);
      let move: Move;
      if (m.kind === "settle") {
        const depId = toHex(m.depId);
        move = { transferId: transferIdFor("ecash", `settle:${depId}:${sn}`), kind: "settle", sn, depId, pendingId: null, debitAccountId: this.escrowAccountId, creditAccountId: m.account, amount: m.amount };
      } else if (m.kind === "refund") {
        move = { transferId: transferIdFor("ecash", `refund:${sn}`), kind: "refund", sn, depId: null, pendingId: null, debitAccountId: this.escrowAccountId, creditAccountId: m.account, amount: m.amount };
      } else {
        throw new Error("e-cash: a withdraw move outside a withdrawal");
      }
      await this.moves.record(trx, move);
      recorded.push(move);
    }
    return recorded;
  }

  /** The ledger account behind a party in the e-cash currency (ids never change: cached, bounded). */
  private async accountOf(party: EcashParty): Promise<string> {
    const owner = party.type === "user" ? party.user.id : party.merchant.id;
    const cacheKey = `${party.type}:${owner}`;
    const cached = this.accounts.get(cacheKey);
    if (cached !== undefined) return cached;
    const kind = party.type === "user" ? walletKind : merchantBalanceKind;
    const account = (await this.deps.ledger.accountsOf(party.type, owner)).find((a) => a.kind === kind && a.currency === this.currency);
    if (account === undefined) throw new Error(`${cacheKey} has no ${this.currency} ${kind} account`);
    if (this.accounts.size >= 100_000) this.accounts.delete(this.accounts.keys().next().value!);
    this.accounts.set(cacheKey, account.id);
    return account.id;
  }

  private checkLimit(party: EcashParty): EcashResult<never> | undefined {
    return this.limiter.isLimited(limiterKey(party)) ? { ok: false, code: "ERR_ECASH_RATE_LIMITED" } : undefined;
  }

  /** §2.0 generic failure rule: one code to the caller, the reason to the log, a strike for the rate limit. */
  private refuse(party: EcashParty, failure: SvsFailure): EcashResult<never> {
    this.limiter.recordFailure(limiterKey(party));
    return { ok: false, code: "ERR_ECASH_REJECTED", reason: failure.reason ?? failure.code };
  }
}

function limiterKey(party: EcashParty): string {
  return party.type === "user" ? `user:${party.user.id}` : `merchant:${party.merchant.id}`;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}
