import type { KeyObject } from "node:crypto";
import { compactId } from "./compact-id.js";
import { PkiError } from "./errors.js";
import type { ValidationErrorCode } from "./errors.js";
import { certificateFields, equalBytes } from "./internal/cert-fields.js";
import type { CertificateFields } from "./internal/cert-fields.js";
import {
  OID_AUTHORITY_INFO_ACCESS,
  OID_AUTHORITY_KEY_ID,
  OID_BASIC_CONSTRAINTS,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_EXT_KEY_USAGE,
  OID_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_ID,
  extensionByOid,
} from "./internal/issuer.js";
import { identityFromUris } from "./internal/names.js";
import type { PartyType } from "./internal/names.js";
import { publicKeyFromSpki, verifiedBy } from "./internal/signature.js";
import { checkDate } from "./internal/validity.js";
import { x509 } from "./internal/x509.js";
import { certificateBytesMax, chainIntermediatesMax } from "./limits.js";
import type { StatusOf } from "./types.js";

/** keyUsage bits (RFC 5280 §4.2.1.3); nonRepudiation is called contentCommitment in X.509 (2008). */
export type KeyUsageName =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign";

/** extendedKeyUsage purposes (RFC 5280 §4.2.1.12, RFC 6960 §4.2.2.2). */
export type ExtendedKeyUsageName = "clientAuth" | "serverAuth" | "emailProtection" | "codeSigning" | "timeStamping" | "ocspSigning";

const ekuOids: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
};

export interface ValidateCertificateParams {
  /** The end-entity certificate to check (DER). */
  readonly certificateDer: Uint8Array;
  /** The one trust anchor (DER). A path must end at exactly these bytes. */
  readonly trustedRootDer: Uint8Array;
  /** Candidate intermediates (DER), e.g. the issuing CA; at most chainIntermediatesMax are used. */
  readonly intermediatesDer: readonly Uint8Array[];
  readonly now: Date;
  /** keyUsage bits the end entity must have, e.g. ["digitalSignature", "nonRepudiation"] for signed confirmations. */
  readonly requiredKeyUsage: readonly KeyUsageName[];
  /** extendedKeyUsage purposes the end entity must list, e.g. ["clientAuth"]. Default: none required. */
  readonly requiredExtendedKeyUsage?: readonly ExtendedKeyUsageName[];
  /** Revocation status of the end entity by serial (the platform's store or a verified OCSP answer). */
  readonly statusOf?: StatusOf;
}

export type ValidationResult =
  | {
      readonly ok: true;
      readonly partyType: PartyType | "service";
      readonly partyId: string;
      /** "+<E.164>" from the SAN tel: URI, if the certificate has one. */
      readonly msisdn?: string;
      readonly serialHex: string;
      readonly compactId: string;
      readonly notAfter: Date;
      /** The certified key, to verify the signature the certificate came with. */
      readonly publicKey: KeyObject;
    }
  | { readonly ok: false; readonly code: ValidationErrorCode; readonly reason: string };

/** Extensions this validator understands; any other extension marked critical fails (RFC 5280 §4.2). */
const understoodExtensions = new Set([
  OID_BASIC_CONSTRAINTS,
  OID_KEY_USAGE,
  OID_EXT_KEY_USAGE,
  OID_SUBJECT_ALT_NAME,
  OID_SUBJECT_KEY_ID,
  OID_AUTHORITY_KEY_ID,
  OID_CRL_DISTRIBUTION_POINTS,
  OID_AUTHORITY_INFO_ACCESS,
]);

interface Parsed {
  readonly der: Uint8Array;
  readonly fields: CertificateFields;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly ca: boolean;
  readonly pathLength: number | undefined;
  readonly keyUsage: number | null;
  readonly extendedKeyUsage: readonly string[] | null;
  readonly subjectKeyId: string | null;
  readonly authorityKeyId: string | null;
  readonly sanUris: readonly string[];
  readonly unknownCritical: string | null;
}

class Invalid extends Error {
  constructor(readonly code: ValidationErrorCode, reason: string) {
    super(reason);
  }
}

