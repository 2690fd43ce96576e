import { createPublicKey, webcrypto, type KeyObject } from "node:crypto";
import { PkiError } from "./errors.js";
import { isP256, signingCryptoKey } from "./internal/keys.js";
import { x509 } from "./internal/x509.js";
import { rsaDeviceModulusBitsMax, rsaDeviceModulusBitsMin } from "./limits.js";

/**
 * The device side of enrolment: a PKCS#10 request (RFC 2986) for the device's own key, signed with it (proof
 * of possession): P-256 with ecdsa-with-SHA256, or, for a legacy device, RSA (rsaDeviceModulusBitsMin..Max)
 * with sha256WithRSAEncryption. The subject is a hint only; the CA takes the identity from the platform's
 * records, never from the request.
 */
export async function createCsr(privateKey: KeyObject, commonName: string): Promise<Uint8Array> {
  if (privateKey.type !== "private") throw new PkiError("ERR_PKI_INVALID_INPUT", "createCsr needs a private key");
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(commonName)) throw new PkiError("ERR_PKI_INVALID_INPUT", "commonName: 1-64 of A-Za-z0-9._-");
  const spki = createPublicKey(privateKey).export({ format: "der", type: "spki" });
  let keys: webcrypto.CryptoKeyPair;
  let signingAlgorithm: { name: string; hash: string };
  if (isP256(privateKey)) {
    signingAlgorithm = { name: "ECDSA", hash: "SHA-256" };
    keys = {
      privateKey: await signingCryptoKey(privateKey),
      publicKey: await webcrypto.subtle.importKey("spki", spki, { name: "ECDSA", namedCurve: "P-256" }, true, ["verify"]),
    };
  } else if (privateKey.asymmetricKeyType === "rsa" && isRsaDeviceSize(privateKey)) {
    signingAlgorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
    const pkcs8 = privateKey.export({ format: "der", type: "pkcs8" });
    keys = {
      privateKey: await webcrypto.subtle.importKey("pkcs8", pkcs8, algorithm, false, ["sign"]),
      publicKey: await webcrypto.subtle.importKey("spki", spki, algorithm, true, ["verify"]),
    };
    pkcs8.fill(0);
  } else {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `createCsr needs a P-256 or an RSA ${rsaDeviceModulusBitsMin}-${rsaDeviceModulusBitsMax} private key`);
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [{ CN: [commonName] }], keys, signingAlgorithm });
  return new Uint8Array(csr.rawData);
}

function isRsaDeviceSize(key: KeyObject): boolean {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return bits >= rsaDeviceModulusBitsMin && bits <= rsaDeviceModulusBitsMax;
}
