/**
 * What a handler changed, table by table: for a party state whose top-level fields are record maps (all of
 * PlatformState, and the map fields of WalletState and MerchantState), lists every entry that was added,
 * replaced or removed. A database adapter writes exactly these rows; non-map fields are reported whole.
 */
export interface StateChange {
  /** Top-level field, e.g. "tokens". */
  readonly table: string;
  /** Entry key inside it, or null for a field that is not a map. */
  readonly key: string | null;
  /** The new value; null when the entry was removed. */
  readonly value: unknown;
}

export function stateChanges<S extends object>(before: S, after: S): StateChange[] {
  const changes: StateChange[] = [];
  const fields = new Set([...Object.keys(before), ...Object.keys(after)]);
  for (const table of fields) {
    const a = (before as Record<string, unknown>)[table];
    const b = (after as Record<string, unknown>)[table];
    if (a === b) continue;
    if (isRecordMap(a) && isRecordMap(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (!Object.hasOwn(b, key)) changes.push({ table, key, value: null });
        else if (!Object.hasOwn(a, key) || !deepEqual(a[key], b[key])) changes.push({ table, key, value: b[key] });
      }
    } else if (!deepEqual(a, b)) {
      changes.push({ table, key: null, value: b ?? null });
    }
  }
  return changes;
}

function isRecordMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Structural equality over plain data (objects, arrays, Uint8Array, bigint, primitives). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
