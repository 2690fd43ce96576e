import { createHash } from "node:crypto";
import {
  DerError,
  TAG_BOOLEAN,
  TAG_GENERALIZED_TIME,
  TAG_OCTET_STRING,
  TAG_OID,
  TAG_SEQUENCE,
  children,
  contents,
  decodeOid,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  expectTag,
  readSingle,
} from "./der.js";
import type { Tlv } from "./der.js";
import { ocspNonceBytesMax, ocspNonceBytesMin } from "../limits.js";

/** RFC 6960 §4.4.1 id-pkix-ocsp-nonce; RFC 6960 §4.2.1 id-pkix-ocsp-basic. */
export const OID_OCSP_NONCE = "1.3.6.1.5.5.7.48.1.2";
export const OID_OCSP_BASIC = "1.3.6.1.5.5.7.48.1.1";
export const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
export const OID_KP_OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";

/** CertID hash algorithms we can compute (RFC 6960 §4.1.1; RFC 5019 §2.1.1 clients use SHA-1). */
export type OcspHashAlgorithm = "sha1" | "sha256" | "sha384" | "sha512";
export const hashAlgorithmOids: Readonly<Record<OcspHashAlgorithm, string>> = {
  sha1: "1.3.14.3.2.26",
  sha256: "2.16.840.1.101.3.4.2.1",
  sha384: "2.16.840.1.101.3.4.2.2",
  sha512: "2.16.840.1.101.3.4.2.3",
};

export function hashAlgorithmOf(oid: string): OcspHashAlgorithm | null {
  for (const [name, value] of Object.entries(hashAlgorithmOids)) if (value === oid) return name as OcspHashAlgorithm;
  return null;
}

export function digest(algorithm: OcspHashAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(data).digest());
}

/** ResponseStatus (RFC 6960 §4.2.1). 4 is not used. */
export type OcspResponseStatus = "successful" | "malformedRequest" | "internalError" | "tryLater" | "sigRequired" | "unauthorized";
export const responseStatusCodes: Readonly<Record<OcspResponseStatus, number>> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
};

/** ecdsa-with-SHA256 AlgorithmIdentifier with absent parameters (RFC 5758 §3.2). */
export function ecdsaWithSha256AlgorithmId(): Uint8Array {
  return encodeSequence(encodeOid(OID_ECDSA_WITH_SHA256));
}

/** GeneralizedTime in the DER form RFC 5280 §4.1.2.5.2 fixes: YYYYMMDDHHMMSSZ, no fraction. */
export function encodeGeneralizedTime(date: Date): Uint8Array {
  const text = date.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:T]/g, "");
  return encodeTlv(TAG_GENERALIZED_TIME, new TextEncoder().encode(text));
}

export function decodeGeneralizedTime(body: Uint8Array): Date {
  const text = new TextDecoder("ascii").decode(body);
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\.\d{1,3})?Z$/.exec(text);
  if (m === null) throw new DerError("bad GeneralizedTime");
  const [, y, mo, d, h, mi, s, frac] = m as unknown as [string, string, string, string, string, string, string, string | undefined];
  const ms = frac === undefined ? 0 : Math.round(Number(frac) * 1000);
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
  if (Number.isNaN(date.getTime()) || date.getUTCDate() !== Number(d) || date.getUTCHours() !== Number(h)) {
    throw new DerError("bad GeneralizedTime");
  }
  return date;
}

export interface ParsedExtension {
  readonly critical: boolean;
  /** The extnValue OCTET STRING contents. */
  readonly value: Uint8Array;
  /** The whole Extension element, for echoing byte for byte. */
  readonly der: Uint8Array;
}

/** Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 §4.1). Duplicate OIDs are an error (§4.2). */
export function parseExtensions(bytes: Uint8Array, sequence: Tlv): Map<string, ParsedExtension> {
  expectTag(sequence, TAG_SEQUENCE, "Extensions");
  const out = new Map<string, ParsedExtension>();
  for (const ext of children(bytes, sequence)) {
    expectTag(ext, TAG_SEQUENCE, "Extension");
    const items = children(bytes, ext);
    const oid = decodeOid(contents(bytes, expectTag(items[0], TAG_OID, "extnID")));
    let i = 1;
    let critical = false;
    if (items[i]?.tag === TAG_BOOLEAN) {
      const body = contents(bytes, items[i]!);
      if (body.length !== 1 || (body[0] !== 0x00 && body[0] !== 0xff)) throw new DerError("bad BOOLEAN");
      critical = body[0] === 0xff;
      i++;
    }
    const value = contents(bytes, expectTag(items[i], TAG_OCTET_STRING, "extnValue"));
    if (items.length !== i + 1) throw new DerError("Extension has extra fields");
    if (out.has(oid)) throw new DerError(`extension ${oid} appears twice`);
    out.set(oid, { critical, value, der: bytes.subarray(ext.start, ext.end) });
  }
  return out;
}

/** The nonce inside an id-pkix-ocsp-nonce extnValue: Nonce ::= OCTET STRING (SIZE(1..32)) (RFC 8954 §2.1). */
export function nonceFromExtension(value: Uint8Array): Uint8Array {
  const tlv = readSingle(value, TAG_OCTET_STRING);
  const nonce = contents(value, tlv);
  if (nonce.length < ocspNonceBytesMin || nonce.length > ocspNonceBytesMax) {
    throw new DerError(`nonce must be ${ocspNonceBytesMin} to ${ocspNonceBytesMax} octets (RFC 8954)`);
  }
  return nonce;
}

export function nonceExtension(nonce: Uint8Array): Uint8Array {
  return encodeSequence(encodeOid(OID_OCSP_NONCE), encodeOctetString(encodeOctetString(nonce)));
}
