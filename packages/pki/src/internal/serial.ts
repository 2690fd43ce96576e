import { randomBytes } from "@obol/crypto";
import { PkiError } from "../errors.js";
import { serialBytes, serialBytesMax } from "../limits.js";

/**
 * A fresh serial (RFC 5280 §4.1.2.2): 16 random bytes with the top bit cleared (positive) and the first byte
 * non-zero (so the DER INTEGER is exactly 16 octets): 127 - log2(128/127) ≈ 126.99 bits of entropy, well
 * above the 64 bits the CA/Browser Forum asks for. Lowercase hex.
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(serialBytes);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return Buffer.from(bytes).toString("hex");
}

/**
 * Canonical serial hex: lowercase, even length, no leading zero octets (except a single "00"), at most
 * serialBytesMax octets, non-zero (RFC 5280 §4.1.2.2: "MUST be a positive integer").
 */
export function normaliseSerialHex(value: unknown, what = "serialHex"): string {
  if (typeof value !== "string" || !/^[0-9a-fA-F]+$/.test(value)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be a hex string`);
  }
  let hex = value.toLowerCase();
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith("00")) hex = hex.slice(2);
  if (/^0+$/.test(hex)) throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be positive`);
  // A magnitude with the top bit set gains a 00 sign octet in DER: that octet counts towards the 20.
  const octets = hex.length / 2 + (Number.parseInt(hex.slice(0, 2), 16) >= 0x80 ? 1 : 0);
  if (octets > serialBytesMax) throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must fit in ${serialBytesMax} octets`);
  return hex;
}
