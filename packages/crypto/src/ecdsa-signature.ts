import { bigIntToBytes, bytesToBigInt } from "./internal/bytes.js";
import { p256FieldBytes } from "./limits.js";
import { p256 } from "./p256.js";

/**
 * Strict codecs between the two ECDSA P-256 signature encodings:
 *  - IEEE P1363 / RFC 4050 / RFC 7518 §3.4 (JWS ES256) / XML-DSig 1.1 §6.4.3: r || s, each 32 bytes big-endian.
 *  - DER of ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3, SEC 1 §C.5) as X.509/CMS use.
 * Both decoders return null for anything that is not a signature in range, never throw: their input is
 * attacker-controlled.
 */

export interface EcdsaSignatureValues {
  readonly r: bigint;
  readonly s: bigint;
}

export const ecdsaP256P1363Bytes = 2 * p256FieldBytes;

/** r and s must each lie in [1, n-1] (SEC 1 §4.1.4 step 1; FIPS 186-5 §6.4.2 step 1). */
function inRange(v: bigint): boolean {
  return v >= 1n && v < p256.n;
}

export function decodeP1363(signature: Uint8Array): EcdsaSignatureValues | null {
  if (signature.byteLength !== ecdsaP256P1363Bytes) return null;
  const r = bytesToBigInt(signature.subarray(0, p256FieldBytes));
  const s = bytesToBigInt(signature.subarray(p256FieldBytes));
  return inRange(r) && inRange(s) ? { r, s } : null;
}

export function encodeP1363({ r, s }: EcdsaSignatureValues): Uint8Array {
  const out = new Uint8Array(ecdsaP256P1363Bytes);
  out.set(bigIntToBytes(r, p256FieldBytes), 0);
  out.set(bigIntToBytes(s, p256FieldBytes), p256FieldBytes);
  return out;
}

const DER_SEQUENCE = 0x30;
const DER_INTEGER = 0x02;
/** Longest DER INTEGER content for a value < n: 32 bytes plus one 0x00 sign byte (X.690 §8.3.2). */
const derIntegerMaxBytes = p256FieldBytes + 1;

/**
 * Reads one INTEGER at `offset` under X.690 DER rules: tag 0x02, short-form definite length (§8.1.3.4, §10.1:
 * lengths < 128 must use the short form), at least one content byte (§8.3.1), minimal two's complement (§8.3.2:
 * no leading 0x00 unless the next byte has its top bit set), non-negative.
 */
function readDerInteger(der: Uint8Array, offset: number): { value: bigint; next: number } | null {
  if (der[offset] !== DER_INTEGER) return null;
  const length = der[offset + 1];
  if (length === undefined || length < 1 || length > derIntegerMaxBytes) return null;
  const start = offset + 2;
  const end = start + length;
  if (end > der.byteLength) return null;
  const first = der[start] as number;
  if (first & 0x80) return null; // negative
  if (first === 0x00 && length > 1 && ((der[start + 1] as number) & 0x80) === 0) return null; // not minimal
  return { value: bytesToBigInt(der.subarray(start, end)), next: end };
}

/** Parses the unique DER encoding of ECDSA-Sig-Value; rejects BER variants, trailing bytes and out-of-range r, s. */
export function decodeDer(der: Uint8Array): EcdsaSignatureValues | null {
  if (der.byteLength < 2 || der[0] !== DER_SEQUENCE) return null;
  const length = der[1] as number;
  // Content is at most 2 * (2 + 33) = 70 bytes, so only the short length form is DER (X.690 §10.1).
  if (length >= 0x80 || 2 + length !== der.byteLength) return null;
  const r = readDerInteger(der, 2);
  if (r === null) return null;
  const s = readDerInteger(der, r.next);
  if (s === null || s.next !== der.byteLength) return null;
  return inRange(r.value) && inRange(s.value) ? { r: r.value, s: s.value } : null;
}

function derIntegerContent(value: bigint): Uint8Array {
  let bytes = bigIntToBytes(value, p256FieldBytes);
  let i = 0;
  while (i < bytes.byteLength - 1 && bytes[i] === 0) i++;
  bytes = bytes.subarray(i);
  if ((bytes[0] as number) & 0x80) {
    const padded = new Uint8Array(bytes.byteLength + 1);
    padded.set(bytes, 1);
    return padded;
  }
  return bytes;
}

export function encodeDer({ r, s }: EcdsaSignatureValues): Uint8Array {
  const rc = derIntegerContent(r);
  const sc = derIntegerContent(s);
  const out = new Uint8Array(2 + 2 + rc.byteLength + 2 + sc.byteLength);
  out.set([DER_SEQUENCE, out.byteLength - 2, DER_INTEGER, rc.byteLength], 0);
  out.set(rc, 4);
  out.set([DER_INTEGER, sc.byteLength], 4 + rc.byteLength);
  out.set(sc, 6 + rc.byteLength);
  return out;
}
