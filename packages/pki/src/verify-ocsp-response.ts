import { PkiError } from "./errors.js";
import { algorithmOid, certificateFields, equalBytes } from "./internal/cert-fields.js";
import type { CertificateFields } from "./internal/cert-fields.js";
import {
  TAG_BIT_STRING,
  TAG_ENUMERATED,
  TAG_GENERALIZED_TIME,
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  bitStringOctets,
  children,
  contents,
  contextTag,
  decodeOid,
  expectTag,
  readSingle,
  whole,
} from "./internal/der.js";
import type { Tlv } from "./internal/der.js";
import { OID_EXT_KEY_USAGE, extensionByOid } from "./internal/issuer.js";
import { keyIdentifier } from "./internal/keys.js";
import {
  OID_KP_OCSP_SIGNING,
  OID_OCSP_BASIC,
  OID_OCSP_NONCE,
  decodeGeneralizedTime,
  digest,
  hashAlgorithmOf,
  nonceFromExtension,
  parseExtensions,
  responseStatusCodes,
} from "./internal/ocsp-asn1.js";
import { verifiedBy } from "./internal/signature.js";
import { checkDate } from "./internal/validity.js";
import { x509 } from "./internal/x509.js";
import {
  certificateBytesMax,
  ocspClockSkewSecondsMax,
  ocspResponseAgeSecondsMax,
  ocspResponseBytesMax,
} from "./limits.js";
import { revocationReasonOf } from "./types.js";
import type { RevocationReason } from "./types.js";

export interface VerifyOcspResponseOptions {
  /** The certificate that was asked about: its SingleResponse is the one returned. */
  readonly certificateDer: Uint8Array;
  /** Its issuer. The issuer may sign responses itself or delegate (RFC 6960 §4.2.2.2). */
  readonly issuerCertificateDer: Uint8Array;
  /** A responder certificate trusted out of band (RFC 6960 §4.2.2.2 case 1, "trusted responder"). */
  readonly trustedResponderCertificateDer?: Uint8Array;
  /** The nonce sent in the request; null only when deliberately accepting pre-produced responses. */
  readonly nonce: Uint8Array | null;
  readonly now: Date;
}

export interface OcspStatusResult {
  readonly status: "good" | "revoked" | "unknown";
  /** For "revoked". */
  readonly revokedAt?: Date;
  readonly reason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
}

/**
 * The OCSP client's check of a DER OCSPResponse (RFC 6960 §3.2), in this order, before any status is
 * believed: responseStatus successful, a BasicOCSPResponse, the signer is the issuer itself, the trusted
 * responder, or a certificate in `certs` issued by the issuer with EKU id-kp-OCSPSigning and valid now
 * (§4.2.2.2), the responderID names that signer, the ECDSA-SHA256 signature over tbsResponseData verifies,
 * the nonce is echoed (RFC 8954), there is exactly one SingleResponse for this certificate, and it is current
 * (thisUpdate <= now + skew, now <= nextUpdate + skew, or thisUpdate no older than ocspResponseAgeSecondsMax
 * when there is no nextUpdate). Throws PkiError ERR_PKI_OCSP_* otherwise.
 */
