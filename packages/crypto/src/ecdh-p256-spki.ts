import type { KeyObject } from "node:crypto";
import { CryptoError } from "./errors.js";
import { ecdhP256 } from "./ecdh-p256.js";
import { assertBytes, bytesEqual } from "./internal/bytes.js";
import { assertP256Key } from "./internal/keys.js";
import { p256CompressedPointBytes, p256UncompressedPointBytes } from "./p256.js";

/**
 * DER of SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for id-ecPublicKey (1.2.840.10045.2.1) with the named curve
 * secp256r1 (1.2.840.10045.3.1.7), RFC 5480 §2.1.1 / §2.2, up to and including the BIT STRING's unused-bits
 * octet. DER leaves exactly one encoding per point size, so the prefix is a constant: explicit curve parameters
 * (RFC 5480 §2.1.1: "MUST NOT be used"), other curves, BER length forms and trailing bytes all fail to match.
 */
const spkiPrefixUncompressed = Uint8Array.from(
  Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"),
);
const spkiPrefixCompressed = Uint8Array.from(Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex"));

/**
 * The SEC1 point inside a DER SubjectPublicKeyInfo of a named-curve P-256 key (RFC 5480 §2.2), not yet validated
 * as a point (decodeP256Point does that). Throws ERR_CRYPTO_INVALID_INPUT for any other key or encoding.
 */
export function p256PointFromSpki(spki: Uint8Array): Uint8Array {
  assertBytes(spki, "spki");
  for (const [prefix, pointBytes] of [
    [spkiPrefixUncompressed, p256UncompressedPointBytes],
    [spkiPrefixCompressed, p256CompressedPointBytes],
  ] as const) {
    if (spki.byteLength === prefix.byteLength + pointBytes && bytesEqual(spki.subarray(0, prefix.byteLength), prefix)) {
      return Uint8Array.from(spki.subarray(prefix.byteLength));
    }
  }
  throw new CryptoError(
    "ERR_CRYPTO_INVALID_INPUT",
    "peer key is not a DER SubjectPublicKeyInfo of a P-256 named-curve public key",
  );
}

/**
 * ecdhP256 with the peer key given as DER SubjectPublicKeyInfo (RFC 5480), as in X.509 and CMS
 * KeyAgreeRecipientInfo originator keys. Only the named-curve P-256 form is accepted.
 */
export function ecdhP256Spki(privateKey: KeyObject, peerSpkiDer: Uint8Array): Uint8Array {
  assertP256Key(privateKey, "private", "privateKey");
  assertBytes(peerSpkiDer, "peerSpkiDer");
  return ecdhP256(privateKey, p256PointFromSpki(peerSpkiDer));
}
