import { createPublicKey, diffieHellman } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { CryptoError } from "./errors.js";
import { assertBytes, copyBytes, toBase64Url } from "./internal/bytes.js";
import { assertP256Key } from "./internal/keys.js";
import { p256FieldBytes } from "./limits.js";
import { decodeP256Point } from "./p256.js";

/**
 * ECDH over P-256 (SEC 1 §3.3.1 Elliptic Curve Diffie-Hellman Primitive; SP 800-56A Rev. 3 §5.7.1.2 with
 * cofactor 1). `peerPublicKey` is a SEC1 point, uncompressed (65 bytes) or compressed (33 bytes); it is fully
 * validated before use (on the curve, coordinates < p, not the identity), so invalid-curve and twist points are
 * rejected with ERR_CRYPTO_INVALID_INPUT. Returns the 32-byte x coordinate of d * Q (SEC 1 §3.3.1 step 3;
 * RFC 7518 §4.6.2 Z). Derive keys from it with a KDF, never use it directly.
 */
export function ecdhP256(privateKey: KeyObject, peerPublicKey: Uint8Array): Uint8Array {
  assertP256Key(privateKey, "private", "privateKey");
  assertBytes(peerPublicKey, "peerPublicKey");
  const point = decodeP256Point(peerPublicKey);
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: { kty: "EC", crv: "P-256", x: toBase64Url(point.x), y: toBase64Url(point.y) },
      format: "jwk",
    });
  } catch {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "invalid P-256 public point");
  }
  let shared: Uint8Array;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "ECDH with the peer public key failed");
  }
  if (shared.byteLength !== p256FieldBytes) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "ECDH produced a shared secret of unexpected length");
  }
  return copyBytes(shared);
}
