import { sign } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { CryptoError } from "./errors.js";
import { assertBytes, copyBytes } from "./internal/bytes.js";
import { assertP256Key } from "./internal/keys.js";

/** Signature encodings: "p1363" = r || s (RFC 4050, RFC 6931 ecdsa-sha256, RFC 7518 ES256); "der" = RFC 3279. */
export type EcdsaSignatureEncoding = "p1363" | "der";

export function assertEcdsaEncoding(encoding: unknown): asserts encoding is EcdsaSignatureEncoding {
  if (encoding !== "p1363" && encoding !== "der") {
    throw new CryptoError("ERR_CRYPTO_ALGORITHM", "ECDSA signature encoding must be \"p1363\" or \"der\"");
  }
}

/**
 * ECDSA over P-256 with SHA-256 (FIPS 186-5 §6.4.1). OpenSSL 3 draws the nonce from its DRBG.
 * Throws ERR_CRYPTO_INVALID_KEY for anything but a P-256 private key.
 */
export function signEcdsaP256(privateKey: KeyObject, data: Uint8Array, encoding: EcdsaSignatureEncoding): Uint8Array {
  assertP256Key(privateKey, "private", "privateKey");
  assertBytes(data, "data");
  assertEcdsaEncoding(encoding);
  const dsaEncoding = encoding === "p1363" ? "ieee-p1363" : "der";
  return copyBytes(sign("sha256", data, { key: privateKey, dsaEncoding }));
}
