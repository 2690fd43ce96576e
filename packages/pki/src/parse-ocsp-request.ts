import { PkiError } from "./errors.js";
import {
  TAG_INTEGER,
  TAG_OCTET_STRING,
  TAG_SEQUENCE,
  children,
  contents,
  contextTag,
  expectTag,
  positiveIntegerHex,
  readSingle,
  whole,
} from "./internal/der.js";
import type { Tlv } from "./internal/der.js";
import { algorithmOid } from "./internal/cert-fields.js";
import { OID_OCSP_NONCE, hashAlgorithmOf, nonceFromExtension, parseExtensions } from "./internal/ocsp-asn1.js";
import type { OcspHashAlgorithm } from "./internal/ocsp-asn1.js";
import { ocspRequestBytesMax, ocspRequestCertIdsMax } from "./limits.js";

/** One CertID of a request (RFC 6960 §4.1.1). */
export interface OcspCertId {
  /** null when the hash algorithm is not one we compute: such a CertID can only be answered "unknown". */
  readonly hashAlgorithm: OcspHashAlgorithm | null;
  readonly hashAlgorithmOid: string;
  readonly issuerNameHash: Uint8Array;
  readonly issuerKeyHash: Uint8Array;
  /** Canonical serial hex, as StatusOf takes it. */
  readonly serialHex: string;
  /** The CertID element as received, echoed byte for byte in the SingleResponse. */
  readonly der: Uint8Array;
}

export interface OcspRequestInfo {
  readonly certIds: readonly OcspCertId[];
  /** The RFC 8954 nonce (1..32 octets) if the request carried one. */
  readonly nonce?: Uint8Array;
  /** True if the request had an optionalSignature. It is not verified: this responder does not require one. */
  readonly signed: boolean;
}

/**
 * Parses a DER OCSPRequest (RFC 6960 §4.1.1): at most ocspRequestBytesMax bytes, 1..ocspRequestCertIdsMax
 * CertIDs, version v1, a nonce of 1..32 octets (RFC 8954 §2.1) if present, and no critical extension other
 * than the nonce (§4.4: we cannot honour what we do not know). Everything else, including truncated or random
 * bytes, throws ERR_PKI_OCSP_MALFORMED; the responder answers that with a "malformedRequest" response.
 */
export function parseOcspRequest(der: Uint8Array): OcspRequestInfo {
  if (!(der instanceof Uint8Array)) throw new PkiError("ERR_PKI_INVALID_INPUT", "der must be a Uint8Array");
  if (der.length > ocspRequestBytesMax) {
    throw new PkiError("ERR_PKI_OCSP_MALFORMED", `OCSP request larger than ${ocspRequestBytesMax} bytes`);
  }
  try {
    // A private copy: the CertIDs and nonce returned are views into it, safe from later changes to `der`.
    return parse(der.slice());
  } catch (cause) {
    if (cause instanceof PkiError) throw cause;
    throw new PkiError("ERR_PKI_OCSP_MALFORMED", `malformed OCSP request: ${(cause as Error).message}`, { cause });
  }
}

function parse(der: Uint8Array): OcspRequestInfo {
  const top = readSingle(der, TAG_SEQUENCE);
  const [tbs, signature, ...extra] = children(der, top);
  if (extra.length !== 0) throw new Error("extra fields in OCSPRequest");
  expectTag(tbs, TAG_SEQUENCE, "tbsRequest");
  if (signature !== undefined) expectTag(signature, contextTag(0, true), "optionalSignature");
  const items = children(der, tbs!);
  let i = 0;
  if (items[i]?.tag === contextTag(0, true)) {
    const version = children(der, items[i]!);
    const body = contents(der, expectTag(version[0], TAG_INTEGER, "version"));
    if (version.length !== 1 || body.length !== 1 || body[0] !== 0) throw new Error("unsupported version");
    i++;
  }
  if (items[i]?.tag === contextTag(1, true)) i++; // requestorName: informational, ignored
  const list = expectTag(items[i++], TAG_SEQUENCE, "requestList");
  let nonce: Uint8Array | undefined;
  if (items[i]?.tag === contextTag(2, true)) {
    const wrapper = children(der, items[i]!);
    if (wrapper.length !== 1) throw new Error("bad requestExtensions");
    const extensions = parseExtensions(der, wrapper[0]!);
    for (const [oid, ext] of extensions) {
      if (oid === OID_OCSP_NONCE) nonce = nonceFromExtension(ext.value);
      else if (ext.critical) throw new Error(`unsupported critical request extension ${oid}`);
    }
    i++;
  }
  if (i !== items.length) throw new Error("extra fields in TBSRequest");
  const requests = children(der, list);
  if (requests.length === 0 || requests.length > ocspRequestCertIdsMax) {
    throw new Error(`requestList must hold 1 to ${ocspRequestCertIdsMax} requests`);
  }
  const certIds = requests.map((request) => parseRequest(der, request));
  const info: OcspRequestInfo = { certIds, signed: signature !== undefined };
  return nonce === undefined ? info : { ...info, nonce };
}

function parseRequest(der: Uint8Array, request: Tlv): OcspCertId {
  expectTag(request, TAG_SEQUENCE, "Request");
  const [certId, singleExtensions, ...extra] = children(der, request);
  if (extra.length !== 0) throw new Error("extra fields in Request");
  if (singleExtensions !== undefined) {
    expectTag(singleExtensions, contextTag(0, true), "singleRequestExtensions");
    const wrapper = children(der, singleExtensions);
    if (wrapper.length !== 1) throw new Error("bad singleRequestExtensions");
    for (const [oid, ext] of parseExtensions(der, wrapper[0]!)) {
      if (ext.critical) throw new Error(`unsupported critical single request extension ${oid}`);
    }
  }
  expectTag(certId, TAG_SEQUENCE, "CertID");
  const [alg, nameHash, keyHash, serial, ...more] = children(der, certId!);
  if (more.length !== 0) throw new Error("extra fields in CertID");
  const hashAlgorithmOid = algorithmOid(der, expectTag(alg, TAG_SEQUENCE, "hashAlgorithm"));
  const algParams = children(der, alg!).slice(1);
  if (algParams.length > 1 || (algParams[0] !== undefined && !(algParams[0].tag === 0x05 && algParams[0].end === algParams[0].contentStart))) {
    throw new Error("hashAlgorithm parameters must be NULL or absent");
  }
  return {
    hashAlgorithm: hashAlgorithmOf(hashAlgorithmOid),
    hashAlgorithmOid,
    issuerNameHash: contents(der, expectTag(nameHash, TAG_OCTET_STRING, "issuerNameHash")),
    issuerKeyHash: contents(der, expectTag(keyHash, TAG_OCTET_STRING, "issuerKeyHash")),
    serialHex: positiveIntegerHex(contents(der, expectTag(serial, TAG_INTEGER, "serialNumber"))),
    der: whole(der, certId!),
  };
}
