import { checkPartyId, checkPartyType, normaliseMsisdn, partyUri, telUri } from "./internal/names.js";
import type { PartyType } from "./internal/names.js";
import { issueEndEntity } from "./internal/end-entity.js";
import type { IssuedCertificate } from "./internal/end-entity.js";
import { x509 } from "./internal/x509.js";
import { parseCsr } from "./parse-csr.js";
import type { Issuer } from "./types.js";

export interface IssueDeviceCertificateParams {
  /** The issuing CA (createIssuingCa()). */
  readonly issuer: Issuer;
  /** DER PKCS#10 from the device. Only its public key is used, after parseCsr() checks it. */
  readonly csrDer: Uint8Array;
  readonly partyType: PartyType;
  /** The platform's id of the party: [A-Za-z0-9._-]{1,64}. */
  readonly partyId: string;
  /** E.164, with or without "+": written as SAN URI tel:+<digits> (RFC 3966). */
  readonly msisdn?: string;
  readonly now: Date;
  /** 1..endEntityValidityDaysMax, ending no later than the issuer. */
  readonly validityDays: number;
  /** Serial as hex; default: 16 random bytes. Only for tests and migrations: never reuse one. */
  readonly serial?: string;
  /** http(s) URL of the OCSP responder, written into AIA (RFC 5280 §4.2.2.1). */
  readonly ocspUrl: string;
  /** http(s) URL of the CRL, written as the CRL distribution point (RFC 5280 §4.2.1.13). */
  readonly crlUrl: string;
  /** Legacy devices: accept an RSA key in the CSR (parseCsr's allowRsa). Default false. */
  readonly allowRsa?: boolean;
}

/**
 * The RA/CA step of device enrolment: checks the CSR (parseCsr: P-256 key, or RSA with allowRsa, and a valid
 * self-signature) and issues a certificate whose identity comes only from the platform's data, never the CSR:
 * subject CN = partyId; SAN URI urn:obol:party:<type>:<id> and, with an msisdn, URI tel:+<E.164>;
 * keyUsage digitalSignature + nonRepudiation (contentCommitment) (critical, RFC 5280 §4.2.1.3), EKU
 * clientAuth (§4.2.1.12), basicConstraints cA = FALSE, AIA OCSP, CRLDP, SKI/AKI, random 16-byte serial.
 * Throws PkiError: ERR_PKI_CSR_* for the request, ERR_PKI_INVALID_INPUT, ERR_PKI_ISSUER.
 */
export async function issueDeviceCertificate(params: IssueDeviceCertificateParams): Promise<IssuedCertificate> {
  const partyType = checkPartyType(params.partyType);
  const partyId = checkPartyId(params.partyId, "partyId");
  const sanUris = [partyUri(partyType, partyId)];
  if (params.msisdn !== undefined) sanUris.push(telUri(normaliseMsisdn(params.msisdn)));
  const csr = parseCsr(params.csrDer, { allowRsa: params.allowRsa === true });
  return issueEndEntity({
    issuer: params.issuer,
    subjectKey: csr.publicKey,
    commonName: partyId,
    sanUris,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ],
    now: params.now,
    validityDays: params.validityDays,
    serial: params.serial,
    ocspUrl: params.ocspUrl,
    crlUrl: params.crlUrl,
  });
}
