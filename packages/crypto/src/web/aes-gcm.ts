import { CryptoError } from "../errors.js";
import { assertBytes } from "../internal/bytes.js";
import { aesGcmIvBytes, aesGcmKeySizesBytes, aesGcmTagBytes } from "../limits.js";
import { buffer, isCryptoKey, subtle } from "./subtle.js";

/** An AES-GCM key: raw bytes (16 or 32), or a CryptoKey (e.g. a session key unwrapped as non-extractable). */
export type AesKey = Uint8Array | CryptoKey;

/** The allow-list of aes-gcm-params.ts: AES-128 or AES-256, a 96-bit IV, a 128-bit tag. */
async function gcmKey(key: AesKey, iv: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  assertBytes(iv, "iv");
  if (iv.byteLength !== aesGcmIvBytes) throw new CryptoError("ERR_CRYPTO_ALGORITHM", `AES-GCM IV must be ${aesGcmIvBytes} bytes`);
  if (isCryptoKey(key)) {
    const algorithm = key.algorithm as { name: string; length?: number };
    if (algorithm.name !== "AES-GCM" || !aesGcmKeySizesBytes.includes((algorithm.length ?? 0) / 8) || !key.usages.includes(usage)) {
      throw new CryptoError("ERR_CRYPTO_ALGORITHM", `the key must be an AES-128/256-GCM CryptoKey usable to ${usage}`);
    }
    return key;
  }
  assertBytes(key, "key");
  if (!aesGcmKeySizesBytes.includes(key.byteLength)) {
    throw new CryptoError("ERR_CRYPTO_ALGORITHM", `AES-GCM key must be ${aesGcmKeySizesBytes.join(" or ")} bytes`);
  }
  return subtle().importKey("raw", buffer(key), "AES-GCM", false, [usage]);
}

/** The size in bytes of an AES key (raw or CryptoKey), for choosing aes128-gcm or aes256-gcm. */
export function aesKeyBytes(key: AesKey): number {
  if (isCryptoKey(key)) return ((key.algorithm as { length?: number }).length ?? 0) / 8;
  assertBytes(key, "key");
  return key.byteLength;
}

/** AES-GCM encryption (NIST SP 800-38D §7.1): ciphertext || 128-bit tag (xmlenc-core1 §5.2.4 after the IV). */
export async function aesGcmEncrypt(key: AesKey, iv: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await gcmKey(key, iv, "encrypt");
  assertBytes(plaintext, "plaintext");
  if (aad !== undefined) assertBytes(aad, "aad");
  const params: AesGcmParams = { name: "AES-GCM", iv: buffer(iv), tagLength: aesGcmTagBytes * 8, ...(aad !== undefined ? { additionalData: buffer(aad) } : {}) };
  return new Uint8Array(await subtle().encrypt(params, cryptoKey, buffer(plaintext)));
}

/** AES-GCM decryption (SP 800-38D §7.2). Every failure is ERR_CRYPTO_DECRYPT_FAILED with no detail. */
export async function aesGcmDecrypt(key: AesKey, iv: Uint8Array, ciphertextAndTag: Uint8Array, aad?: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await gcmKey(key, iv, "decrypt");
  assertBytes(ciphertextAndTag, "ciphertextAndTag");
  if (aad !== undefined) assertBytes(aad, "aad");
  if (ciphertextAndTag.byteLength < aesGcmTagBytes) throw new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  const params: AesGcmParams = { name: "AES-GCM", iv: buffer(iv), tagLength: aesGcmTagBytes * 8, ...(aad !== undefined ? { additionalData: buffer(aad) } : {}) };
  try {
    return new Uint8Array(await subtle().decrypt(params, cryptoKey, buffer(ciphertextAndTag)));
  } catch {
    throw new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  }
}