export function verifyOcspResponse(der: Uint8Array, options: VerifyOcspResponseOptions): OcspStatusResult {
  const now = checkDate(options.now, "now");
  const cert = fieldsOf(options.certificateDer, "certificateDer");
  const issuer = fieldsOf(options.issuerCertificateDer, "issuerCertificateDer");
  const trusted = options.trustedResponderCertificateDer === undefined ? null : fieldsOf(options.trustedResponderCertificateDer, "trustedResponderCertificateDer");
  if (!equalBytes(cert.issuer, issuer.subject)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "the certificate's issuer is not the subject of issuerCertificateDer");
  }
  if (options.nonce !== null && !(options.nonce instanceof Uint8Array)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "nonce must be a Uint8Array or null");
  }
  if (!(der instanceof Uint8Array)) throw new PkiError("ERR_PKI_INVALID_INPUT", "der must be a Uint8Array");
  if (der.length > ocspResponseBytesMax) throw new PkiError("ERR_PKI_OCSP_MALFORMED", `OCSP response larger than ${ocspResponseBytesMax} bytes`);

  const bytes = der.slice();
  let basic: ParsedBasicResponse;
  try {
    basic = parseResponse(bytes);
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError("ERR_PKI_OCSP_MALFORMED", `malformed OCSP response: ${(cause as Error).message}`, { cause });
  }

  // 1. Who signed, and may they? (RFC 6960 §4.2.2.2)
  const signer = chooseSigner(basic, issuer, trusted, now);
  // 2. The signature, before anything in tbsResponseData is believed.
  if (!verifiedBy(signer.spki, basic.signatureAlgorithmOid, basic.tbs, basic.signature)) {
    throw new PkiError("ERR_PKI_OCSP_SIGNATURE", "the OCSP response signature does not verify");
  }
  // 3. Nonce (RFC 8954 §2): replayed responses to other requests fail here.
  if (options.nonce !== null && (basic.nonce === undefined || !equalBytes(basic.nonce, options.nonce))) {
    throw new PkiError("ERR_PKI_OCSP_NONCE", "the OCSP response does not echo the request nonce");
  }
  // 4. The SingleResponse for our certificate.
  const matches = basic.responses.filter((single) => {
    const algorithm = hashAlgorithmOf(single.hashAlgorithmOid);
    return (
      algorithm !== null &&
      single.serialHex === cert.serialHex &&
      equalBytes(single.issuerNameHash, digest(algorithm, issuer.subject)) &&
      equalBytes(single.issuerKeyHash, digest(algorithm, issuer.subjectPublicKey))
    );
  });
  if (matches.length !== 1) {
    throw new PkiError("ERR_PKI_OCSP_NO_STATUS", matches.length === 0 ? "no status for this certificate in the response" : "more than one status for this certificate");
  }
  const single = matches[0]!;
  // 5. Currency (§3.2 items 4 and 5, §4.2.2.1).
  const skewMs = ocspClockSkewSecondsMax * 1000;
  if (single.thisUpdate.getTime() > now.getTime() + skewMs) {
    throw new PkiError("ERR_PKI_OCSP_STALE", "thisUpdate is in the future");
  }
  if (single.nextUpdate !== undefined ? now.getTime() > single.nextUpdate.getTime() + skewMs : now.getTime() - single.thisUpdate.getTime() > ocspResponseAgeSecondsMax * 1000) {
    throw new PkiError("ERR_PKI_OCSP_STALE", "the OCSP response is out of date");
  }
  const result: OcspStatusResult = {
    status: single.status,
    thisUpdate: single.thisUpdate,
    producedAt: basic.producedAt,
    ...(single.nextUpdate === undefined ? {} : { nextUpdate: single.nextUpdate }),
    ...(single.revokedAt === undefined ? {} : { revokedAt: single.revokedAt }),
    ...(single.reason === undefined ? {} : { reason: single.reason }),
  };
  return result;
}

interface ParsedSingle {
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  readonly serialHex: string;
  readonly status: "good" | "revoked" | "unknown";
  readonly revokedAt?: Date;
  readonly reason?: RevocationReason;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
}

interface ParsedBasicResponse {
  readonly tbs: Uint8Array;
  readonly responderByKey?: Uint8Array;
  readonly responderByName?: Uint8Array;
  readonly producedAt: Date;
  readonly responses: readonly ParsedSingle[];
  readonly nonce?: Uint8Array;
  readonly signatureAlgorithmOid: string;
  readonly signature: Uint8Array;
  readonly certs: readonly Uint8Array[];
}

