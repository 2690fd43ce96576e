import { createHash } from "node:crypto";
import { PkiError } from "./errors.js";
import { certificateBytesMax } from "./limits.js";

/**
 * Compact certificate identifier (seed 000: a small device sends this instead of its whole certificate;
 * the platform looks the certificate up by it):
 *
 *   compactId(cert) = base64url( first 16 bytes of SHA-256(certificate DER) )   (RFC 4648 §5, no padding)
 *
 * 128 bits, always 22 characters of [A-Za-z0-9_-]. It identifies the exact certificate bytes (not the key,
 * not the serial), so a re-issued certificate for the same key gets a new id. 128 bits keep accidental
 * collisions out of reach (birthday bound 2^64) and a second preimage costs 2^128; the platform must still
 * treat the lookup as untrusted and validate the certificate it finds.
 */
export function compactId(certificateDer: Uint8Array): string {
  if (!(certificateDer instanceof Uint8Array) || certificateDer.length === 0 || certificateDer.length > certificateBytesMax) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `certificateDer must be 1 to ${certificateBytesMax} bytes`);
  }
  return createHash("sha256").update(certificateDer).digest().subarray(0, 16).toString("base64url");
}

/** True for strings that have the shape of a compactId (22 base64url characters encoding 16 bytes). */
export function isCompactId(value: unknown): value is string {
  // 22 chars carry 132 bits; the last character's low 4 bits must be zero: [AQgw] are the only options.
  return typeof value === "string" && /^[A-Za-z0-9_-]{21}[AQgw]$/.test(value);
}
