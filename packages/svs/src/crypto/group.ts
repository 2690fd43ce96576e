/**
 * The P-256 group of SVS1-M (svs-protocol.md §2.0), through @noble/curves: node:crypto has no point addition.
 * Every scalar multiplication of the package goes through mulBase/mul below, which count it as one T_mul
 * (§5.2). Secret scalars use noble's constant-time ladder; public scalars (e_X, c) may use the faster
 * variable-time multiplyUnsafe, which is safe because the scalar is public.
 */
import { p256 } from "@noble/curves/nist.js";
import type { WeierstrassPoint } from "@noble/curves/abstract/weierstrass.js";
import { i2osp, os2ip } from "../bytes.js";
import { pointBytes, scalarBytes } from "../limits.js";
import { tally } from "../ops.js";
import type { Rng } from "../types.js";

export type GroupPoint = WeierstrassPoint<bigint>;

const Point = p256.Point;

/** n, the prime order of G. The cofactor is 1, so every valid point other than the identity has order n. */
export const groupOrder: bigint = Point.Fn.ORDER;

/**
 * Decodes enc(P), a SEC1 compressed point, and validates it (§2.0, property 25): exactly 33 bytes, prefix 02/03,
 * x < p, on the curve, not the identity. Returns null on any failure; no further computation is done on it.
 */
export function decodePoint(bytes: Uint8Array): GroupPoint | null {
  if (bytes.byteLength !== pointBytes || (bytes[0] !== 0x02 && bytes[0] !== 0x03)) return null;
  try {
    const point = Point.fromBytes(bytes);
    point.assertValidity();
    return point.is0() ? null : point;
  } catch {
    return null;
  }
}

/** enc(P): SEC1 compressed, 33 bytes. */
export function encodePoint(point: GroupPoint): Uint8Array {
  return Uint8Array.from(point.toBytes(true));
}

/** x(P): the 32-byte big-endian x-coordinate. */
export function xCoordinate(point: GroupPoint): Uint8Array {
  return Uint8Array.from(point.toBytes(true).subarray(1));
}

/** k·G, counted as one T_mul. */
export function mulBase(scalar: bigint): GroupPoint {
  tally("mul");
  return Point.BASE.multiply(scalar);
}

/** k·P for a secret k (constant-time), counted as one T_mul. */
export function mulSecret(point: GroupPoint, scalar: bigint): GroupPoint {
  tally("mul");
  return point.multiply(scalar);
}

/** k·P for a public k (variable time), counted as one T_mul. */
export function mulPublic(point: GroupPoint, scalar: bigint): GroupPoint {
  tally("mul");
  return point.multiplyUnsafe(scalar);
}

export function addPoints(a: GroupPoint, b: GroupPoint): GroupPoint {
  return a.add(b);
}

export function pointsEqual(a: GroupPoint, b: GroupPoint): boolean {
  return a.equals(b);
}

export function isIdentity(point: GroupPoint): boolean {
  return point.is0();
}

export function modOrder(value: bigint): bigint {
  const r = value % groupOrder;
  return r < 0n ? r + groupOrder : r;
}

/** A scalar in [1, n-1] from its 32-byte encoding, else null. */
export function decodeScalar(bytes: Uint8Array): bigint | null {
  if (bytes.byteLength !== scalarBytes) return null;
  const value = os2ip(bytes);
  return value >= 1n && value < groupOrder ? value : null;
}

export function encodeScalar(value: bigint): Uint8Array {
  return i2osp(value, scalarBytes);
}

/** A uniform scalar in [1, n-1] by rejection sampling 32 random bytes (FIPS 186-5 §A.2.2 style). */
export function randomScalar(rng: Rng): bigint {
  // n is within 2^-32 of 2^256, so one draw is rejected with probability < 2^-32.
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = decodeScalar(rng(scalarBytes));
    if (candidate !== null) return candidate;
  }
  throw new Error("randomScalar: the random source returned 64 out-of-range values in a row");
}
