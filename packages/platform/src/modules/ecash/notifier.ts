/** Wakes the long polls of one wallet when a deposit puts a D2 in its inbox (in process; polls also re-check). */
export class InboxNotifier {
  readonly #waiters = new Map<string, Set<() => void>>();

  /** Resolves when `key` is notified or after timeoutMs, whichever comes first. */
  wait(key: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(key) ?? new Set<() => void>();
      this.#waiters.set(key, waiters);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiters.add(done);
    });
  }

  notify(key: string): void {
    for (const wake of [...(this.#waiters.get(key) ?? [])]) wake();
  }
}
