/**
 * Invariant checks. A failed assertion means the code is wrong, not the input: it throws and
 * the process is expected to crash rather than carry on with a broken ledger (TigerBeetle style).
 * Expected business outcomes are returned as result codes, never thrown.
 */
export class InvariantError extends Error {
  override name = "InvariantError";
}

export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new InvariantError(`ledger invariant broken: ${message}`);
}
