import { constants, createPublicKey, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { verifyEcdsaP256 } from "@obol/crypto";
import { PkiError } from "./errors.js";
import { algorithmOid } from "./internal/cert-fields.js";
import {
  TAG_BIT_STRING,
  TAG_INTEGER,
  TAG_SEQUENCE,
  bitStringOctets,
  children,
  contents,
  contextTag,
  expectTag,
  readSingle,
  whole,
} from "./internal/der.js";
import { isP256, spkiDerOf } from "./internal/keys.js";
import { x509 } from "./internal/x509.js";
import { csrBytesMax, rsaDeviceModulusBitsMax, rsaDeviceModulusBitsMin } from "./limits.js";

/** What the RA learns from a PKCS#10 request. Only the key is ever copied into a certificate. */
export interface ParsedCsr {
  /** The requested public key: P-256, or RSA when the caller allowed it. */
  readonly publicKey: KeyObject;
  /** Its SubjectPublicKeyInfo, re-encoded canonically (named curve, uncompressed point). */
  readonly spkiDer: Uint8Array;
  /** The subject the device asked for, RFC 4514 text, for logs only: certificates never use it. */
  readonly requestedSubject: string;
  /** PKCS#9 challengePassword (RFC 2985 §5.4.1) if present: a place for a one-time enrolment code. */
  readonly challengePassword?: string;
}

const OID_ECDSA_WITH_SHA256 = "1.2.840.10045.4.3.2";
const OID_SHA256_WITH_RSA = "1.2.840.113549.1.1.11";

export interface ParseCsrOptions {
  /**
   * Legacy devices only: also accept an RSA key of rsaDeviceModulusBitsMin..Max bits with an odd public exponent
   * of at least 65537 (CA/Browser Forum BR §6.1.6), self-signed with sha256WithRSAEncryption (RFC 8017 §8.2,
   * RFC 4055 §5). Default false: only P-256.
   */
  readonly allowRsa?: boolean;
}
const OID_CHALLENGE_PASSWORD = "1.2.840.113549.1.9.7";

/**
 * Parses and checks a DER PKCS#10 CertificationRequest (RFC 2986 §4): at most csrBytesMax bytes, no trailing
 * data, version 0, an EC P-256 key (else ERR_PKI_CSR_KEY), signed with ecdsa-with-SHA256 over the exact
 * certificationRequestInfo bytes and that signature verifies (proof of possession, §3; else
 * ERR_PKI_CSR_SIGNATURE). Anything unparseable is ERR_PKI_CSR_MALFORMED; this function never throws anything
 * else for hostile bytes. With `allowRsa`, RSA keys too (see ParseCsrOptions); the signature algorithm always
 * follows the key type.
 */
export function parseCsr(der: Uint8Array, options: ParseCsrOptions = {}): ParsedCsr {
  if (!(der instanceof Uint8Array)) throw new PkiError("ERR_PKI_INVALID_INPUT", "der must be a Uint8Array");
  if (der.length > csrBytesMax) throw new PkiError("ERR_PKI_CSR_MALFORMED", `CSR larger than ${csrBytesMax} bytes`);
  let info: Uint8Array;
  let spki: Uint8Array;
  let signatureOid: string;
  let signature: Uint8Array;
  let requestedSubject: string;
  let challengePassword: string | undefined;
  try {
    const top = readSingle(der, TAG_SEQUENCE);
    const [infoTlv, algTlv, sigTlv, ...extra] = children(der, top);
    if (extra.length !== 0) throw new Error("extra fields");
    expectTag(infoTlv, TAG_SEQUENCE, "certificationRequestInfo");
    expectTag(algTlv, TAG_SEQUENCE, "signatureAlgorithm");
    expectTag(sigTlv, TAG_BIT_STRING, "signature");
    const [version, subject, spkiTlv, attributes, ...more] = children(der, infoTlv!);
    const versionBody = contents(der, expectTag(version, TAG_INTEGER, "version"));
    if (versionBody.length !== 1 || versionBody[0] !== 0) throw new Error("version must be v1 (0)");
    expectTag(subject, TAG_SEQUENCE, "subject");
    expectTag(spkiTlv, TAG_SEQUENCE, "subjectPKInfo");
    expectTag(attributes, contextTag(0, true), "attributes");
    if (more.length !== 0) throw new Error("extra fields in certificationRequestInfo");
    info = whole(der, infoTlv!);
    spki = whole(der, spkiTlv!);
    signatureOid = algorithmOid(der, algTlv!);
    signature = bitStringOctets(contents(der, sigTlv!));
    // The second parser only supplies informational fields; what we verify and copy came from the bytes above.
    const csr = new x509.Pkcs10CertificateRequest(der);
    requestedSubject = csr.subject;
    const attribute = csr.getAttribute(OID_CHALLENGE_PASSWORD);
    if (attribute !== null) challengePassword = new x509.ChallengePasswordAttribute(attribute.rawData).password;
  } catch (cause) {
    throw new PkiError("ERR_PKI_CSR_MALFORMED", "not a DER PKCS#10 certification request", { cause });
  }
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch (cause) {
    throw new PkiError("ERR_PKI_CSR_KEY", "the requested public key cannot be parsed", { cause });
  }
  if (publicKey.asymmetricKeyType === "rsa" && options.allowRsa === true) {
    checkRsaDeviceKey(publicKey);
    if (signatureOid !== OID_SHA256_WITH_RSA) {
      throw new PkiError("ERR_PKI_CSR_MALFORMED", `unsupported CSR signature algorithm ${signatureOid} for an RSA key (want sha256WithRSAEncryption)`);
    }
    if (!verifyRsaSha256(publicKey, info, signature)) throw new PkiError("ERR_PKI_CSR_SIGNATURE", "the CSR signature does not verify");
  } else {
    if (!isP256(publicKey)) {
      throw new PkiError("ERR_PKI_CSR_KEY", `the requested key must be EC P-256${options.allowRsa === true ? ` or RSA ${rsaDeviceModulusBitsMin}-${rsaDeviceModulusBitsMax}` : ""}, not ${describeKey(publicKey)}`);
    }
    if (signatureOid !== OID_ECDSA_WITH_SHA256) {
      throw new PkiError("ERR_PKI_CSR_MALFORMED", `unsupported CSR signature algorithm ${signatureOid} (want ecdsa-with-SHA256)`);
    }
    if (!verifyEcdsaP256(publicKey, info, signature, "der")) {
      throw new PkiError("ERR_PKI_CSR_SIGNATURE", "the CSR signature does not verify");
    }
  }
  const parsed: ParsedCsr = { publicKey, spkiDer: spkiDerOf(publicKey), requestedSubject };
  return challengePassword === undefined ? parsed : { ...parsed, challengePassword };
}

function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === "rsa") return `RSA-${details?.modulusLength ?? "?"}`;
  if (key.asymmetricKeyType === "ec") return `EC ${details?.namedCurve ?? "explicit curve"}`;
  return String(key.asymmetricKeyType);
}

function checkRsaDeviceKey(key: KeyObject): void {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (bits < rsaDeviceModulusBitsMin || bits > rsaDeviceModulusBitsMax) {
    throw new PkiError("ERR_PKI_CSR_KEY", `an RSA device key must have ${rsaDeviceModulusBitsMin} to ${rsaDeviceModulusBitsMax} bits, not ${bits}`);
  }
  if (exponent < 65537n || exponent % 2n === 0n) throw new PkiError("ERR_PKI_CSR_KEY", "an RSA device key needs an odd public exponent of at least 65537");
}

/** RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8017 §8.2.2); false for anything that does not verify. */
function verifyRsaSha256(key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return verify("sha256", data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
  } catch {
    return false;
  }
}
