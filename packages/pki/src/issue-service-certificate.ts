import { KeyObject } from "node:crypto";
import { PkiError } from "./errors.js";
import { issueEndEntity } from "./internal/end-entity.js";
import type { IssuedCertificate } from "./internal/end-entity.js";
import { OID_OCSP_NOCHECK } from "./internal/issuer.js";
import { isP256, publicOf } from "./internal/keys.js";
import { checkPartyId, serviceUri } from "./internal/names.js";
import { x509 } from "./internal/x509.js";
import type { Issuer } from "./types.js";

/**
 * - "signing": P-256 key; keyUsage digitalSignature + nonRepudiation. Receipts and XML-DSig by the platform.
 * - "encryption": RSA key of 2048 to 8192 bits; keyUsage keyEncipherment. Partners wrap XML-Enc content keys
 *   to it with RSA-OAEP (xmlenc#rsa-oaep-mgf1p).
 * - "ocspSigning": P-256 key; keyUsage digitalSignature, EKU id-kp-OCSPSigning and id-pkix-ocsp-nocheck
 *   (RFC 6960 §4.2.2.2, §4.2.2.2.1): a delegated OCSP responder, for when the CA key should stay offline.
 */
export type ServiceCertificatePurpose = "signing" | "encryption" | "ocspSigning";

export interface IssueServiceCertificateParams {
  readonly issuer: Issuer;
  readonly purpose: ServiceCertificatePurpose;
  /** [A-Za-z0-9._-]{1,64}: subject CN, and SAN URI urn:obol:service:<name>. */
  readonly serviceName: string;
  /** The key to certify: public, or a private key whose public half is used. Generate it with node:crypto. */
  readonly publicKey: KeyObject;
  readonly now: Date;
  readonly validityDays: number;
  readonly serial?: string;
  readonly ocspUrl?: string;
  readonly crlUrl?: string;
}

const rsaModulusBitsMin = 2048;
const rsaModulusBitsMax = 8192;

/** A certificate for one of the platform's own keys. See ServiceCertificatePurpose for the profiles. */
export async function issueServiceCertificate(params: IssueServiceCertificateParams): Promise<IssuedCertificate> {
  const name = checkPartyId(params.serviceName, "serviceName");
  if (!(params.publicKey instanceof KeyObject) || params.publicKey.type === "secret") {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "publicKey must be an asymmetric KeyObject");
  }
  const key = publicOf(params.publicKey);
  const extensions: x509.Extension[] = [];
  switch (params.purpose) {
    case "signing":
    case "ocspSigning":
      if (!isP256(key)) throw new PkiError("ERR_PKI_INVALID_INPUT", `a ${params.purpose} certificate needs a P-256 key`);
      if (params.purpose === "signing") {
        extensions.push(
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
        );
      } else {
        extensions.push(
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.ocspSigning]),
          new x509.Extension(OID_OCSP_NOCHECK, false, Uint8Array.of(0x05, 0x00)),
        );
      }
      break;
    case "encryption": {
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      if (key.asymmetricKeyType !== "rsa" || bits < rsaModulusBitsMin || bits > rsaModulusBitsMax) {
        throw new PkiError(
          "ERR_PKI_INVALID_INPUT",
          `an encryption certificate needs an RSA key (rsaEncryption) of ${rsaModulusBitsMin} to ${rsaModulusBitsMax} bits`,
        );
      }
      extensions.push(new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment, true));
      break;
    }
    default:
      throw new PkiError("ERR_PKI_INVALID_INPUT", "purpose must be signing, encryption or ocspSigning");
  }
  return issueEndEntity({
    issuer: params.issuer,
    subjectKey: key,
    commonName: name,
    sanUris: [serviceUri(name)],
    extensions,
    now: params.now,
    validityDays: params.validityDays,
    serial: params.serial,
    ocspUrl: params.purpose === "ocspSigning" ? undefined : params.ocspUrl,
    crlUrl: params.purpose === "ocspSigning" ? undefined : params.crlUrl,
  });
}
