import { PkiError } from "./errors.js";
import { certificateFields, equalBytes } from "./internal/cert-fields.js";
import type { CertificateFields } from "./internal/cert-fields.js";
import { encodeNull, encodeOctetString, encodeOid, encodeSequence, encodeTlv, contextTag, encodeUnsignedInteger } from "./internal/der.js";
import { digest, hashAlgorithmOids, nonceExtension } from "./internal/ocsp-asn1.js";
import type { OcspHashAlgorithm } from "./internal/ocsp-asn1.js";
import { certificateBytesMax, ocspNonceBytesMax, ocspNonceBytesMin } from "./limits.js";

export interface BuildOcspRequestOptions {
  /** CertID hash (RFC 6960 §4.1.1). Default "sha256"; "sha1" for RFC 5019 lightweight responders. */
  readonly hashAlgorithm?: OcspHashAlgorithm;
}

/**
 * An unsigned DER OCSPRequest (RFC 6960 §4.1.1) for one certificate, with the RFC 8954 nonce extension.
 * `nonce` should be 16 to 32 fresh random bytes (RFC 8954 §2.1); pass the same bytes to
 * verifyOcspResponse(). POST it as application/ocsp-request (RFC 6960 Appendix A.1).
 */
export function buildOcspRequest(
  certificateDer: Uint8Array,
  issuerCertificateDer: Uint8Array,
  nonce: Uint8Array,
  options: BuildOcspRequestOptions = {},
): Uint8Array {
  const cert = fieldsOf(certificateDer, "certificateDer");
  const issuer = fieldsOf(issuerCertificateDer, "issuerCertificateDer");
  if (!equalBytes(cert.issuer, issuer.subject)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "the certificate's issuer is not the subject of issuerCertificateDer");
  }
  if (!(nonce instanceof Uint8Array) || nonce.length < ocspNonceBytesMin || nonce.length > ocspNonceBytesMax) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `nonce must be ${ocspNonceBytesMin} to ${ocspNonceBytesMax} bytes`);
  }
  const hashAlgorithm = options.hashAlgorithm ?? "sha256";
  if (!Object.hasOwn(hashAlgorithmOids, hashAlgorithm)) throw new PkiError("ERR_PKI_INVALID_INPUT", "unsupported hashAlgorithm");
  const certId = certIdFor(cert, issuer, hashAlgorithm);
  const tbsRequest = encodeSequence(
    encodeSequence(encodeSequence(certId)), // requestList: one Request { reqCert }
    encodeTlv(contextTag(2, true), encodeSequence(nonceExtension(nonce))),
  );
  return encodeSequence(tbsRequest);
}

/** CertID (RFC 6960 §4.1.1): hashes of the issuer's Name DER and of its subjectPublicKey bits, and the serial. */
export function certIdFor(cert: CertificateFields, issuer: CertificateFields, hashAlgorithm: OcspHashAlgorithm): Uint8Array {
  return encodeSequence(
    encodeSequence(encodeOid(hashAlgorithmOids[hashAlgorithm]), encodeNull()),
    encodeOctetString(digest(hashAlgorithm, issuer.subject)),
    encodeOctetString(digest(hashAlgorithm, issuer.subjectPublicKey)),
    encodeUnsignedInteger(Buffer.from(cert.serialHex, "hex")),
  );
}

function fieldsOf(der: unknown, what: string): CertificateFields {
  if (!(der instanceof Uint8Array) || der.length > certificateBytesMax) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be a DER certificate of at most ${certificateBytesMax} bytes`);
  }
  try {
    return certificateFields(der);
  } catch (cause) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} is not a DER certificate`, { cause });
  }
}
