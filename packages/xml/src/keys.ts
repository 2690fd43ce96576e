import { exportSpki, importSigningKey, importVerificationKey, isCryptoKey, sha256, signatureKeyKind, subtle } from "@obol/crypto/web";
import { encodeBase64Url } from "./base64.js";
import { readCertificate } from "./certificates.js";
import type { CertificateInput, CertificateLike } from "./certificates.js";
import { XmlError } from "./errors.js";
import { keyNameCharsMax } from "./limits.js";
import { ecdsaSha256Algorithm, rsaSha256Algorithm } from "./namespaces.js";

/**
 * Keys as callers hold them. The library itself works on WebCrypto CryptoKeys (globalThis.crypto.subtle, in
 * Node and in browsers); Node callers may pass KeyObjects and X509Certificates, seen structurally (no node:
 * import here) and imported into WebCrypto once each.
 */

/** A Node `KeyObject`, seen structurally. */
export interface KeyObjectLike {
  readonly type: string;
  readonly asymmetricKeyType?: string;
  export(options: { format: "der"; type: "pkcs8" | "spki" }): Uint8Array;
}

/** A key the caller trusts to verify: a public CryptoKey, a KeyObject (its public half), or a certificate (its key). */
export type TrustedKey = CryptoKey | KeyObjectLike | CertificateInput;

/** A signing key: a WebCrypto key pair (the public half names the signer), or a private KeyObject. */
export type SigningKey = { readonly privateKey: CryptoKey; readonly publicKey: CryptoKey } | KeyObjectLike;

/** The two signature algorithms that exist here. RSA only when the caller allows it (legacy devices). */
export type SignatureAlgorithmName = "ecdsa-sha256" | "rsa-sha256";

export const signatureAlgorithmUris: Readonly<Record<SignatureAlgorithmName, string>> = {
  "ecdsa-sha256": ecdsaSha256Algorithm,
  "rsa-sha256": rsaSha256Algorithm,
};

/** A verification key, resolved: the CryptoKey, its DER SubjectPublicKeyInfo and its algorithm. */
export interface PublicKeyInfo {
  readonly key: CryptoKey;
  readonly spki: Uint8Array;
  readonly algorithm: SignatureAlgorithmName;
}

export interface SignerKeyInfo extends PublicKeyInfo {
  readonly privateKey: CryptoKey;
}

function algorithmOf(key: CryptoKey): SignatureAlgorithmName {
  const kind = signatureKeyKind(key);
  if (kind === "ecdsa-p256") return "ecdsa-sha256";
  if (kind === "rsa-pkcs1-sha256") return "rsa-sha256";
  throw new XmlError("ERR_XML_ALGORITHM", "keys must be EC P-256 (ECDSA) or RSA of 2048 to 8192 bits (RSASSA-PKCS1-v1_5, SHA-256)");
}

function isKeyObjectLike(value: unknown): value is KeyObjectLike {
  return typeof value === "object" && value !== null && typeof (value as KeyObjectLike).export === "function" && typeof (value as KeyObjectLike).type === "string";
}

function isCertificateInput(value: unknown): value is CertificateInput {
  return value instanceof Uint8Array || (typeof value === "object" && value !== null && (value as CertificateLike).raw instanceof Uint8Array);
}

async function fromSpki(spki: Uint8Array): Promise<PublicKeyInfo> {
  let key: CryptoKey;
  try {
    key = await importVerificationKey(spki);
  } catch {
    throw new XmlError("ERR_XML_ALGORITHM", "keys must be EC P-256 or RSA of 2048 to 8192 bits");
  }
  return { key, spki, algorithm: algorithmOf(key) };
}

const publicKeys = new WeakMap<object, Promise<PublicKeyInfo>>();
const signerKeys = new WeakMap<object, Promise<SignerKeyInfo>>();