/**
 * Certification path validation for Obol's own PKI (a profile of RFC 5280 §6.1): builds the path from the
 * certificate through `intermediatesDer` to `trustedRootDer` by issuer/subject Name bytes, AKI/SKI and
 * verified ECDSA-SHA256 signatures; every CA on it must have basicConstraints cA = TRUE, keyCertSign when
 * keyUsage is present, and a pathLenConstraint not exceeded (§4.2.1.9); every certificate must be within
 * its validity at `now`; no certificate may carry a critical extension this code does not understand; the
 * end entity must not be a CA, must have the required key usages, and must carry exactly one Obol identity
 * URI in its SAN; finally statusOf (if given) must say "good". Returns the identity, or the first failure as
 * a stable code. Throws only for arguments of the wrong type.
 */
export function validateCertificate(params: ValidateCertificateParams): ValidationResult {
  const now = checkDate(params.now, "now");
  if (!(params.certificateDer instanceof Uint8Array) || !(params.trustedRootDer instanceof Uint8Array)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "certificateDer and trustedRootDer must be Uint8Arrays");
  }
  if (!Array.isArray(params.intermediatesDer) || !params.intermediatesDer.every((d) => d instanceof Uint8Array)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "intermediatesDer must be an array of Uint8Arrays");
  }
  if (!Array.isArray(params.requiredKeyUsage)) throw new PkiError("ERR_PKI_INVALID_INPUT", "requiredKeyUsage must be an array");
  const requiredKeyUsage = params.requiredKeyUsage.map((name) => {
    const flag = (x509.KeyUsageFlags as unknown as Record<string, number>)[name];
    if (typeof flag !== "number") throw new PkiError("ERR_PKI_INVALID_INPUT", `unknown key usage ${String(name)}`);
    return { name, flag };
  });
  const requiredEku = (params.requiredExtendedKeyUsage ?? []).map((name) => {
    if (!Object.hasOwn(ekuOids, name)) throw new PkiError("ERR_PKI_INVALID_INPUT", `unknown extended key usage ${String(name)}`);
    return { name, oid: ekuOids[name] };
  });
  try {
    return check(params, now, requiredKeyUsage, requiredEku);
  } catch (error) {
    if (error instanceof Invalid) return { ok: false, code: error.code, reason: error.message };
    throw error;
  }
}

function check(
  params: ValidateCertificateParams,
  now: Date,
  requiredKeyUsage: readonly { name: string; flag: number }[],
  requiredEku: readonly { name: string; oid: string }[],
): ValidationResult {
  if (params.intermediatesDer.length > chainIntermediatesMax) {
    throw new Invalid("ERR_PKI_MALFORMED", `more than ${chainIntermediatesMax} intermediates`);
  }
  const leaf = parse(params.certificateDer, "certificate");
  const root = parse(params.trustedRootDer, "trusted root");
  const intermediates = params.intermediatesDer.map((der, i) => parse(der, `intermediate ${i}`));

  // Path building: leaf first, root last.
  const path: Parsed[] = [leaf];
  let current = leaf;
  while (!equalBytes(current.der, root.der)) {
    if (path.length > chainIntermediatesMax + 1) throw new Invalid("ERR_PKI_UNTRUSTED", "no path to the trusted root");
    const next = [root, ...intermediates].find((candidate) => !path.includes(candidate) && issued(candidate, current));
    if (next === undefined) throw new Invalid("ERR_PKI_UNTRUSTED", "no issuer found on a path to the trusted root");
    path.push(next);
    current = next;
  }
  if (!issued(root, root)) throw new Invalid("ERR_PKI_UNTRUSTED", "the trusted root is not a valid self-signed certificate");

  for (const cert of path) {
    if (cert.unknownCritical !== null) {
      throw new Invalid("ERR_PKI_UNTRUSTED", `unsupported critical extension ${cert.unknownCritical}`);
    }
  }
  // CA checks (RFC 5280 §6.1.4 (k), (l), (m), (n)): path[k] has k - 1 intermediates below it.
  for (let k = 1; k < path.length; k++) {
    const ca = path[k]!;
    if (!ca.ca) throw new Invalid("ERR_PKI_UNTRUSTED", "an issuer on the path is not a CA");
    if (ca.keyUsage !== null && (ca.keyUsage & x509.KeyUsageFlags.keyCertSign) === 0) {
      throw new Invalid("ERR_PKI_UNTRUSTED", "an issuer on the path lacks keyCertSign");
    }
    if (ca.pathLength !== undefined && k - 1 > ca.pathLength) {
      throw new Invalid("ERR_PKI_UNTRUSTED", "pathLenConstraint exceeded");
    }
  }
  if (leaf.ca) throw new Invalid("ERR_PKI_KEY_USAGE", "a CA certificate is not an end entity");

  // Validity of every certificate (§6.1.3 (a)(2)).
  for (const cert of path) {
    if (now < cert.notBefore) throw new Invalid("ERR_PKI_NOT_YET_VALID", cert === leaf ? "the certificate is not yet valid" : "an issuer is not yet valid");
    if (now > cert.notAfter) throw new Invalid("ERR_PKI_EXPIRED", cert === leaf ? "the certificate has expired" : "an issuer has expired");
  }

  // Key usage of the end entity.
  for (const { name, flag } of requiredKeyUsage) {
    if (leaf.keyUsage === null || (leaf.keyUsage & flag) === 0) throw new Invalid("ERR_PKI_KEY_USAGE", `keyUsage lacks ${name}`);
  }
  for (const { name, oid } of requiredEku) {
    if (leaf.extendedKeyUsage === null || !leaf.extendedKeyUsage.includes(oid)) {
      throw new Invalid("ERR_PKI_KEY_USAGE", `extendedKeyUsage lacks ${name}`);
    }
  }

  const identity = identityFromUris(leaf.sanUris);
  if (identity === null) throw new Invalid("ERR_PKI_MALFORMED", "the certificate carries no single Obol identity URI");
  const publicKey = publicKeyFromSpki(leaf.fields.spki);
  if (publicKey === null) throw new Invalid("ERR_PKI_MALFORMED", "unreadable public key");

  if (params.statusOf !== undefined) {
    const status = params.statusOf(leaf.fields.serialHex);
    if (status === "unknown") throw new Invalid("ERR_PKI_STATUS_UNKNOWN", "the certificate's serial is not known to the status source");
    if (status !== "good") throw new Invalid("ERR_PKI_REVOKED", "the certificate is revoked");
  }

  return {
    ok: true,
    ...identity,
    serialHex: leaf.fields.serialHex,
    compactId: compactId(leaf.der),
    notAfter: leaf.notAfter,
    publicKey,
  };
}

