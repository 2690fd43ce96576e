import { createHash, createPublicKey, KeyObject, X509Certificate } from "node:crypto";
import { rsaModulusMaxBits, rsaModulusMinBits } from "@obol/crypto";
import { encodeBase64Url } from "./base64.js";
import { XmlError } from "./errors.js";
import { keyNameCharsMax } from "./limits.js";
import { ecdsaSha256Algorithm, rsaSha256Algorithm } from "./namespaces.js";

/** A key the caller trusts: a public KeyObject, or a certificate whose public key is meant. */
export type TrustedKey = KeyObject | X509Certificate;

/** The two signature algorithms that exist here. RSA only when the caller allows it (legacy devices). */
export type SignatureAlgorithmName = "ecdsa-sha256" | "rsa-sha256";

export const signatureAlgorithmUris: Readonly<Record<SignatureAlgorithmName, string>> = {
  "ecdsa-sha256": ecdsaSha256Algorithm,
  "rsa-sha256": rsaSha256Algorithm,
};

/** The public key of a trusted key, a certificate, or (for signers) a private key. */
export function publicKeyOf(key: TrustedKey): KeyObject {
  if (key instanceof X509Certificate) return key.publicKey;
  if (key instanceof KeyObject) {
    if (key.type === "public") return key;
    if (key.type === "private") return createPublicKey(key);
  }
  throw new XmlError("ERR_XML_ALGORITHM", "the key must be a KeyObject or an X509Certificate");
}

/** The signature algorithm a key can produce: P-256 → ecdsa-sha256, RSA 2048–8192 → rsa-sha256. */
export function signatureAlgorithmOf(key: KeyObject): SignatureAlgorithmName {
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ecdsa-sha256";
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType === "rsa" && bits >= rsaModulusMinBits && bits <= rsaModulusMaxBits) return "rsa-sha256";
  throw new XmlError("ERR_XML_ALGORITHM", "keys must be EC P-256 or RSA of 2048 to 8192 bits");
}

/**
 * SHA-256 of the DER SubjectPublicKeyInfo, base64url: a name for a public key that does not depend on how it
 * was delivered (certificate, PEM, JWK). Binds sealed confidential content to its signer (envelope.ts).
 */
export function keyFingerprint(key: TrustedKey): string {
  const spki = publicKeyOf(key).export({ format: "der", type: "spki" });
  return encodeBase64Url(createHash("sha256").update(spki).digest());
}

/** A ds:KeyName value (xmldsig-core1 §4.5.1) we write or accept: 1 to keyNameCharsMax printable characters,
 * no surrounding whitespace. */
export function isKeyName(name: unknown): name is string {
  return (
    typeof name === "string" &&
    name.length > 0 &&
    name.length <= keyNameCharsMax &&
    name.trim() === name &&
    !/[\u0000-\u001f\u007f]/.test(name)
  );
}
