import { KeyObject } from "node:crypto";
import { CryptoError } from "../errors.js";
import { rsaModulusMaxBits, rsaModulusMinBits } from "../limits.js";

type KeyKind = "public" | "private";

function isKeyObject(key: unknown): key is KeyObject {
  return key instanceof KeyObject;
}

/** A P-256 key (OpenSSL name prime256v1, SEC 2 §2.4.2 secp256r1) of the given kind, else ERR_CRYPTO_INVALID_KEY. */
export function assertP256Key(key: unknown, kind: KeyKind, name: string): asserts key is KeyObject {
  if (!isKeyObject(key) || key.type !== kind || key.asymmetricKeyType !== "ec") {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", `${name} must be an EC P-256 ${kind} KeyObject`);
  }
  if (key.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", `${name} must be on curve P-256`);
  }
}

/** An RSA key (rsaEncryption, not RSASSA-PSS-restricted) with a modulus inside the allow-list. */
export function assertRsaKey(key: unknown, kind: KeyKind, name: string): asserts key is KeyObject {
  if (!isKeyObject(key) || key.type !== kind || key.asymmetricKeyType !== "rsa") {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", `${name} must be an RSA ${kind} KeyObject`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined || bits < rsaModulusMinBits || bits > rsaModulusMaxBits) {
    throw new CryptoError(
      "ERR_CRYPTO_INVALID_KEY",
      `${name} must have a modulus of ${rsaModulusMinBits} to ${rsaModulusMaxBits} bits`,
    );
  }
}

/** Modulus size in bytes, k in RFC 8017 §7.1. Only after assertRsaKey. */
export function rsaModulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}
