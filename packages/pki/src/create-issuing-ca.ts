import { KeyObject, generateKeyPairSync } from "node:crypto";
import { PkiError } from "./errors.js";
import { loadIssuer } from "./internal/issuer.js";
import { isP256, publicOf, spkiDerOf } from "./internal/keys.js";
import { jsonName } from "./internal/names.js";
import type { DistinguishedName } from "./internal/names.js";
import { randomSerialHex } from "./internal/serial.js";
import { signCertificate } from "./internal/sign-certificate.js";
import { checkInsideIssuer, validityWindow } from "./internal/validity.js";
import { x509 } from "./internal/x509.js";
import { caValidityDaysMax } from "./limits.js";
import type { CaKeyPair, Issuer } from "./types.js";

export interface CreateIssuingCaParams {
  readonly root: Issuer;
  readonly subject: DistinguishedName;
  readonly now: Date;
  /** 1..caValidityDaysMax, and the result must not outlive the root. */
  readonly validityDays: number;
}

export interface CertifyIssuingCaParams extends CreateIssuingCaParams {
  /** The issuing CA's P-256 public key, e.g. of a key pair generated inside a PKCS#11 token. */
  readonly publicKey: KeyObject;
}

/**
 * An issuing (intermediate) CA under `root`: a fresh P-256 key, basicConstraints cA = TRUE, pathLenConstraint 0
 * (critical; it may issue end-entity certificates only, RFC 5280 §4.2.1.9), keyUsage keyCertSign + cRLSign +
 * digitalSignature (critical). digitalSignature is there because this CA also signs OCSP responses directly
 * (RFC 6960 §4.2.2.2 case 1; RFC 5280 §4.2.1.3: digitalSignature covers signatures other than on
 * certificates and CRLs). SKI, and AKI = the root's SKI.
 */
export async function createIssuingCa(params: CreateIssuingCaParams): Promise<CaKeyPair> {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const certificateDer = await certifyIssuingCa({ ...params, publicKey: privateKey });
  return { certificateDer, privateKey };
}

/**
 * The certificate of createIssuingCa() for a key generated elsewhere (a PKCS#11 token: the key ceremony). Same
 * profile; returns the certificate DER. `publicKey` may be a private KeyObject, whose public half is used.
 */
export async function certifyIssuingCa(params: CertifyIssuingCaParams): Promise<Uint8Array> {
  const root = loadIssuer(params.root, "keyCertSign");
  if (root.pathLength !== undefined && root.pathLength < 1) {
    throw new PkiError("ERR_PKI_ISSUER", "the root's pathLenConstraint does not allow another CA below it");
  }
  if (!(params.publicKey instanceof KeyObject) || params.publicKey.type === "secret" || !isP256(params.publicKey)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "publicKey must be an EC P-256 KeyObject");
  }
  const window = validityWindow(params.now, params.validityDays, caValidityDaysMax);
  checkInsideIssuer(window, root);
  return signCertificate({
    subject: jsonName(params.subject),
    issuerNameDer: root.fields.subject,
    subjectSpki: spkiDerOf(publicOf(params.publicKey)),
    serialHex: randomSerialHex(),
    ...window,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
    ],
    authorityKeyIdHex: root.keyIdHex,
    signer: root.signer,
  });
}
