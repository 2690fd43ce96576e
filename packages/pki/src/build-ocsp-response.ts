import { ecdsaP256P1363ToDer } from "@obol/crypto";
import { PkiError, isPkiError } from "./errors.js";
import { certificateFields, equalBytes } from "./internal/cert-fields.js";
import { concat, contextTag, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from "./internal/der.js";
import { loadIssuer, signerOf } from "./internal/issuer.js";
import { keyIdentifier, spkiDerOf } from "./internal/keys.js";
import { spkiKeyBits } from "./internal/cert-fields.js";
import {
  OID_OCSP_BASIC,
  digest,
  ecdsaWithSha256AlgorithmId,
  encodeGeneralizedTime,
  nonceExtension,
  responseStatusCodes,
} from "./internal/ocsp-asn1.js";
import type { OcspResponseStatus } from "./internal/ocsp-asn1.js";
import { signChecked } from "./internal/sign-with.js";
import { checkDate } from "./internal/validity.js";
import { parseOcspRequest } from "./parse-ocsp-request.js";
import type { OcspCertId, OcspRequestInfo } from "./parse-ocsp-request.js";
import { revocationReasonCodes } from "./types.js";
import type { CertificateStatus, Issuer, StatusOf } from "./types.js";

export interface BuildOcspResponseParams {
  /** The CA whose certificates are asked about. It signs the response itself unless `responder` is given. */
  readonly issuer: Issuer;
  /**
   * Optional delegated responder (issueServiceCertificate purpose "ocspSigning", RFC 6960 §4.2.2.2): it signs
   * instead of the CA, and its certificate goes into `certs` so clients can check the delegation.
   */
  readonly responder?: Issuer;
  /** The request as received (DER) or already parsed. Malformed DER gets a "malformedRequest" response. */
  readonly request: Uint8Array | OcspRequestInfo;
  /** Status of a serial of this issuer. Only called for CertIDs that name this issuer. */
  readonly statusOf: StatusOf;
  /** producedAt and thisUpdate. */
  readonly now: Date;
  /** When newer information will be available (RFC 6960 §4.2.2.1); must be after `now`. */
  readonly nextUpdate: Date;
  /** Also send the issuer's certificate in `certs` (the client normally has it already). Default false. */
  readonly includeIssuerCertificate?: boolean;
}

/**
 * The OCSP responder (RFC 6960 §4.2): returns a DER OCSPResponse (serve as application/ocsp-response).
 * successful + BasicOCSPResponse: responderID byKey (SHA-1 of the signer's public key, §4.2.1), producedAt =
 * thisUpdate = now, nextUpdate, one SingleResponse per requested CertID echoing it byte for byte, the request
 * nonce echoed (RFC 8954 §2), signed ECDSA-SHA256. A CertID whose hashes do not name this issuer, or use an
 * unknown hash algorithm, is answered "unknown" (§2.2) without calling statusOf. A malformed request gives
 * a "malformedRequest" response (no signature, §2.3). statusOf is synchronous (look statuses up first with
 * parseOcspRequest() if the store is async, then pass the parsed request); signing may not be (a token).
 */
export async function buildOcspResponse(params: BuildOcspResponseParams): Promise<Uint8Array> {
  const issuer = loadIssuer(params.issuer, "ocsp");
  const now = checkDate(params.now, "now");
  const nextUpdate = checkDate(params.nextUpdate, "nextUpdate");
  if (nextUpdate <= now) throw new PkiError("ERR_PKI_INVALID_INPUT", "nextUpdate must be after now");
  if (typeof params.statusOf !== "function") throw new PkiError("ERR_PKI_INVALID_INPUT", "statusOf must be a function");

  let request: OcspRequestInfo;
  if (params.request instanceof Uint8Array) {
    try {
      request = parseOcspRequest(params.request);
    } catch (error) {
      if (isPkiError(error, "ERR_PKI_OCSP_MALFORMED")) return buildOcspErrorResponse("malformedRequest");
      throw error;
    }
  } else {
    request = params.request;
  }

  let signer = issuer.signer;
  let signerSpki = issuer.fields.spki;
  const certs: Uint8Array[] = [];
  if (params.responder !== undefined) {
    const responderSigner = signerOf(params.responder, "responder");
    const responderFields = certificateFields(params.responder.certificateDer);
    if (!equalBytes(responderFields.subjectPublicKey, spkiKeyBits(spkiDerOf(responderSigner.publicKey)))) {
      throw new PkiError("ERR_PKI_ISSUER", "the responder's key does not belong to responder.certificateDer");
    }
    if (!equalBytes(responderFields.issuer, issuer.fields.subject)) {
      throw new PkiError("ERR_PKI_ISSUER", "the responder certificate was not issued by the issuer");
    }
    signer = responderSigner;
    signerSpki = responderFields.spki;
    certs.push(params.responder.certificateDer);
  }
  if (params.includeIssuerCertificate === true) certs.push(issuer.certificateDer);

  const issuerKeyBits = issuer.fields.subjectPublicKey;
  const singleResponses = request.certIds.map((certId) => {
    const status = namesIssuer(certId, issuer.fields.subject, issuerKeyBits) ? params.statusOf(certId.serialHex) : "unknown";
    return encodeSequence(
      certId.der,
      encodeCertStatus(status),
      encodeGeneralizedTime(now),
      encodeTlv(contextTag(0, true), encodeGeneralizedTime(nextUpdate)),
    );
  });

  const responseData = encodeSequence(
    // version v1 is DEFAULT, so absent in DER. ResponderID byKey [2] EXPLICIT KeyHash (RFC 6960 §4.2.1).
    encodeTlv(contextTag(2, true), encodeOctetString(keyIdentifier(signerSpki))),
    encodeGeneralizedTime(now),
    encodeSequence(...singleResponses),
    ...(request.nonce === undefined ? [] : [encodeTlv(contextTag(1, true), encodeSequence(nonceExtension(request.nonce)))]),
  );
  const signature = ecdsaP256P1363ToDer(await signChecked(signer, responseData));
  const basic = encodeSequence(
    responseData,
    ecdsaWithSha256AlgorithmId(),
    encodeTlv(0x03, concat(Uint8Array.of(0), signature)),
    ...(certs.length === 0 ? [] : [encodeTlv(contextTag(0, true), encodeSequence(...certs))]),
  );
  return encodeSequence(
    encodeTlv(0x0a, Uint8Array.of(responseStatusCodes.successful)),
    encodeTlv(contextTag(0, true), encodeSequence(encodeOid(OID_OCSP_BASIC), encodeOctetString(basic))),
  );
}

/**
 * An OCSPResponse with an error status and no responseBytes (RFC 6960 §4.2.1, §2.3): "malformedRequest",
 * "internalError", "tryLater" (e.g. the certificate store is down), "sigRequired", "unauthorized".
 * Unsigned by definition, so clients must not act on it beyond "no answer".
 */
export function buildOcspErrorResponse(status: Exclude<OcspResponseStatus, "successful">): Uint8Array {
  const code = responseStatusCodes[status];
  if (code === undefined || status === ("successful" as string)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "status must be an OCSP error status");
  }
  return encodeSequence(encodeTlv(0x0a, Uint8Array.of(code)));
}

