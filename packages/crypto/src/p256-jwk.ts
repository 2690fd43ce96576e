import { CryptoError } from "./errors.js";
import { concatBytes } from "./internal/bytes.js";
import { p256FieldBytes } from "./limits.js";
import { decodeP256Point } from "./p256.js";

const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

function coordinate(value: unknown, name: string): Uint8Array {
  // RFC 7518 §6.2.1.2/§6.2.1.3: base64url without padding, exactly the field size (32 bytes for P-256).
  if (typeof value !== "string" || !base64UrlPattern.test(value)) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", `JWK "${name}" must be a base64url string`);
  }
  const bytes = Buffer.from(value, "base64url");
  if (bytes.byteLength !== p256FieldBytes || bytes.toString("base64url") !== value) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", `JWK "${name}" must encode exactly ${p256FieldBytes} bytes`);
  }
  return Uint8Array.from(bytes);
}

/**
 * The uncompressed SEC1 point of a P-256 public JWK (RFC 7518 §6.2.1: kty "EC", crv "P-256", x, y), validated
 * like decodeP256Point (on the curve, not the identity). A JWK with "d" is refused: a public key was expected and
 * a private one must not travel. Other members ("kid", "use", ...) are ignored. Throws ERR_CRYPTO_INVALID_INPUT.
 */
export function p256PointFromJwk(jwk: unknown): Uint8Array {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "JWK must be an object");
  }
  const { kty, crv, x, y, d } = jwk as Record<string, unknown>;
  if (kty !== "EC") throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", 'JWK "kty" must be "EC"');
  if (crv !== "P-256") throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", 'JWK "crv" must be "P-256"');
  if (d !== undefined) throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "JWK is a private key");
  const point = concatBytes(Uint8Array.of(0x04), coordinate(x, "x"), coordinate(y, "y"));
  decodeP256Point(point);
  return point;
}
