import { XmlError } from "./errors.js";
import { replayEntriesMaxDefault } from "./limits.js";

/**
 * Remembers message nonces and MessageIds. `seen` must check and record ATOMICALLY: it returns true if the
 * nonce or the MessageId was recorded before (and not yet expired), otherwise records both until
 * `expiresAt` and returns false. The platform backs this with a table under unique constraints, keeping
 * entries at least 2x the freshness window; openMessage() passes expiresAt = now + 2 x window.
 */
export interface ReplayGuard {
  seen(nonce: string, messageId: string, expiresAt: Date): Promise<boolean>;
}

export interface MemoryReplayGuardOptions {
  /** The clock (milliseconds since the epoch), passed in like every other source of time. */
  readonly now: () => number;
  /** Most messages remembered. When full of unexpired entries the guard fails closed (ERR_XML_LIMIT). */
  readonly entriesMax?: number;
}

/**
 * A bounded in-memory ReplayGuard for the client and tests. Single process only: a platform with several
 * processes needs the shared, database-backed one. Never forgets an unexpired entry to make room: a full
 * guard refuses new messages instead, because forgetting would let a replay through.
 */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #now: () => number;
  readonly #entriesMax: number;
  /** One entry per recorded message, in insertion order ≈ expiry order (expired ones are at the front). */
  readonly #messages = new Map<number, { readonly expiry: number; readonly keys: readonly string[] }>();
  /** `n:<nonce>` and `m:<MessageId>` → the entry that recorded them. */
  readonly #index = new Map<string, number>();
  #sequence = 0;

  constructor(options: MemoryReplayGuardOptions) {
    this.#now = options.now;
    this.#entriesMax = options.entriesMax ?? replayEntriesMaxDefault;
    if (!Number.isSafeInteger(this.#entriesMax) || this.#entriesMax < 1) {
      throw new XmlError("ERR_XML_LIMIT", "entriesMax must be a positive integer");
    }
  }

  get size(): number {
    return this.#messages.size;
  }

  async seen(nonce: string, messageId: string, expiresAt: Date): Promise<boolean> {
    const now = this.#now();
    this.#forgetExpired(now, false);
    const keys = [`n:${nonce}`, `m:${messageId}`];
    for (const key of keys) {
      const entry = this.#index.get(key);
      if (entry !== undefined && (this.#messages.get(entry)?.expiry ?? 0) > now) return true;
    }
    if (this.#messages.size >= this.#entriesMax) {
      this.#forgetExpired(now, true);
      if (this.#messages.size >= this.#entriesMax) {
        throw new XmlError("ERR_XML_LIMIT", `replay guard full (${this.#entriesMax} unexpired messages)`);
      }
    }
    const entry = ++this.#sequence;
    this.#messages.set(entry, { expiry: expiresAt.getTime(), keys });
    for (const key of keys) this.#index.set(key, entry);
    return false;
  }

  /** Drops expired entries: from the front until an unexpired one (cheap), or all of them (`sweep`). */
  #forgetExpired(now: number, sweep: boolean): void {
    for (const [entry, { expiry, keys }] of this.#messages) {
      if (expiry > now) {
        if (!sweep) return;
        continue;
      }
      this.#messages.delete(entry);
      for (const key of keys) if (this.#index.get(key) === entry) this.#index.delete(key);
    }
  }
}
