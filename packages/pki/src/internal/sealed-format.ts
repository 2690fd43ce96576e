import { scrypt, scryptSync } from "node:crypto";
import { PkiError } from "../errors.js";
import { sealPassphraseCharsMax, sealPassphraseCharsMin } from "../limits.js";

/**
 * Sealed private key, text format version 1 (one line, ASCII, safe in a database column or an env file):
 *
 *   obol-sealed-key:v1:scrypt-aes-256-gcm:ln=<log2 N>,r=<r>,p=<p>:<salt>:<iv>:<ciphertext||tag>
 *
 * - salt (16 bytes), iv (12 bytes) and ciphertext||tag are base64url without padding (RFC 4648 §5).
 * - key = scrypt(NFC(passphrase) as UTF-8, salt, N = 2^ln, r, p, dkLen = 32) (RFC 7914 §2).
 * - ciphertext||tag = AES-256-GCM(key, iv, PKCS#8 PrivateKeyInfo DER (RFC 5208 §5), aad = header), with a
 *   128-bit tag (NIST SP 800-38D), where header = everything before the salt's colon, i.e.
 *   "obol-sealed-key:v1:scrypt-aes-256-gcm:ln=15,r=8,p=1", so the KDF parameters are authenticated too.
 * A new version gets a new "vN" and this file keeps reading v1.
 */
export const sealedKeyPrefix = "obol-sealed-key:v1:scrypt-aes-256-gcm:";

export const sealedKeyPattern =
  /^obol-sealed-key:v1:scrypt-aes-256-gcm:ln=([0-9]{1,2}),r=([0-9]{1,2}),p=([0-9]{1,2}):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

export function header(log2N: number, r: number, p: number): string {
  return `${sealedKeyPrefix}ln=${log2N},r=${r},p=${p}`;
}

/** NFC-normalised passphrase bytes; null if its length is outside the limits. */
export function passphraseBytes(passphrase: unknown): Buffer | null {
  if (typeof passphrase !== "string") {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "passphrase must be a string");
  }
  const normalised = passphrase.normalize("NFC");
  const chars = [...normalised].length;
  if (chars < sealPassphraseCharsMin || chars > sealPassphraseCharsMax) return null;
  return Buffer.from(normalised, "utf8");
}

function scryptOptions(log2N: number, r: number, p: number) {
  const N = 2 ** log2N;
  // scrypt needs about 128 * N * r bytes; give it twice that so node's default maxmem (32 MiB) is no limit.
  return { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
}

export function deriveKey(passphrase: Buffer, salt: Uint8Array, log2N: number, r: number, p: number): Buffer {
  return scryptSync(passphrase, salt, 32, scryptOptions(log2N, r, p));
}

/** deriveKey on libuv's thread pool: several seals or opens run at once, and the event loop keeps running. */
export function deriveKeyAsync(passphrase: Buffer, salt: Uint8Array, log2N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase, salt, 32, scryptOptions(log2N, r, p), (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Strict base64url: only the canonical encoding of the decoded bytes is accepted. */
export function fromBase64Url(text: string): Uint8Array | null {
  const bytes = Buffer.from(text, "base64url");
  return bytes.toString("base64url") === text ? new Uint8Array(bytes) : null;
}