function parseResponse(bytes: Uint8Array): ParsedBasicResponse {
  const top = readSingle(bytes, TAG_SEQUENCE);
  const [statusTlv, responseBytes, ...extra] = children(bytes, top);
  if (extra.length !== 0) throw new Error("extra fields in OCSPResponse");
  const statusBody = contents(bytes, expectTag(statusTlv, TAG_ENUMERATED, "responseStatus"));
  if (statusBody.length !== 1) throw new Error("bad responseStatus");
  const statusCode = statusBody[0]!;
  if (statusCode !== responseStatusCodes.successful) {
    const name = Object.entries(responseStatusCodes).find(([, code]) => code === statusCode)?.[0] ?? `code ${statusCode}`;
    throw new PkiError("ERR_PKI_OCSP_RESPONSE_STATUS", `OCSP responder answered ${name}`);
  }
  const wrapper = children(bytes, expectTag(responseBytes, contextTag(0, true), "responseBytes"));
  if (wrapper.length !== 1) throw new Error("bad responseBytes");
  const [typeTlv, octets, ...more] = children(bytes, expectTag(wrapper[0], TAG_SEQUENCE, "ResponseBytes"));
  if (more.length !== 0) throw new Error("extra fields in ResponseBytes");
  if (decodeOid(contents(bytes, expectTag(typeTlv, TAG_OID, "responseType"))) !== OID_OCSP_BASIC) {
    throw new Error("responseType is not id-pkix-ocsp-basic");
  }
  const basicBytes = contents(bytes, expectTag(octets, TAG_OCTET_STRING, "response"));
  return parseBasic(basicBytes);
}

function parseBasic(bytes: Uint8Array): ParsedBasicResponse {
  const top = readSingle(bytes, TAG_SEQUENCE);
  const [tbsTlv, algTlv, sigTlv, certsTlv, ...extra] = children(bytes, top);
  if (extra.length !== 0) throw new Error("extra fields in BasicOCSPResponse");
  expectTag(tbsTlv, TAG_SEQUENCE, "tbsResponseData");
  const signatureAlgorithmOid = algorithmOid(bytes, expectTag(algTlv, TAG_SEQUENCE, "signatureAlgorithm"));
  const signature = bitStringOctets(contents(bytes, expectTag(sigTlv, TAG_BIT_STRING, "signature")));
  const certs: Uint8Array[] = [];
  if (certsTlv !== undefined) {
    const inner = children(bytes, expectTag(certsTlv, contextTag(0, true), "certs"));
    if (inner.length !== 1) throw new Error("bad certs");
    for (const c of children(bytes, expectTag(inner[0], TAG_SEQUENCE, "certs"))) certs.push(whole(bytes, c));
  }
  const items = children(bytes, tbsTlv!);
  let i = 0;
  if (items[i]?.tag === contextTag(0, true)) {
    const version = children(bytes, items[i]!);
    const body = version[0] === undefined ? undefined : contents(bytes, version[0]);
    if (version.length !== 1 || body?.length !== 1 || body[0] !== 0) throw new Error("unsupported ResponseData version");
    i++;
  }
  const responder = items[i++];
  let responderByKey: Uint8Array | undefined;
  let responderByName: Uint8Array | undefined;
  if (responder?.tag === contextTag(2, true)) {
    const inner = children(bytes, responder);
    if (inner.length !== 1) throw new Error("bad ResponderID");
    responderByKey = contents(bytes, expectTag(inner[0], TAG_OCTET_STRING, "KeyHash"));
  } else if (responder?.tag === contextTag(1, true)) {
    const inner = children(bytes, responder);
    if (inner.length !== 1) throw new Error("bad ResponderID");
    responderByName = whole(bytes, expectTag(inner[0], TAG_SEQUENCE, "Name"));
  } else {
    throw new Error("bad ResponderID");
  }
  const producedAt = decodeGeneralizedTime(contents(bytes, expectTag(items[i++], TAG_GENERALIZED_TIME, "producedAt")));
  const responses = children(bytes, expectTag(items[i++], TAG_SEQUENCE, "responses")).map((s) => parseSingle(bytes, s));
  let nonce: Uint8Array | undefined;
  if (items[i]?.tag === contextTag(1, true)) {
    const inner = children(bytes, items[i]!);
    if (inner.length !== 1) throw new Error("bad responseExtensions");
    for (const [oid, ext] of parseExtensions(bytes, inner[0]!)) {
      if (oid === OID_OCSP_NONCE) nonce = nonceFromExtension(ext.value);
      else if (ext.critical) throw new Error(`unsupported critical response extension ${oid}`);
    }
    i++;
  }
  if (i !== items.length) throw new Error("extra fields in ResponseData");
  return {
    tbs: whole(bytes, tbsTlv!),
    ...(responderByKey === undefined ? {} : { responderByKey }),
    ...(responderByName === undefined ? {} : { responderByName }),
    producedAt,
    responses,
    ...(nonce === undefined ? {} : { nonce }),
    signatureAlgorithmOid,
    signature,
    certs,
  };
}

