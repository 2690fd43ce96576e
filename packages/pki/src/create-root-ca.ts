import { generateKeyPairSync } from "node:crypto";
import { jsonName } from "./internal/names.js";
import type { DistinguishedName } from "./internal/names.js";
import { randomSerialHex } from "./internal/serial.js";
import { signCertificate } from "./internal/sign-certificate.js";
import { spkiDerOf } from "./internal/keys.js";
import { validityWindow } from "./internal/validity.js";
import { x509 } from "./internal/x509.js";
import { caValidityDaysMax } from "./limits.js";
import { softwareSigner } from "./signer.js";
import type { CaKeyPair } from "./types.js";

export interface CreateRootCaParams {
  readonly subject: DistinguishedName;
  readonly now: Date;
  /** 1..caValidityDaysMax. */
  readonly validityDays: number;
}

/**
 * A self-signed root CA (RFC 5280 §3.2, §4.2.1.9): a fresh P-256 key, ECDSA-SHA256, basicConstraints cA = TRUE
 * with no pathLenConstraint (critical), keyUsage keyCertSign + cRLSign (critical, §4.2.1.3), SKI and AKI
 * (AKI = own SKI, §4.2.1.1 allows it for self-signed), a random 16-byte serial, notBefore = now.
 */
export async function createRootCa(params: CreateRootCaParams): Promise<CaKeyPair> {
  const window = validityWindow(params.now, params.validityDays, caValidityDaysMax);
  const subject = jsonName(params.subject);
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const certificateDer = await signCertificate({
    subject,
    issuerNameDer: null,
    subjectSpki: spkiDerOf(privateKey),
    serialHex: randomSerialHex(),
    ...window,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
    authorityKeyIdHex: null,
    signer: softwareSigner(privateKey),
  });
  return { certificateDer, privateKey };
}
