import { createDecipheriv } from "node:crypto";
import { aesGcmCipherName } from "./aes-gcm-params.js";
import { CryptoError } from "./errors.js";
import { assertBytes, concatBytes } from "./internal/bytes.js";
import { aesGcmTagBytes } from "./limits.js";

/**
 * AES-GCM authenticated decryption (NIST SP 800-38D §7.2) of ciphertext || 128-bit tag. Nothing is returned
 * unless the tag verifies. Every failure, including input shorter than the tag, is ERR_CRYPTO_DECRYPT_FAILED
 * with no detail; parameters outside the allow-list (see aes-gcm-params.ts) are ERR_CRYPTO_ALGORITHM.
 */
export function aesGcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertextAndTag: Uint8Array,
  aad?: Uint8Array,
): Uint8Array {
  const cipherName = aesGcmCipherName(key, iv);
  assertBytes(ciphertextAndTag, "ciphertextAndTag");
  if (aad !== undefined) assertBytes(aad, "aad");
  if (ciphertextAndTag.byteLength < aesGcmTagBytes) {
    throw new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  }
  const split = ciphertextAndTag.byteLength - aesGcmTagBytes;
  try {
    const decipher = createDecipheriv(cipherName, key, iv, { authTagLength: aesGcmTagBytes });
    decipher.setAuthTag(ciphertextAndTag.subarray(split));
    if (aad !== undefined) decipher.setAAD(aad);
    const body = decipher.update(ciphertextAndTag.subarray(0, split));
    const tail = decipher.final(); // throws unless the tag matches
    return concatBytes(body, tail);
  } catch {
    throw new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  }
}