function parseSingle(bytes: Uint8Array, single: Tlv): ParsedSingle {
  expectTag(single, TAG_SEQUENCE, "SingleResponse");
  const items = children(bytes, single);
  const [alg, nameHash, keyHash, serial, ...more] = children(bytes, expectTag(items[0], TAG_SEQUENCE, "certID"));
  if (more.length !== 0) throw new Error("extra fields in CertID");
  const status = items[1];
  if (status === undefined) throw new Error("missing certStatus");
  let parsedStatus: Pick<ParsedSingle, "status" | "revokedAt" | "reason">;
  if (status.tag === contextTag(0, false) && status.end === status.contentStart) {
    parsedStatus = { status: "good" };
  } else if (status.tag === contextTag(2, false) && status.end === status.contentStart) {
    parsedStatus = { status: "unknown" };
  } else if (status.tag === contextTag(1, true)) {
    const revoked = children(bytes, status);
    const revokedAt = decodeGeneralizedTime(contents(bytes, expectTag(revoked[0], TAG_GENERALIZED_TIME, "revocationTime")));
    let reason: RevocationReason | undefined;
    if (revoked[1] !== undefined) {
      const wrapped = children(bytes, expectTag(revoked[1], contextTag(0, true), "revocationReason"));
      const body = contents(bytes, expectTag(wrapped[0], TAG_ENUMERATED, "CRLReason"));
      if (wrapped.length !== 1 || body.length !== 1) throw new Error("bad revocationReason");
      reason = revocationReasonOf(body[0]!);
    }
    if (revoked.length > 2) throw new Error("extra fields in RevokedInfo");
    parsedStatus = reason === undefined ? { status: "revoked", revokedAt } : { status: "revoked", revokedAt, reason };
  } else {
    throw new Error("bad certStatus");
  }
  const thisUpdate = decodeGeneralizedTime(contents(bytes, expectTag(items[2], TAG_GENERALIZED_TIME, "thisUpdate")));
  let j = 3;
  let nextUpdate: Date | undefined;
  if (items[j]?.tag === contextTag(0, true)) {
    const inner = children(bytes, items[j]!);
    if (inner.length !== 1) throw new Error("bad nextUpdate");
    nextUpdate = decodeGeneralizedTime(contents(bytes, expectTag(inner[0], TAG_GENERALIZED_TIME, "nextUpdate")));
    j++;
  }
  if (items[j]?.tag === contextTag(1, true)) {
    const inner = children(bytes, items[j]!);
    if (inner.length !== 1) throw new Error("bad singleExtensions");
    for (const [oid, ext] of parseExtensions(bytes, inner[0]!)) {
      if (ext.critical) throw new Error(`unsupported critical single extension ${oid}`);
    }
    j++;
  }
  if (j !== items.length) throw new Error("extra fields in SingleResponse");
  return {
    hashAlgorithmOid: algorithmOid(bytes, expectTag(alg, TAG_SEQUENCE, "hashAlgorithm")),
    issuerNameHash: contents(bytes, expectTag(nameHash, TAG_OCTET_STRING, "issuerNameHash")),
    issuerKeyHash: contents(bytes, expectTag(keyHash, TAG_OCTET_STRING, "issuerKeyHash")),
    serialHex: serialHexOrNull(contents(bytes, expectTag(serial, TAG_INTEGER, "serialNumber"))),
    ...parsedStatus,
    thisUpdate,
    ...(nextUpdate === undefined ? {} : { nextUpdate }),
  };
}

