import { CryptoError } from "../errors.js";
import { assertBytes } from "../internal/bytes.js";
import { rsaModulusMaxBits, rsaModulusMinBits } from "../limits.js";
import { buffer, isCryptoKey, subtle } from "./subtle.js";

/** The public-key algorithms of the allow-list, as WebCrypto names them. */
export type PublicKeyKind = "ecdsa-p256" | "rsa-pkcs1-sha256";

const ecdsaP256 = { name: "ECDSA", namedCurve: "P-256" } as const;
const rsaPkcs1Sha256 = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const;

/** What a CryptoKey is, if it is on the allow-list: ECDSA P-256, or RSASSA-PKCS1-v1_5/SHA-256 of 2048–8192 bits. */
export function signatureKeyKind(key: CryptoKey): PublicKeyKind | undefined {
  if (!isCryptoKey(key)) return undefined;
  const algorithm = key.algorithm as { name: string; namedCurve?: string; modulusLength?: number; hash?: { name: string } };
  if (algorithm.name === "ECDSA" && algorithm.namedCurve === "P-256") return "ecdsa-p256";
  const bits = algorithm.modulusLength ?? 0;
  if (algorithm.name === "RSASSA-PKCS1-v1_5" && algorithm.hash?.name === "SHA-256" && bits >= rsaModulusMinBits && bits <= rsaModulusMaxBits) {
    return "rsa-pkcs1-sha256";
  }
  return undefined;
}

/**
 * Imports a DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) as a verification key: EC P-256 (RFC 5480) for
 * ECDSA, else RSA (RFC 3279 rsaEncryption) for RSASSA-PKCS1-v1_5/SHA-256. Anything else: ERR_CRYPTO_INVALID_KEY.
 */
export async function importVerificationKey(spki: Uint8Array): Promise<CryptoKey> {
  assertBytes(spki, "spki");
  for (const algorithm of [ecdsaP256, rsaPkcs1Sha256]) {
    try {
      const key = await subtle().importKey("spki", buffer(spki), algorithm, true, ["verify"]);
      if (signatureKeyKind(key) !== undefined) return key;
    } catch {
      // not this algorithm
    }
  }
  throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "the public key is neither EC P-256 nor RSA of 2048 to 8192 bits");
}

/**
 * Imports a DER PKCS#8 private key (RFC 5208) as a signing key (ECDSA P-256 or RSASSA-PKCS1-v1_5/SHA-256),
 * not extractable. ERR_CRYPTO_INVALID_KEY otherwise.
 */
export async function importSigningKey(pkcs8: Uint8Array): Promise<CryptoKey> {
  assertBytes(pkcs8, "pkcs8");
  for (const algorithm of [ecdsaP256, rsaPkcs1Sha256]) {
    try {
      const key = await subtle().importKey("pkcs8", buffer(pkcs8), algorithm, false, ["sign"]);
      if (signatureKeyKind(key) !== undefined) return key;
    } catch {
      // not this algorithm
    }
  }
  throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "the private key is neither EC P-256 nor RSA of 2048 to 8192 bits");
}

/** DER SubjectPublicKeyInfo of a public CryptoKey (public keys are always exportable, WebCrypto §14.3.10). */
export async function exportSpki(publicKey: CryptoKey): Promise<Uint8Array> {
  if (!isCryptoKey(publicKey) || publicKey.type !== "public") {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "a public CryptoKey was expected");
  }
  return new Uint8Array(await subtle().exportKey("spki", publicKey));
}

export function assertKey(key: unknown, kind: PublicKeyKind, type: KeyType, name: string): asserts key is CryptoKey {
  if (!isCryptoKey(key) || key.type !== type || signatureKeyKind(key) !== kind) {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", `${name} must be a ${kind} ${type} CryptoKey`);
  }
}
