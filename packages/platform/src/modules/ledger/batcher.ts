import { InvariantError, limits as ledgerLimits, type BatchOutcome, type Id, type ResultCode, type Transfer, type TransferInput } from "@obol/ledger";
import { ObolError } from "../../errors/obol-error.js";
import type { Transaction } from "kysely";
import { BatchRaceError, type Admit } from "./store.js";

export interface BatcherLimits {
  /** Transfers in one database transaction. */
  batchTransfersMax: number;
  /** How long the first request of a batch may wait for company when nothing is in flight. */
  batchWaitMs: number;
  /** Batches committing at the same time (each in its own transaction). */
  batchesInFlightMax: number;
  /** Transfers waiting for a batch; past it, submit() refuses with ERR_LEDGER_BUSY at once. */
  queuedTransfersMax: number;
  /** Attempts of one batch on serialization failures, deadlocks and races with other processes. */
  batchAttemptsMax: number;
}

export const defaultBatcherLimits: BatcherLimits = {
  batchTransfersMax: 512,
  batchWaitMs: 0,
  batchesInFlightMax: 2,
  queuedTransfersMax: 20_000,
  batchAttemptsMax: 8,
};

type Commit = (inputs: readonly TransferInput[], now: number, sweepIds: readonly Id[], admit?: Admit) => Promise<BatchOutcome>;

/**
 * A condition a submission depends on, checked under lock inside the batch's transaction: the
 * submission applies only if its fence holds there, and the fence's rows stay locked until COMMIT.
 * An idempotency claim is one (modules/idempotency): a request that lost its claim to a retry can
 * no longer apply its transfer behind that retry's back. `holds` is called once per batch with all
 * the fences that share it and returns those that hold; it must lock in a fixed order.
 */
export interface Fence {
  readonly holds: (trx: Transaction<any>, fences: readonly Fence[]) => Promise<ReadonlySet<Fence>>;
}

/** The submission's fence did not hold: nothing of it was applied. */
export class FenceLostError extends ObolError {
  constructor() {
    super("ERR_FENCE_LOST", "The submission's fence no longer holds; nothing was applied");
  }
}

/** The answer to one submission: a result per transfer, and each transfer this batch created. */
export interface Submitted {
  readonly results: ResultCode[];
  readonly created: (Transfer | undefined)[];
}

interface Unit {
  readonly transfers: readonly TransferInput[];
  readonly fence: Fence | undefined;
  readonly resolve: (submitted: Submitted) => void;
  readonly reject: (error: unknown) => void;
}

/** PostgreSQL error codes after which the whole batch can simply run again. */
const retryableSqlStates = new Set(["40001", "40P01", "23505"]);

/**
 * Group commit: requests that arrive while a batch is committing wait and go together in the
 * next one, so throughput grows with load while an idle ledger commits each request at once.
 * A request's promise settles only after its batch's COMMIT returned.
 */
export class LedgerBatcher {
  private readonly queue: Unit[] = [];
  private queuedTransfers = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  readonly stats = { batches: 0, transfers: 0, retries: 0 };

  /**
   * @param onFatal called when the rules or the database report a broken ledger invariant (an
   *   InvariantError, or a CHECK constraint of the ledger tables). That is a bug, not bad input:
   *   the process should stop rather than keep moving money.
   */
  constructor(
    private readonly commit: Commit,
    private readonly clock: () => number,
    private readonly limits: BatcherLimits = defaultBatcherLimits,
    private readonly onFatal: (error: unknown) => void = (error) => { throw error; },
  ) {
    if (!(limits.batchTransfersMax >= 1 && limits.batchTransfersMax <= ledgerLimits.batchTransfersMax)) throw new RangeError("batchTransfersMax out of range");
    if (!(limits.batchesInFlightMax >= 1 && limits.queuedTransfersMax >= limits.batchTransfersMax && limits.batchAttemptsMax >= 1)) {
      throw new RangeError("batcher limits out of range");
    }
  }

