import type { KeyObject } from "node:crypto";
import { compactId } from "../compact-id.js";
import { PkiError } from "../errors.js";
import { endEntityValidityDaysMax } from "../limits.js";
import type { Issuer } from "../types.js";
import { loadIssuer } from "./issuer.js";
import { spkiDerOf } from "./keys.js";
import { normaliseSerialHex, randomSerialHex } from "./serial.js";
import { signCertificate } from "./sign-certificate.js";
import { checkInsideIssuer, validityWindow } from "./validity.js";
import { x509 } from "./x509.js";

/** What the platform stores about a certificate it issued. */
export interface IssuedCertificate {
  readonly certificateDer: Uint8Array;
  /** Canonical serial hex (see StatusOf): the key of the revocation table. */
  readonly serialHex: string;
  /** compactId(certificateDer). */
  readonly compactId: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const urlCharsMax = 2048;

/** An http(s) URL for AIA/CRLDP (RFC 5280 §4.2.1.13, §4.2.2.1; RFC 6960 Appendix A.1: OCSP over HTTP). */
export function checkHttpUrl(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length > urlCharsMax || /[\s\u0000-\u001f\u007f]/u.test(value)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be an http(s) URL`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be an http(s) URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be an http(s) URL`);
  }
  return value;
}

export interface EndEntityParams {
  readonly issuer: Issuer;
  readonly subjectKey: KeyObject;
  readonly commonName: string;
  readonly sanUris: readonly string[];
  readonly extensions: readonly x509.Extension[];
  readonly now: Date;
  readonly validityDays: number;
  readonly serial: string | undefined;
  readonly ocspUrl: string | undefined;
  readonly crlUrl: string | undefined;
}

/**
 * The end-entity profile shared by device and service certificates: subject CN only, basicConstraints
 * cA = FALSE (critical), the given extensions, SAN URIs (non-critical: the subject is not empty, RFC 5280
 * §4.2.1.6), AIA with the OCSP URL (§4.2.2.1), CRL distribution point (§4.2.1.13), SKI/AKI.
 */
export async function issueEndEntity(p: EndEntityParams): Promise<IssuedCertificate> {
  const issuer = loadIssuer(p.issuer, "keyCertSign");
  const window = validityWindow(p.now, p.validityDays, endEntityValidityDaysMax);
  checkInsideIssuer(window, issuer);
  const serialHex = p.serial === undefined ? randomSerialHex() : normaliseSerialHex(p.serial, "serial");
  const extensions: x509.Extension[] = [new x509.BasicConstraintsExtension(false, undefined, true), ...p.extensions];
  extensions.push(new x509.SubjectAlternativeNameExtension(p.sanUris.map((value) => ({ type: "url" as const, value }))));
  if (p.ocspUrl !== undefined) {
    extensions.push(new x509.AuthorityInfoAccessExtension({ ocsp: [checkHttpUrl(p.ocspUrl, "ocspUrl")] }));
  }
  if (p.crlUrl !== undefined) {
    extensions.push(new x509.CRLDistributionPointsExtension([checkHttpUrl(p.crlUrl, "crlUrl")]));
  }
  const certificateDer = await signCertificate({
    subject: [{ CN: [{ utf8String: p.commonName }] }],
    issuerNameDer: issuer.fields.subject,
    subjectSpki: spkiDerOf(p.subjectKey),
    serialHex,
    ...window,
    extensions,
    authorityKeyIdHex: issuer.keyIdHex,
    signer: issuer.signer,
  });
  return { certificateDer, serialHex, compactId: compactId(certificateDer), ...window };
}
