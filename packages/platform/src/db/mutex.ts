/**
 * A FIFO async mutex. `acquire()` resolves with a release function once every earlier holder has released.
 * Used to hand out PGlite's single connection to one Kysely caller at a time.
 */
export class Mutex {
  #locked = false;
  readonly #waiters: Array<() => void> = [];

  async acquire(): Promise<() => void> {
    if (this.#locked) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
    this.#locked = true;
    let released = false;
    return () => {
      // A double release would unlock someone else's critical section.
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) {
        next(); // ownership passes straight to the next waiter; #locked stays true
      } else {
        this.#locked = false;
      }
    };
  }

  get waitingCount(): number {
    return this.#waiters.length;
  }
}
