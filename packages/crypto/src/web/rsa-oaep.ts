import { CryptoError } from "../errors.js";
import { assertBytes } from "../internal/bytes.js";
import { rsaModulusMaxBits, rsaModulusMinBits } from "../limits.js";
import { buffer, subtle } from "./subtle.js";

/**
 * RSAES-OAEP (RFC 8017 §7.1) with SHA-1 and MGF1-SHA1, empty label: XML Encryption's rsa-oaep-mgf1p, the one
 * OAEP variant Debian's xmlsec1 1.2.37 speaks. SHA-1 is sound inside OAEP (no collision resistance needed).
 */
const oaepSha1 = { name: "RSA-OAEP", hash: "SHA-1" } as const;

function modulusBytes(key: CryptoKey): number {
  const bits = (key.algorithm as { modulusLength?: number }).modulusLength ?? 0;
  if (bits < rsaModulusMinBits || bits > rsaModulusMaxBits) {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", `RSA modulus must be ${rsaModulusMinBits} to ${rsaModulusMaxBits} bits`);
  }
  return Math.ceil(bits / 8);
}

/** Imports an RSA SubjectPublicKeyInfo (DER) for rsa-oaep-mgf1p key transport. */
export async function importRsaOaepPublicKey(spki: Uint8Array): Promise<CryptoKey> {
  assertBytes(spki, "spki");
  let key: CryptoKey;
  try {
    key = await subtle().importKey("spki", buffer(spki), oaepSha1, true, ["encrypt"]);
  } catch {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "the recipient key must be RSA");
  }
  modulusBytes(key);
  return key;
}

/** Imports an RSA PKCS#8 private key (DER) for rsa-oaep-mgf1p decryption, not extractable. */
export async function importRsaOaepPrivateKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  assertBytes(pkcs8, "pkcs8");
  let key: CryptoKey;
  try {
    key = await subtle().importKey("pkcs8", buffer(pkcs8), oaepSha1, false, ["decrypt"]);
  } catch {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "the private key must be RSA");
  }
  modulusBytes(key);
  return key;
}

export async function rsaOaepSha1Encrypt(publicKey: CryptoKey, plaintext: Uint8Array): Promise<Uint8Array> {
  assertBytes(plaintext, "plaintext");
  const k = modulusBytes(publicKey);
  if (plaintext.byteLength > k - 2 * 20 - 2) throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "RSA-OAEP plaintext too long");
  return new Uint8Array(await subtle().encrypt(oaepSha1, publicKey, buffer(plaintext)));
}

/** RSAES-OAEP-DECRYPT; the ciphertext must be exactly k bytes. Every failure is the same ERR_CRYPTO_DECRYPT_FAILED. */
export async function rsaOaepSha1Decrypt(privateKey: CryptoKey, ciphertext: Uint8Array): Promise<Uint8Array> {
  assertBytes(ciphertext, "ciphertext");
  const failed = new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  if (ciphertext.byteLength !== modulusBytes(privateKey)) throw failed;
  try {
    return new Uint8Array(await subtle().decrypt(oaepSha1, privateKey, buffer(ciphertext)));
  } catch {
    throw failed;
  }
}
