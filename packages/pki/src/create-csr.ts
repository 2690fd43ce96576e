import { createPublicKey, webcrypto, type KeyObject } from "node:crypto";
import { PkiError } from "./errors.js";
import { signingCryptoKey } from "./internal/keys.js";
import { x509 } from "./internal/x509.js";

/**
 * The device side of enrolment: a PKCS#10 request (RFC 2986) for the device's own P-256 key,
 * signed with it (proof of possession). The subject is a hint only; the CA takes the identity
 * from the platform's records, never from the request.
 */
export async function createCsr(privateKey: KeyObject, commonName: string): Promise<Uint8Array> {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ec" || privateKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "createCsr needs a P-256 private key");
  }
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(commonName)) throw new PkiError("ERR_PKI_INVALID_INPUT", "commonName: 1-64 of A-Za-z0-9._-");
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  const publicKey = await webcrypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [commonName] }],
    keys: { privateKey: await signingCryptoKey(privateKey), publicKey },
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
  });
  return new Uint8Array(csr.rawData);
}
