import { CryptoError } from "./errors.js";
import { bigIntToBytes, bytesToBigInt } from "./internal/bytes.js";
import { p256FieldBytes } from "./limits.js";

/**
 * Domain parameters of P-256 (secp256r1, SEC 2 §2.4.2; FIPS 186-5 / SP 800-186 §3.2.1.3). The cofactor is 1, so
 * every point on the curve except the identity has prime order n: checking "on the curve" is full validation
 * (SEC 1 §3.2.2.1, SP 800-56A Rev. 3 §5.6.2.3.3 partial validation suffices for h = 1).
 */
export const p256 = Object.freeze({
  p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
  a: 0xffffffff00000001000000000000000000000000fffffffffffffffffffffffcn,
  b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  n: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
});

/** SEC 1 point sizes: 0x04 || X || Y and 0x02/0x03 || X (SEC 1 §2.3.3). */
export const p256UncompressedPointBytes = 1 + 2 * p256FieldBytes;
export const p256CompressedPointBytes = 1 + p256FieldBytes;

function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

function powMod(base: bigint, exponent: bigint, m: bigint): bigint {
  let result = 1n;
  let b = mod(base, m);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** Right-hand side of the curve equation y^2 = x^3 + a*x + b (mod p), SEC 1 §2.2.1. */
function curveRhs(x: bigint): bigint {
  const { p, a, b } = p256;
  return mod(x * x * x + a * x + b, p);
}

function invalidPoint(reason: string): CryptoError {
  return new CryptoError("ERR_CRYPTO_INVALID_INPUT", `invalid P-256 public point: ${reason}`);
}

/** An affine P-256 point, validated: coordinates in [0, p-1], on the curve, not the identity. */
export interface P256Point {
  readonly x: Uint8Array;
  readonly y: Uint8Array;
}

/**
 * Decodes and fully validates a SEC1 encoded public point (SEC 1 §2.3.4 Octet-String-to-Elliptic-Curve-Point,
 * then §3.2.2.1 validation). Accepts uncompressed (65 bytes) and compressed (33 bytes) points. Rejects the
 * identity (the single byte 0x00), the hybrid form 0x06/0x07 (X9.62 only, unused by any standard we speak),
 * coordinates >= p, and points not on P-256: the last is the defence against invalid-curve attacks
 * (Biehl-Meyer-Müller 2000; Jager-Schwenk-Somorovsky, ESORICS 2015).
 * Throws ERR_CRYPTO_INVALID_INPUT.
 */
export function decodeP256Point(encoded: Uint8Array): P256Point {
  const { p } = p256;
  const prefix = encoded[0];
  if (encoded.byteLength === p256UncompressedPointBytes && prefix === 0x04) {
    const xBytes = encoded.subarray(1, 1 + p256FieldBytes);
    const yBytes = encoded.subarray(1 + p256FieldBytes);
    const x = bytesToBigInt(xBytes);
    const y = bytesToBigInt(yBytes);
    if (x >= p || y >= p) throw invalidPoint("coordinate out of range");
    if (mod(y * y, p) !== curveRhs(x)) throw invalidPoint("not on the curve");
    return { x: Uint8Array.from(xBytes), y: Uint8Array.from(yBytes) };
  }
  if (encoded.byteLength === p256CompressedPointBytes && (prefix === 0x02 || prefix === 0x03)) {
    const x = bytesToBigInt(encoded.subarray(1));
    if (x >= p) throw invalidPoint("coordinate out of range");
    const rhs = curveRhs(x);
    // p ≡ 3 (mod 4), so a square root of rhs, if one exists, is rhs^((p+1)/4) (SEC 1 §2.3.4 step 2.4.1).
    let y = powMod(rhs, (p + 1n) / 4n, p);
    if (mod(y * y, p) !== rhs) throw invalidPoint("not on the curve");
    if ((y & 1n) !== BigInt(prefix & 1)) y = mod(p - y, p);
    // y = 0 with prefix 0x03 has no solution (SEC 1 §2.3.4 step 2.4.2 would give y = p, which is not < p).
    if ((y & 1n) !== BigInt(prefix & 1)) throw invalidPoint("not on the curve");
    return { x: Uint8Array.from(encoded.subarray(1)), y: bigIntToBytes(y, p256FieldBytes) };
  }
  if (encoded.byteLength === 1 && prefix === 0x00) throw invalidPoint("the point at infinity");
  throw invalidPoint("not an uncompressed or compressed SEC1 point");
}
