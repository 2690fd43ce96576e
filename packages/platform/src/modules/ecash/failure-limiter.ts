/**
 * The rate limit of svs-protocol.md §2.0 ("log the event and rate-limit the claimed identity"): counts refused
 * messages per caller in a fixed window; past failuresMax the caller is refused before any work. In memory and
 * bounded (the oldest windows go first); per process, which is enough to make guessing tags slow.
 */
export interface FailureLimits {
  failuresMax: number;
  windowMs: number;
  keysMax: number;
}

export const defaultFailureLimits: FailureLimits = { failuresMax: 20, windowMs: 60_000, keysMax: 100_000 };

export class FailureLimiter {
  readonly #windows = new Map<string, { startedAtMs: number; failures: number }>();

  constructor(private readonly clock: () => number, private readonly limits: FailureLimits = defaultFailureLimits) {}

  isLimited(key: string): boolean {
    const window = this.#windows.get(key);
    return window !== undefined && this.clock() - window.startedAtMs < this.limits.windowMs && window.failures >= this.limits.failuresMax;
  }

  recordFailure(key: string): void {
    const now = this.clock();
    const window = this.#windows.get(key);
    if (window !== undefined && now - window.startedAtMs < this.limits.windowMs) {
      window.failures += 1;
      return;
    }
    this.#windows.delete(key);
    if (this.#windows.size >= this.limits.keysMax) this.#windows.delete(this.#windows.keys().next().value!);
    this.#windows.set(key, { startedAtMs: now, failures: 1 });
  }
}
