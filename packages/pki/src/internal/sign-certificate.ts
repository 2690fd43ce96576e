import type { Signer } from "../signer.js";
import { keyIdentifier } from "./keys.js";
import { x509SigningArguments } from "./x509-signing.js";
import { x509 } from "./x509.js";

export interface CertificateTemplate {
  /** Name of the subject (JSON form), or for a certificate signed by an existing CA ... */
  readonly subject: x509.JsonNameParams;
  /** ... the issuer's subject Name DER, copied byte for byte (RFC 5280 §4.1.2.4 name chaining). Null = self-signed. */
  readonly issuerNameDer: Uint8Array | null;
  readonly subjectSpki: Uint8Array;
  readonly serialHex: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Every extension except SKI and AKI, which are added here. */
  readonly extensions: readonly x509.Extension[];
  /** The issuer's key identifier (hex) for the AKI; null = self-signed, AKI = own SKI. */
  readonly authorityKeyIdHex: string | null;
  readonly signer: Signer;
}

/** Signs a v3 certificate with ECDSA P-256 / SHA-256 (RFC 5758 §3.2 ecdsa-with-SHA256). Returns the DER. */
export async function signCertificate(t: CertificateTemplate): Promise<Uint8Array> {
  const { signingKey, signingAlgorithm, crypto } = x509SigningArguments(t.signer);
  const skiHex = Buffer.from(keyIdentifier(t.subjectSpki)).toString("hex");
  const subject = new x509.Name(t.subject);
  const issuer = t.issuerNameDer === null ? subject : new x509.Name(t.issuerNameDer);
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: t.serialHex,
    subject,
    issuer,
    notBefore: t.notBefore,
    notAfter: t.notAfter,
    publicKey: t.subjectSpki,
    signingKey,
    signingAlgorithm,
    extensions: [
      ...t.extensions,
      // RFC 5280 §4.2.1.2 / §4.2.1.1: both non-critical, keyIdentifier form.
      new x509.SubjectKeyIdentifierExtension(skiHex),
      new x509.AuthorityKeyIdentifierExtension(t.authorityKeyIdHex ?? skiHex),
    ],
  }, crypto);
  return new Uint8Array(certificate.rawData);
}
