import type { CipherGCMTypes } from "node:crypto";
import { CryptoError } from "./errors.js";
import { assertBytes } from "./internal/bytes.js";
import { aesGcmIvBytes, aesGcmKeySizesBytes } from "./limits.js";

/**
 * The AES-GCM allow-list, shared by encryption and decryption: AES-128 or AES-256 keys, a 96-bit IV (NIST
 * SP 800-38D §8.2: other lengths go through GHASH and weaken the uniqueness argument; XML Encryption 1.1 §5.2.4
 * and RFC 7518 §5.3 both fix 96 bits) and, elsewhere, a 128-bit tag. Anything else is ERR_CRYPTO_ALGORITHM.
 */
export function aesGcmCipherName(key: Uint8Array, iv: Uint8Array): CipherGCMTypes {
  assertBytes(key, "key");
  assertBytes(iv, "iv");
  if (!aesGcmKeySizesBytes.includes(key.byteLength)) {
    throw new CryptoError("ERR_CRYPTO_ALGORITHM", `AES-GCM key must be ${aesGcmKeySizesBytes.join(" or ")} bytes`);
  }
  if (iv.byteLength !== aesGcmIvBytes) {
    throw new CryptoError("ERR_CRYPTO_ALGORITHM", `AES-GCM IV must be ${aesGcmIvBytes} bytes`);
  }
  return key.byteLength === 16 ? "aes-128-gcm" : "aes-256-gcm";
}
