import { verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { assertEcdsaEncoding } from "./ecdsa-p256-sign.js";
import type { EcdsaSignatureEncoding } from "./ecdsa-p256-sign.js";
import { decodeDer, decodeP1363, encodeP1363 } from "./ecdsa-signature.js";
import { assertBytes } from "./internal/bytes.js";
import { assertP256Key } from "./internal/keys.js";

/**
 * ECDSA P-256/SHA-256 verification (FIPS 186-5 §6.4.2) with strict signature parsing done here, not left to
 * OpenSSL: "p1363" must be exactly 64 bytes, "der" must be the unique DER encoding (see ecdsa-signature.ts),
 * and r, s must lie in [1, n-1]. Returns false for every malformed or wrong signature, never throws on it.
 * Throws ERR_CRYPTO_INVALID_KEY if `publicKey` is not a P-256 public key (a programming error).
 */
export function verifyEcdsaP256(
  publicKey: KeyObject,
  data: Uint8Array,
  signature: Uint8Array,
  encoding: EcdsaSignatureEncoding,
): boolean {
  assertP256Key(publicKey, "public", "publicKey");
  assertBytes(data, "data");
  assertEcdsaEncoding(encoding);
  if (!(signature instanceof Uint8Array)) return false;
  const values = encoding === "p1363" ? decodeP1363(signature) : decodeDer(signature);
  if (values === null) return false;
  try {
    // Re-encoded from the parsed values, so OpenSSL only ever sees a canonical signature.
    return verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, encodeP1363(values));
  } catch {
    return false;
  }
}