/** The verification key a TrustedKey stands for. Cached per key object. */
export function publicKeyOf(trusted: TrustedKey): Promise<PublicKeyInfo> {
  if (typeof trusted !== "object" || trusted === null) return Promise.reject(new XmlError("ERR_XML_ALGORITHM", "no key"));
  let resolved = publicKeys.get(trusted);
  if (resolved === undefined) {
    resolved = (async () => {
      if (isCryptoKey(trusted)) {
        if (trusted.type !== "public") throw new XmlError("ERR_XML_ALGORITHM", "a trusted key must be a public key");
        algorithmOf(trusted);
        return { key: trusted, spki: await exportSpki(trusted), algorithm: algorithmOf(trusted) };
      }
      if (isCertificateInput(trusted)) return fromSpki(readCertificate(trusted).spki);
      if (isKeyObjectLike(trusted) && trusted.type === "public") return fromSpki(new Uint8Array(trusted.export({ format: "der", type: "spki" })));
      if (isKeyObjectLike(trusted) && trusted.type === "private") {
        const { key, spki, algorithm } = await signerKeyOf(trusted);
        return { key, spki, algorithm };
      }
      throw new XmlError("ERR_XML_ALGORITHM", "the key must be a public CryptoKey, a public KeyObject or a certificate");
    })();
    publicKeys.set(trusted, resolved);
  }
  return resolved;
}

/** The public half of an extractable or PKCS#8 private key, through JWK (WebCrypto cannot export SPKI of a private key). */
async function publicSpkiOfPkcs8(pkcs8: Uint8Array, ec: boolean): Promise<Uint8Array> {
  const algorithm = ec ? { name: "ECDSA", namedCurve: "P-256" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const key = await subtle().importKey("pkcs8", pkcs8.slice().buffer as ArrayBuffer, algorithm, true, ["sign"]);
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, key_ops: _ops, ...jwk } = await subtle().exportKey("jwk", key);
  const publicKey = await subtle().importKey("jwk", jwk, algorithm, true, ["verify"]);
  return exportSpki(publicKey);
}

/** The signing key a SigningKey stands for, with its public half. Cached per key object. */
export function signerKeyOf(signer: SigningKey): Promise<SignerKeyInfo> {
  if (typeof signer !== "object" || signer === null) return Promise.reject(new XmlError("ERR_XML_ALGORITHM", "no signing key"));
  let resolved = signerKeys.get(signer);
  if (resolved === undefined) {
    resolved = (async () => {
      if (isKeyObjectLike(signer)) {
        if (signer.type !== "private") throw new XmlError("ERR_XML_ALGORITHM", "privateKey must be a private key");
        const pkcs8 = new Uint8Array(signer.export({ format: "der", type: "pkcs8" }));
        let privateKey: CryptoKey;
        try {
          privateKey = await importSigningKey(pkcs8);
        } catch {
          throw new XmlError("ERR_XML_ALGORITHM", "keys must be EC P-256 or RSA of 2048 to 8192 bits");
        }
        const algorithm = algorithmOf(privateKey);
        const spki = await publicSpkiOfPkcs8(pkcs8, algorithm === "ecdsa-sha256");
        pkcs8.fill(0);
        const { key } = await fromSpki(spki);
        return { privateKey, key, spki, algorithm };
      }
      const { privateKey, publicKey } = signer;
      if (!isCryptoKey(privateKey) || privateKey.type !== "private" || !isCryptoKey(publicKey) || publicKey.type !== "public") {
        throw new XmlError("ERR_XML_ALGORITHM", "privateKey must be a private key (a CryptoKeyPair or a private KeyObject)");
      }
      const algorithm = algorithmOf(privateKey);
      if (algorithmOf(publicKey) !== algorithm) throw new XmlError("ERR_XML_ALGORITHM", "the key pair's halves differ in algorithm");
      return { privateKey, key: publicKey, spki: await exportSpki(publicKey), algorithm };
    })();
    signerKeys.set(signer, resolved);
  }
  return resolved;
}

/**
 * SHA-256 of the DER SubjectPublicKeyInfo, base64url: a name for a public key that does not depend on how it
 * was delivered (certificate, PEM, JWK). Binds sealed confidential content to its signer (confidential.ts).
 */
export async function keyFingerprint(key: TrustedKey | SigningKey): Promise<string> {
  const isPair = typeof key === "object" && key !== null && "privateKey" in key && "publicKey" in key;
  const isPrivateKeyObject = isKeyObjectLike(key) && key.type === "private";
  const { spki } = isPair || isPrivateKeyObject ? await signerKeyOf(key as SigningKey) : await publicKeyOf(key as TrustedKey);
  return spkiFingerprint(spki);
}

export async function spkiFingerprint(spki: Uint8Array): Promise<string> {
  return encodeBase64Url(await sha256(spki));
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