/** Another responder's CertID may carry a serial we would never issue (e.g. negative): it just matches nothing. */
function serialHexOrNull(body: Uint8Array): string {
  if (body.length === 0) throw new Error("empty serialNumber");
  if (body[0]! & 0x80) return "-";
  let start = 0;
  while (start < body.length - 1 && body[start] === 0) start++;
  return Buffer.from(body.subarray(start)).toString("hex");
}

interface Signer {
  readonly spki: Uint8Array;
}

function responderMatches(basic: ParsedBasicResponse, cert: CertificateFields): boolean {
  if (basic.responderByKey !== undefined) return equalBytes(basic.responderByKey, keyIdentifier(cert.spki));
  return basic.responderByName !== undefined && equalBytes(basic.responderByName, cert.subject);
}

function chooseSigner(
  basic: ParsedBasicResponse,
  issuer: CertificateFields,
  trusted: (CertificateFields & { der: Uint8Array }) | null,
  now: Date,
): Signer {
  if (trusted !== null && responderMatches(basic, trusted)) {
    if (!validAt(trusted.der, now)) throw new PkiError("ERR_PKI_OCSP_SIGNATURE", "the trusted responder certificate is not valid now");
    return { spki: trusted.spki };
  }
  if (responderMatches(basic, issuer)) return { spki: issuer.spki };
  // Delegated responder (§4.2.2.2 case 3): issued directly by the CA, with id-kp-OCSPSigning.
  for (const der of basic.certs) {
    let fields: CertificateFields & { der: Uint8Array };
    try {
      fields = { ...certificateFields(der), der };
    } catch {
      continue;
    }
    if (!responderMatches(basic, fields)) continue;
    if (!equalBytes(fields.issuer, issuer.subject) || !verifiedBy(issuer.spki, fields.signatureAlgorithmOid, fields.tbs, fields.signature)) {
      throw new PkiError("ERR_PKI_OCSP_SIGNATURE", "the responder certificate was not issued by the certificate's issuer");
    }
    if (!hasOcspSigning(der)) throw new PkiError("ERR_PKI_OCSP_SIGNATURE", "the responder certificate lacks id-kp-OCSPSigning");
    if (!validAt(der, now)) throw new PkiError("ERR_PKI_OCSP_SIGNATURE", "the responder certificate is not valid now");
    return { spki: fields.spki };
  }
  throw new PkiError("ERR_PKI_OCSP_SIGNATURE", "the OCSP response is signed by an unauthorised responder");
}

function hasOcspSigning(der: Uint8Array): boolean {
  try {
    const eku = extensionByOid(new x509.X509Certificate(der).extensions, OID_EXT_KEY_USAGE, x509.ExtendedKeyUsageExtension);
    return eku !== null && eku.usages.map(String).includes(OID_KP_OCSP_SIGNING);
  } catch {
    return false;
  }
}

function validAt(der: Uint8Array, now: Date): boolean {
  try {
    const cert = new x509.X509Certificate(der);
    return cert.notBefore <= now && now <= cert.notAfter;
  } catch {
    return false;
  }
}

function fieldsOf(der: unknown, what: string): CertificateFields & { der: Uint8Array } {
  if (!(der instanceof Uint8Array) || der.length > certificateBytesMax) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be a DER certificate of at most ${certificateBytesMax} bytes`);
  }
  try {
    return { ...certificateFields(der), der };
  } catch (cause) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} is not a DER certificate`, { cause });
  }
}