function namesIssuer(certId: OcspCertId, issuerName: Uint8Array, issuerKeyBits: Uint8Array): boolean {
  if (certId.hashAlgorithm === null) return false;
  return (
    equalBytes(certId.issuerNameHash, digest(certId.hashAlgorithm, issuerName)) &&
    equalBytes(certId.issuerKeyHash, digest(certId.hashAlgorithm, issuerKeyBits))
  );
}

/** CertStatus (RFC 6960 §4.2.1): good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo, unknown [2] IMPLICIT NULL. */
function encodeCertStatus(status: CertificateStatus): Uint8Array {
  if (status === "good") return encodeTlv(contextTag(0, false), new Uint8Array(0));
  if (status === "unknown") return encodeTlv(contextTag(2, false), new Uint8Array(0));
  if (typeof status !== "object" || status === null || !(status.revokedAt instanceof Date) || Number.isNaN(status.revokedAt.getTime())) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", 'statusOf must return "good", "unknown" or { revokedAt: Date, reason? }');
  }
  const parts = [encodeGeneralizedTime(status.revokedAt)];
  // "unspecified" is left out, as in CRL entries (RFC 5280 §5.3.1).
  if (status.reason !== undefined && status.reason !== "unspecified") {
    if (!Object.hasOwn(revocationReasonCodes, status.reason)) throw new PkiError("ERR_PKI_INVALID_INPUT", "unknown revocation reason");
    // revocationReason [0] EXPLICIT CRLReason (ENUMERATED, RFC 5280 §5.3.1)
    parts.push(encodeTlv(contextTag(0, true), encodeTlv(0x0a, Uint8Array.of(revocationReasonCodes[status.reason]))));
  }
  return encodeTlv(contextTag(1, true), concat(...parts));
}
