import { KeyObject, createHash, createPublicKey, webcrypto } from "node:crypto";
import { PkiError } from "../errors.js";
import { spkiKeyBits } from "./cert-fields.js";

/** A P-256 key (OpenSSL: prime256v1; SEC 2 §2.4.2 secp256r1) of the given kind. */
export function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1";
}

export function assertP256PrivateKey(key: unknown, name: string): asserts key is KeyObject {
  if (!(key instanceof KeyObject) || key.type !== "private" || !isP256(key)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${name} must be an EC P-256 private KeyObject`);
  }
}

/** The public half of a key pair (or the key itself if already public). */
export function publicOf(key: KeyObject): KeyObject {
  return key.type === "private" ? createPublicKey(key) : key;
}

export function spkiDerOf(key: KeyObject): Uint8Array {
  return new Uint8Array(publicOf(key).export({ format: "der", type: "spki" }));
}

/**
 * Key identifier, RFC 5280 §4.2.1.2 method (1): the SHA-1 of the subjectPublicKey BIT STRING value
 * (excluding tag, length and unused-bits octet). Used for SKI, AKI and the OCSP ResponderID byKey
 * (RFC 6960 §4.2.1, which defines KeyHash the same way).
 */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(spkiKeyBits(spki)).digest());
}

const signingKeys = new WeakMap<KeyObject, Promise<webcrypto.CryptoKey>>();

/**
 * The WebCrypto twin of a P-256 signing KeyObject, for @peculiar/x509 (Node 20 has no KeyObject.toCryptoKey).
 * Imported non-extractable and cached per KeyObject.
 */
export function signingCryptoKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  let cached = signingKeys.get(key);
  if (cached === undefined) {
    const pkcs8 = key.export({ format: "der", type: "pkcs8" });
    cached = webcrypto.subtle.importKey("pkcs8", pkcs8, { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    signingKeys.set(key, cached);
  }
  return cached;
}
