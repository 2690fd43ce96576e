/** Shared types of @obol/svs. All party state is plain data: objects, arrays, strings, numbers, booleans,
 * null, bigint and Uint8Array; no classes, no functions (see state-json.ts for a JSON encoding). */

/** Randomness is injected: returns `byteLength` uniformly random bytes (e.g. node:crypto randomBytes). */
export type Rng = (byteLength: number) => Uint8Array;

export type Role = "U" | "P";

/** The public parameters N publishes (§2.1 I4), pinned out of band by wallets and merchants. */
export interface PublicParams {
  /** ID_N, the operator's identity. */
  readonly idN: string;
  /** Q_N = x_N·G, enc() form (33 bytes). */
  readonly qN: Uint8Array;
  /** Q_N^sig = x_N^sig·G, the token-signing key, enc() form (33 bytes). */
  readonly qNSig: Uint8Array;
  /** Freshness window Δ in milliseconds (§2.0, default 120 s). */
  readonly freshnessWindowMs: number;
}
