import { createHash, X509Certificate } from "node:crypto";
import { loadConfig } from "../config.js";
import { ObolError } from "../errors/obol-error.js";
import { toPem } from "../http/pem.js";
import { moveIssuingKeyToToken } from "../modules/pki/hsm-ceremony.js";
import { openPlatform } from "./start.js";

/**
 * `obol pki hsm-init`: the key ceremony. Generates the issuing CA key pair inside the configured PKCS#11 token,
 * has the root CA certify it, re-issues the platform's service certificates, and replaces the sealed software
 * issuing key (README, "Key ceremony"). Prints the new issuing CA certificate and its fingerprint to record.
 */
export async function pkiHsmInit(overrides: { production?: boolean }): Promise<number> {
  const config = loadConfig(process.env, overrides);
  if (config.pkcs11 === undefined) {
    throw new ObolError("ERR_CONFIG", "obol pki hsm-init needs OBOL_PKCS11_MODULE, OBOL_PKCS11_TOKEN_LABEL and OBOL_PKCS11_PIN (README: key ceremony)");
  }
  const platform = await openPlatform(config, { logger: false, sealedIssuingKeyAllowed: true });
  try {
    const { db, pki, audit } = platform.services;
    const outcome = await moveIssuingKeyToToken({
      db, keys: pki.keys, pkcs11: config.pkcs11, now: new Date(), audit,
      urls: { ocspUrl: `${config.publicUrl}/pki/ocsp`, crlUrl: `${config.publicUrl}/pki/crl` },
    });
    const certificate = new X509Certificate(outcome.issuingCertificateDer);
    console.log(`issuing CA key generated in the token: ${outcome.uri} (EC P-256, sensitive, not extractable)`);
    console.log(`issuing CA certificate, certified by the root: ${certificate.subject.replace(/\n/g, ", ")}, serial ${certificate.serialNumber.toLowerCase()}`);
    console.log(`  SHA-256 fingerprint ${createHash("sha256").update(outcome.issuingCertificateDer).digest("hex")}`);
    console.log(`platform service certificates re-issued under it: ${outcome.reissued.join(", ")}`);
    console.log("the sealed software issuing key is deleted; start the platform with the same OBOL_PKCS11_* settings");
    console.log(toPem(outcome.issuingCertificateDer, "CERTIFICATE").trimEnd());
    return 0;
  } finally {
    await platform.stop();
  }
}
