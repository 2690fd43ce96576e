/**
 * Failpoints: named places where an end-to-end test can make the platform die with SIGKILL, e.g.
 * between the bank's debit and the ledger commit. A timer-driven `kill -9` cannot hit such a window
 * reliably; a failpoint hits it every time, and the process still dies exactly as under kill -9
 * (no finally blocks, no shutdown hooks, nothing flushed).
 *
 * They are set only from OBOL_FAILPOINTS (comma-separated names) and the config refuses that
 * variable in production, so no production process can carry one.
 */
const armed = new Set<string>();

/** Names are `module.place`, e.g. `payments.after_bank_debit`. */
const failpointNamePattern = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;
const failpointsMax = 16;

export function parseFailpoints(text: string | undefined): string[] {
  if (text === undefined || text.trim() === "") return [];
  const names = text.split(",").map((n) => n.trim()).filter(Boolean);
  if (names.length > failpointsMax) throw new Error(`at most ${failpointsMax} failpoints`);
  for (const name of names) if (!failpointNamePattern.test(name)) throw new Error(`bad failpoint name: ${name}`);
  return names;
}

export function armFailpoints(names: readonly string[]): void {
  armed.clear();
  for (const name of names) armed.add(name);
}

/** Dies like kill -9 when the named failpoint is armed; otherwise does nothing. */
export function failpoint(name: string): void {
  if (armed.size === 0 || !armed.has(name)) return;
  process.stderr.write(`failpoint ${name}: SIGKILL\n`);
  process.kill(process.pid, "SIGKILL");
}
