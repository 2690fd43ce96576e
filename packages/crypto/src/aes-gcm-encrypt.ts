import { createCipheriv } from "node:crypto";
import { aesGcmCipherName } from "./aes-gcm-params.js";
import { assertBytes, concatBytes } from "./internal/bytes.js";
import { aesGcmTagBytes } from "./limits.js";

/**
 * AES-GCM authenticated encryption (NIST SP 800-38D §7.1). Returns ciphertext || 128-bit tag, the layout of
 * XML Encryption 1.1 §5.2.4 (after the IV) and RFC 5116 §5.1. The caller must never reuse an IV under one key:
 * draw it with randomBytes(12) and stay below 2^32 messages per key (SP 800-38D §8.3).
 */
export function aesGcmEncrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  const cipherName = aesGcmCipherName(key, iv);
  assertBytes(plaintext, "plaintext");
  if (aad !== undefined) assertBytes(aad, "aad");
  const cipher = createCipheriv(cipherName, key, iv, { authTagLength: aesGcmTagBytes });
  if (aad !== undefined) cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  return concatBytes(body, tail, cipher.getAuthTag());
}
