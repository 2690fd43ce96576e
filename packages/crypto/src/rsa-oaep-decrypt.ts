import { constants, privateDecrypt } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { CryptoError } from "./errors.js";
import { assertBytes, copyBytes } from "./internal/bytes.js";
import { assertRsaKey, rsaModulusBytes } from "./internal/keys.js";
import { assertRsaOaepHash } from "./rsa-oaep-params.js";
import type { RsaOaepHash } from "./rsa-oaep-params.js";

/**
 * RSAES-OAEP-DECRYPT (RFC 8017 §7.1.2) with MGF1 over the same hash. The ciphertext must be exactly k bytes
 * (§7.1.2 step 1b). Every failure is the same ERR_CRYPTO_DECRYPT_FAILED with the same message: RFC 8017 §7.1.2
 * note and Manger (CRYPTO 2001) — a caller must not be able to tell which check failed. OpenSSL's OAEP decoding
 * is constant-time (RSA_padding_check_PKCS1_OAEP_mgf1).
 */
export function rsaOaepDecrypt(
  privateKey: KeyObject,
  ciphertext: Uint8Array,
  hash: RsaOaepHash,
  label?: Uint8Array,
): Uint8Array {
  assertRsaKey(privateKey, "private", "privateKey");
  assertBytes(ciphertext, "ciphertext");
  assertRsaOaepHash(hash);
  if (label !== undefined) assertBytes(label, "label");
  const failed = new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  if (ciphertext.byteLength !== rsaModulusBytes(privateKey)) throw failed;
  try {
    const plaintext = privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: hash,
        ...(label !== undefined && label.byteLength > 0 ? { oaepLabel: label } : {}),
      },
      ciphertext,
    );
    return copyBytes(plaintext);
  } catch {
    throw failed;
  }
}
