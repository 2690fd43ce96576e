import {
  DerError,
  TAG_BIT_STRING,
  TAG_INTEGER,
  TAG_OID,
  TAG_SEQUENCE,
  bitStringOctets,
  children,
  contents,
  contextTag,
  decodeOid,
  expectTag,
  positiveIntegerHex,
  readSingle,
  whole,
} from "./der.js";

/**
 * The raw pieces of a certificate (RFC 5280 §4.1) that must be used byte-exactly: what the signature covers,
 * the Names compared when chaining (§6.1.3 (a)(4)) and hashed into OCSP CertIDs (RFC 6960 §4.1.1), the
 * public key bits behind SKI/AKI and issuerKeyHash. Throws DerError on anything that is not that shape.
 */
export interface CertificateFields {
  readonly tbs: Uint8Array;
  readonly serialHex: string;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly spki: Uint8Array;
  /** The subjectPublicKey BIT STRING value without the unused-bits octet. */
  readonly subjectPublicKey: Uint8Array;
  /** signatureAlgorithm of the outer Certificate; must equal the TBS `signature` field (§4.1.1.2). */
  readonly signatureAlgorithmOid: string;
  readonly signature: Uint8Array;
}

export function certificateFields(der: Uint8Array): CertificateFields {
  const bytes = der;
  const cert = readSingle(bytes, TAG_SEQUENCE);
  const [tbsTlv, outerAlg, sigValue, ...rest] = children(bytes, cert);
  if (rest.length !== 0) throw new DerError("Certificate has extra fields");
  expectTag(tbsTlv, TAG_SEQUENCE, "tbsCertificate");
  expectTag(outerAlg, TAG_SEQUENCE, "signatureAlgorithm");
  expectTag(sigValue, TAG_BIT_STRING, "signatureValue");
  const tbsItems = children(bytes, tbsTlv!);
  let i = 0;
  if (tbsItems[0]?.tag === contextTag(0, true)) i++; // version [0] EXPLICIT
  const serial = expectTag(tbsItems[i++], TAG_INTEGER, "serialNumber");
  const innerAlg = expectTag(tbsItems[i++], TAG_SEQUENCE, "signature");
  const issuer = expectTag(tbsItems[i++], TAG_SEQUENCE, "issuer");
  expectTag(tbsItems[i++], TAG_SEQUENCE, "validity");
  const subject = expectTag(tbsItems[i++], TAG_SEQUENCE, "subject");
  const spki = expectTag(tbsItems[i++], TAG_SEQUENCE, "subjectPublicKeyInfo");
  const spkiItems = children(bytes, spki);
  expectTag(spkiItems[0], TAG_SEQUENCE, "algorithm");
  const keyBits = expectTag(spkiItems[1], TAG_BIT_STRING, "subjectPublicKey");
  if (spkiItems.length !== 2) throw new DerError("SubjectPublicKeyInfo has extra fields");
  if (!equalBytes(whole(bytes, outerAlg!), whole(bytes, innerAlg))) {
    throw new DerError("signatureAlgorithm differs from tbsCertificate.signature");
  }
  return {
    tbs: whole(bytes, tbsTlv!),
    serialHex: positiveIntegerHex(contents(bytes, serial)),
    issuer: whole(bytes, issuer),
    subject: whole(bytes, subject),
    spki: whole(bytes, spki),
    subjectPublicKey: bitStringOctets(contents(bytes, keyBits)),
    signatureAlgorithmOid: algorithmOid(bytes, outerAlg!),
    signature: bitStringOctets(contents(bytes, sigValue!)),
  };
}

/** The public key bits of a SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
export function spkiKeyBits(spki: Uint8Array): Uint8Array {
  const top = readSingle(spki, TAG_SEQUENCE);
  const items = children(spki, top);
  expectTag(items[0], TAG_SEQUENCE, "algorithm");
  const bits = expectTag(items[1], TAG_BIT_STRING, "subjectPublicKey");
  return bitStringOctets(contents(spki, bits));
}

export function algorithmOid(bytes: Uint8Array, algorithmIdentifier: { tag: number; start: number; contentStart: number; end: number }): string {
  const items = children(bytes, algorithmIdentifier);
  return decodeOid(contents(bytes, expectTag(items[0], TAG_OID, "algorithm")));
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
