import { CryptoError } from "./errors.js";
import { assertBytes } from "./internal/bytes.js";
import { decodeDer, decodeP1363, encodeDer, encodeP1363 } from "./ecdsa-signature.js";

/**
 * Converts a P-256 ECDSA signature from r || s (RFC 4050, RFC 7518 §3.4) to DER (RFC 3279 §2.2.3), e.g. to hand
 * an XML-DSig signature to a DER-only verifier. Throws ERR_CRYPTO_INVALID_INPUT unless it is 64 bytes with r, s
 * in [1, n-1].
 */
export function ecdsaP256P1363ToDer(signature: Uint8Array): Uint8Array {
  assertBytes(signature, "signature");
  const values = decodeP1363(signature);
  if (values === null) throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "not a P-256 r || s signature");
  return encodeDer(values);
}

/** The inverse: strict DER (see ecdsa-signature.ts) to r || s. Throws ERR_CRYPTO_INVALID_INPUT otherwise. */
export function ecdsaP256DerToP1363(signature: Uint8Array): Uint8Array {
  assertBytes(signature, "signature");
  const values = decodeDer(signature);
  if (values === null) throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "not a DER P-256 ECDSA signature");
  return encodeP1363(values);
}
