import { timingSafeEqual } from "node:crypto";
import { assertBytes } from "./internal/bytes.js";

/**
 * Compares two byte strings in time that depends only on their length (CRYPTO_memcmp). Lengths are not
 * secret: different lengths return false at once. Use for MACs, tokens and other secret-derived values.
 */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, "a");
  assertBytes(b, "b");
  if (a.byteLength !== b.byteLength) return false;
  return timingSafeEqual(a, b);
}