  /**
   * Submits one transfer or one linked chain; resolves with a result per transfer after commit. With
   * a fence, rejects with FenceLostError (nothing applied) when the fence does not hold at commit.
   */
  submit(transfers: readonly TransferInput[], fence?: Fence): Promise<Submitted> {
    if (this.closed) return Promise.reject(new ObolError("ERR_SHUTTING_DOWN", "The ledger is shutting down"));
    if (transfers.length === 0 || transfers.length > this.limits.batchTransfersMax) {
      return Promise.reject(new ObolError("ERR_LEDGER_BATCH_SIZE", `A submission holds 1..${this.limits.batchTransfersMax} transfers`));
    }
    if (this.queuedTransfers + transfers.length > this.limits.queuedTransfersMax) {
      return Promise.reject(new ObolError("ERR_LEDGER_BUSY", "The ledger queue is full; retry shortly"));
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ transfers, fence, resolve, reject });
      this.queuedTransfers += transfers.length;
      this.schedule();
    });
  }

  /** Releases due pending transfers among `ids` (the expiry sweeper), through the same path. */
  async sweep(ids: readonly Id[]): Promise<readonly Id[]> {
    const outcome = await this.withRetries(() => this.commit([], this.clock(), ids));
    return outcome.expired;
  }

  /** Stops taking requests and waits until every queued and in-flight batch has committed. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) { clearTimeout(this.timer); this.timer = undefined; this.flush(); }
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.inFlight >= this.limits.batchesInFlightMax || this.timer !== undefined) return;
    if (this.limits.batchWaitMs > 0 && this.inFlight === 0 && this.queuedTransfers < this.limits.batchTransfersMax) {
      this.timer = setTimeout(() => { this.timer = undefined; this.flush(); }, this.limits.batchWaitMs);
      return;
    }
    this.flush();
  }

  private flush(): void {
    while (this.queue.length > 0 && this.inFlight < this.limits.batchesInFlightMax) {
      const units: Unit[] = [];
      let size = 0;
      while (this.queue.length > 0 && size + this.queue[0]!.transfers.length <= this.limits.batchTransfersMax) {
        const unit = this.queue.shift()!;
        units.push(unit);
        size += unit.transfers.length;
      }
      this.queuedTransfers -= size;
      this.inFlight += 1;
      void this.run(units).finally(() => {
        this.inFlight -= 1;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) this.idleWaiters.splice(0).forEach((wake) => wake());
      });
    }
  }

  private async run(units: Unit[]): Promise<void> {
    let admitted = units;
    const admit = units.some((unit) => unit.fence !== undefined) ? async (trx: Transaction<any>) => {
      admitted = await admitFenced(trx, units);
      return inputsOf(admitted);
    } : undefined;
    try {
      const outcome = await this.withRetries(() => this.commit(inputsOf(units), this.clock(), [], admit));
      this.stats.batches += 1;
      this.stats.transfers += outcome.results.length;
      const created = new Map(outcome.created.map((t) => [t.id, t]));
      let offset = 0;
      for (const unit of admitted) {
        const results = outcome.results.slice(offset, offset + unit.transfers.length);
        unit.resolve({ results, created: unit.transfers.map((t, k) => (results[k] === "ok" ? created.get(t.id) : undefined)) });
        offset += unit.transfers.length;
      }
      const applied = new Set(admitted);
      for (const unit of units) if (!applied.has(unit)) unit.reject(new FenceLostError());
    } catch (error) {
      if (isBrokenInvariant(error)) {
        for (const unit of units) unit.reject(new ObolError("ERR_INTERNAL", "Internal error"));
        this.onFatal(error);
        return;
      }
      const failure = error instanceof ObolError ? error
        : new ObolError("ERR_LEDGER_UNAVAILABLE", "The ledger could not commit; the request may be retried with the same id", { cause: error });
      for (const unit of units) unit.reject(failure);
    }
  }

  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n += 1) {
      try {
        return await attempt();
      } catch (error) {
        const state = (error as { code?: unknown }).code;
        const retryable = error instanceof BatchRaceError || (typeof state === "string" && retryableSqlStates.has(state));
        if (!retryable || n >= this.limits.batchAttemptsMax) throw error;
        this.stats.retries += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** n));
      }
    }
  }
}

/**
 * A unit is a whole chain: the last transfer of each unit closes its chain, so units cannot link
 * into each other inside a batch.
 */
function inputsOf(units: readonly Unit[]): TransferInput[] {
  return units.flatMap((unit) => unit.transfers.map((t, k) => (k === unit.transfers.length - 1 ? { ...t, linked: false } : { ...t, linked: true })));
}

/** The units without a fence, and those whose fence holds (each kind of fence checked once). */
async function admitFenced(trx: Transaction<any>, units: readonly Unit[]): Promise<Unit[]> {
  const byCheck = new Map<Fence["holds"], Fence[]>();
  for (const { fence } of units) if (fence !== undefined) byCheck.set(fence.holds, [...(byCheck.get(fence.holds) ?? []), fence]);
  const held = new Set<Fence>();
  for (const [holds, fences] of byCheck) for (const fence of await holds(trx, fences)) held.add(fence);
  return units.filter((unit) => unit.fence === undefined || held.has(unit.fence));
}

function isBrokenInvariant(error: unknown): boolean {
  const state = (error as { code?: unknown }).code;
  return error instanceof InvariantError || state === "23514" || state === "23503" || state === "23502";
}
