import { constants, publicEncrypt } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { CryptoError } from "./errors.js";
import { assertBytes, copyBytes } from "./internal/bytes.js";
import { assertRsaKey, rsaModulusBytes } from "./internal/keys.js";
import { assertRsaOaepHash, rsaOaepHashBytes } from "./rsa-oaep-params.js";
import type { RsaOaepHash } from "./rsa-oaep-params.js";

/**
 * RSAES-OAEP-ENCRYPT (RFC 8017 §7.1.1) with MGF1 over the same hash. Plaintext is at most k - 2hLen - 2 bytes
 * (§7.1.1 step 1b), else ERR_CRYPTO_INVALID_INPUT. The label defaults to empty, as XML Encryption and JWE use.
 */
export function rsaOaepEncrypt(
  publicKey: KeyObject,
  plaintext: Uint8Array,
  hash: RsaOaepHash,
  label?: Uint8Array,
): Uint8Array {
  assertRsaKey(publicKey, "public", "publicKey");
  assertBytes(plaintext, "plaintext");
  assertRsaOaepHash(hash);
  if (label !== undefined) assertBytes(label, "label");
  const maxBytes = rsaModulusBytes(publicKey) - 2 * rsaOaepHashBytes[hash] - 2;
  if (plaintext.byteLength > maxBytes) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", `RSA-OAEP plaintext must be at most ${maxBytes} bytes`);
  }
  const ciphertext = publicEncrypt(
    {
      key: publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: hash,
      ...(label !== undefined && label.byteLength > 0 ? { oaepLabel: label } : {}),
    },
    plaintext,
  );
  return copyBytes(ciphertext);
}