/** Did `issuer` issue `child`? Name chaining (§6.1.3 (a)(4)), AKI/SKI when both exist, and the signature. */
function issued(issuer: Parsed, child: Parsed): boolean {
  if (!equalBytes(issuer.fields.subject, child.fields.issuer)) return false;
  if (child.authorityKeyId !== null && issuer.subjectKeyId !== null && child.authorityKeyId !== issuer.subjectKeyId) return false;
  return verifiedBy(issuer.fields.spki, child.fields.signatureAlgorithmOid, child.fields.tbs, child.fields.signature);
}

function parse(der: Uint8Array, what: string): Parsed {
  if (der.length > certificateBytesMax) throw new Invalid("ERR_PKI_MALFORMED", `${what} is larger than ${certificateBytesMax} bytes`);
  try {
    const fields = certificateFields(der);
    const cert = new x509.X509Certificate(der);
    const extensions = cert.extensions;
    const bc = extensionByOid(extensions, OID_BASIC_CONSTRAINTS, x509.BasicConstraintsExtension);
    const ku = extensionByOid(extensions, OID_KEY_USAGE, x509.KeyUsagesExtension);
    const eku = extensionByOid(extensions, OID_EXT_KEY_USAGE, x509.ExtendedKeyUsageExtension);
    const ski = extensionByOid(extensions, OID_SUBJECT_KEY_ID, x509.SubjectKeyIdentifierExtension);
    const aki = extensionByOid(extensions, OID_AUTHORITY_KEY_ID, x509.AuthorityKeyIdentifierExtension);
    const san = extensionByOid(extensions, OID_SUBJECT_ALT_NAME, x509.SubjectAlternativeNameExtension);
    const unknownCritical = extensions.find((e) => e.critical && !understoodExtensions.has(e.type))?.type ?? null;
    return {
      der,
      fields,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      ca: bc?.ca === true,
      pathLength: bc?.pathLength,
      keyUsage: ku === null ? null : ku.usages,
      extendedKeyUsage: eku === null ? null : eku.usages.map(String),
      subjectKeyId: ski?.keyId?.toLowerCase() ?? null,
      authorityKeyId: aki?.keyId?.toLowerCase() ?? null,
      sanUris: san === null ? [] : san.names.items.filter((n) => n.type === "url").map((n) => n.value),
      unknownCritical,
    };
  } catch (cause) {
    if (cause instanceof Invalid) throw cause;
    throw new Invalid("ERR_PKI_MALFORMED", `${what} is not a parseable X.509 certificate`);
  }
}
