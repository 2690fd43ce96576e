import "reflect-metadata"; // @peculiar/x509 (through tsyringe) needs the Reflect metadata polyfill first
import { X509Certificate } from "@peculiar/x509";
import { XmlError } from "./errors.js";

/** A Node `X509Certificate`, seen structurally (its DER in `raw`) so that this package imports no node: module. */
export interface CertificateLike {
  readonly raw: Uint8Array;
}

/** A certificate as callers hold it: DER bytes (browsers), or a Node X509Certificate. */
export type CertificateInput = Uint8Array | CertificateLike;

/** What the envelope needs from a certificate: its DER, its SubjectPublicKeyInfo and its validity. */
export interface CertificateInfo {
  readonly der: Uint8Array;
  readonly spki: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const parsed = new WeakMap<object, CertificateInfo>();

export function certificateDer(input: CertificateInput): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (typeof input === "object" && input !== null && input.raw instanceof Uint8Array) return new Uint8Array(input.raw);
  throw new XmlError("ERR_XML_ALGORITHM", "a certificate must be DER bytes or an X509Certificate");
}

/**
 * Parses an X.509 certificate (RFC 5280) with @peculiar/x509, which runs in Node and in browsers. Parsing is
 * all it does: trust (chain, revocation, key usage) is decided by whoever hands the certificate in.
 * Throws `code` for anything that is not a DER certificate.
 */
export function readCertificate(input: CertificateInput, code: "ERR_XML_SIGNATURE_STRUCTURE" | "ERR_XML_ALGORITHM" = "ERR_XML_ALGORITHM"): CertificateInfo {
  const cached = parsed.get(input);
  if (cached !== undefined) return cached;
  const der = certificateDer(input);
  let info: CertificateInfo;
  try {
    const certificate = new X509Certificate(new Uint8Array(der));
    info = {
      der: new Uint8Array(certificate.rawData),
      spki: new Uint8Array(certificate.publicKey.rawData),
      notBefore: certificate.notBefore,
      notAfter: certificate.notAfter,
    };
  } catch {
    throw new XmlError(code, "not an X.509 certificate");
  }
  if (info.der.byteLength !== der.byteLength) throw new XmlError(code, "trailing bytes after the certificate");
  parsed.set(input, info);
  return info;
}
