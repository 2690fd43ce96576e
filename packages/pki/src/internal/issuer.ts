import { X509Certificate } from "node:crypto";
import { PkiError } from "../errors.js";
import { checkSigner, softwareSigner } from "../signer.js";
import type { Signer } from "../signer.js";
import type { Issuer } from "../types.js";
import { certificateFields, equalBytes } from "./cert-fields.js";
import type { CertificateFields } from "./cert-fields.js";
import { keyIdentifier, spkiDerOf } from "./keys.js";
import { spkiKeyBits } from "./cert-fields.js";
import { x509 } from "./x509.js";

/** An issuer checked once and opened up for signing. */
export interface LoadedIssuer {
  readonly certificateDer: Uint8Array;
  readonly signer: Signer;
  readonly fields: CertificateFields;
  readonly certificate: x509.X509Certificate;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** SKI of the issuer (its extension value, else computed), hex: becomes the AKI of what it signs. */
  readonly keyIdHex: string;
  /** basicConstraints pathLenConstraint, undefined = unlimited. */
  readonly pathLength: number | undefined;
}

export const OID_BASIC_CONSTRAINTS = "2.5.29.19";
export const OID_KEY_USAGE = "2.5.29.15";
export const OID_EXT_KEY_USAGE = "2.5.29.37";
export const OID_SUBJECT_ALT_NAME = "2.5.29.17";
export const OID_SUBJECT_KEY_ID = "2.5.29.14";
export const OID_AUTHORITY_KEY_ID = "2.5.29.35";
export const OID_CRL_DISTRIBUTION_POINTS = "2.5.29.31";
export const OID_CERTIFICATE_POLICIES = "2.5.29.32";
export const OID_AUTHORITY_INFO_ACCESS = "1.3.6.1.5.5.7.1.1";
export const OID_OCSP_NOCHECK = "1.3.6.1.5.5.7.48.1.5";

/** Typed extension by OID (looking up by class is unreliable in @peculiar/x509 2.2, see ecosystem notes §2). */
export function extensionByOid<T extends x509.Extension>(
  extensions: readonly x509.Extension[],
  oid: string,
  Type: new (raw: ArrayBuffer) => T,
): T | null {
  const found = extensions.filter((e) => e.type === oid);
  if (found.length > 1) throw new PkiError("ERR_PKI_MALFORMED", `extension ${oid} appears more than once (RFC 5280 §4.2)`);
  return found[0] === undefined ? null : new Type(found[0].rawData);
}

/**
 * Checks that `issuer` is a CA this package can sign with: a parseable certificate with basicConstraints
 * cA = TRUE, keyUsage with `usage`, and a P-256 private key (or Signer) that belongs to it. Throws ERR_PKI_ISSUER.
 */
export function loadIssuer(issuer: Issuer, usage: "keyCertSign" | "cRLSign" | "ocsp"): LoadedIssuer {
  if (typeof issuer !== "object" || issuer === null || !(issuer.certificateDer instanceof Uint8Array)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "issuer must be { certificateDer, privateKey } or { certificateDer, signer }");
  }
  const signer = signerOf(issuer, "issuer");
  let fields: CertificateFields;
  let certificate: x509.X509Certificate;
  try {
    fields = certificateFields(issuer.certificateDer);
    certificate = new x509.X509Certificate(issuer.certificateDer);
    new X509Certificate(issuer.certificateDer);
  } catch (cause) {
    throw new PkiError("ERR_PKI_ISSUER", "issuer.certificateDer is not a parseable certificate", { cause });
  }
  if (!equalBytes(spkiKeyBits(spkiDerOf(signer.publicKey)), fields.subjectPublicKey)) {
    throw new PkiError("ERR_PKI_ISSUER", "the issuer's key does not belong to issuer.certificateDer");
  }
  const bc = extensionByOid(certificate.extensions, OID_BASIC_CONSTRAINTS, x509.BasicConstraintsExtension);
  if (bc === null || !bc.ca) throw new PkiError("ERR_PKI_ISSUER", "issuer certificate is not a CA (basicConstraints)");
  const ku = extensionByOid(certificate.extensions, OID_KEY_USAGE, x509.KeyUsagesExtension);
  // RFC 6960 §4.2.2.2: a CA signing OCSP responses itself needs no EKU; we require keyCertSign as proof it is the CA.
  const needed = usage === "cRLSign" ? x509.KeyUsageFlags.cRLSign : x509.KeyUsageFlags.keyCertSign;
  if (ku !== null && (ku.usages & needed) === 0) {
    throw new PkiError("ERR_PKI_ISSUER", `issuer certificate lacks keyUsage ${usage === "cRLSign" ? "cRLSign" : "keyCertSign"}`);
  }
  const ski = extensionByOid(certificate.extensions, OID_SUBJECT_KEY_ID, x509.SubjectKeyIdentifierExtension);
  const keyIdHex = ski?.keyId ?? Buffer.from(keyIdentifier(fields.spki)).toString("hex");
  return {
    certificateDer: issuer.certificateDer,
    signer,
    fields,
    certificate,
    notBefore: certificate.notBefore,
    notAfter: certificate.notAfter,
    keyIdHex,
    pathLength: bc.pathLength,
  };
}

/** The Signer of a key pair or a SigningCa (ERR_PKI_INVALID_INPUT for anything else). */
export function signerOf(issuer: Issuer, name: string): Signer {
  return "signer" in issuer ? checkSigner(issuer.signer, `${name}.signer`) : softwareSigner(issuer.privateKey);
}
