import { decodeP1363 } from "../ecdsa-signature.js";
import { assertBytes } from "../internal/bytes.js";
import { assertKey } from "./keys.js";
import { buffer, subtle } from "./subtle.js";

/** ECDSA over P-256 with SHA-256 (FIPS 186-5 §6.4.1); the signature is r || s (IEEE P1363, RFC 4050, RFC 6931). */
export async function signEcdsaP256(privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  assertKey(privateKey, "ecdsa-p256", "private", "privateKey");
  assertBytes(data, "data");
  return new Uint8Array(await subtle().sign({ name: "ECDSA", hash: "SHA-256" }, privateKey, buffer(data)));
}

/**
 * ECDSA P-256/SHA-256 verification (FIPS 186-5 §6.4.2) of an r || s signature. The signature is parsed here
 * first (exactly 64 bytes, r and s in [1, n-1], the same parser as the node:crypto verifier), so the platform's
 * implementation only ever sees a well-formed one. False for every malformed or wrong signature.
 */
export async function verifyEcdsaP256(publicKey: CryptoKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  assertKey(publicKey, "ecdsa-p256", "public", "publicKey");
  assertBytes(data, "data");
  if (!(signature instanceof Uint8Array) || decodeP1363(signature) === null) return false;
  try {
    return await subtle().verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, buffer(signature), buffer(data));
  } catch {
    return false;
  }
}

/** RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2), for legacy devices and RSA platform certificates only. */
export async function signRsaPkcs1Sha256(privateKey: CryptoKey, data: Uint8Array): Promise<Uint8Array> {
  assertKey(privateKey, "rsa-pkcs1-sha256", "private", "privateKey");
  assertBytes(data, "data");
  return new Uint8Array(await subtle().sign("RSASSA-PKCS1-v1_5", privateKey, buffer(data)));
}

export async function verifyRsaPkcs1Sha256(publicKey: CryptoKey, data: Uint8Array, signature: Uint8Array): Promise<boolean> {
  assertKey(publicKey, "rsa-pkcs1-sha256", "public", "publicKey");
  assertBytes(data, "data");
  if (!(signature instanceof Uint8Array)) return false;
  try {
    return await subtle().verify("RSASSA-PKCS1-v1_5", publicKey, buffer(signature), buffer(data));
  } catch {
    return false;
  }
}
