/**
 * The one error class of @obol/pki. `code` is stable and meant for programs (map it to HTTP statuses, audit
 * events, CLI exit codes); `message` is for people and may change.
 *
 * validateCertificate() does not throw for an invalid certificate: it returns `{ ok: false, code }` with one
 * of the ValidationErrorCode values below. Everything else throws a PkiError.
 */
export type ValidationErrorCode =
  /** The certificate does not chain to the trusted root: unknown issuer, bad signature, CA flags/pathLen. */
  | "ERR_PKI_UNTRUSTED"
  /** now > notAfter of some certificate in the chain (RFC 5280 §6.1.3 (a)(2)). */
  | "ERR_PKI_EXPIRED"
  /** now < notBefore of some certificate in the chain. */
  | "ERR_PKI_NOT_YET_VALID"
  /** The end-entity certificate lacks a required keyUsage/extendedKeyUsage bit (RFC 5280 §4.2.1.3, §4.2.1.12). */
  | "ERR_PKI_KEY_USAGE"
  /** statusOf() said the end-entity certificate is revoked. */
  | "ERR_PKI_REVOKED"
  /** statusOf() does not know the serial: fail closed, the platform never issued it (RFC 6960 §2.2 "unknown"). */
  | "ERR_PKI_STATUS_UNKNOWN"
  /** Some input is not a parseable X.509 certificate, is too large, or the end entity has no Obol identity. */
  | "ERR_PKI_MALFORMED";

export type PkiErrorCode =
  | ValidationErrorCode
  /** A caller argument is out of range or of the wrong type (a programming or configuration error). */
  | "ERR_PKI_INVALID_INPUT"
  /** The issuer's private key does not belong to the issuer's certificate, or the issuer is not a usable CA. */
  | "ERR_PKI_ISSUER"
  /** sealPrivateKey: passphrase shorter than sealPassphraseCharsMin (or longer than the max). */
  | "ERR_PKI_WEAK_PASSPHRASE"
  /** openPrivateKey: authentication failed. A wrong passphrase and a tampered blob look the same on purpose. */
  | "ERR_PKI_BAD_PASSPHRASE"
  /** openPrivateKey: the text is not a sealed key of a known version, or its KDF parameters are out of bounds. */
  | "ERR_PKI_SEALED_FORMAT"
  /** parseCsr: not a PKCS#10 request, too large, trailing bytes, or an unsupported signature algorithm. */
  | "ERR_PKI_CSR_MALFORMED"
  /** parseCsr: the PKCS#10 self-signature (proof of possession, RFC 2986 §3) does not verify. */
  | "ERR_PKI_CSR_SIGNATURE"
  /** parseCsr: the requested key is not an EC P-256 key. */
  | "ERR_PKI_CSR_KEY"
  /** An OCSP request or response is not parseable DER of the right shape, or exceeds a limit. */
  | "ERR_PKI_OCSP_MALFORMED"
  /** The OCSP response's responseStatus is not "successful" (RFC 6960 §4.2.1); the message names it. */
  | "ERR_PKI_OCSP_RESPONSE_STATUS"
  /** The OCSP response's signature or responder is not trusted (RFC 6960 §3.2 items 1, 4, 5, 6). */
  | "ERR_PKI_OCSP_SIGNATURE"
  /** The OCSP response does not echo the request nonce (RFC 8954 §2). */
  | "ERR_PKI_OCSP_NONCE"
  /** The OCSP response has no SingleResponse for the certificate asked about (RFC 6960 §3.2 item 1). */
  | "ERR_PKI_OCSP_NO_STATUS"
  /** The OCSP response is not current: thisUpdate in the future or nextUpdate in the past (§3.2 items 4, 5). */
  | "ERR_PKI_OCSP_STALE"
  /** A Signer failed, or returned a signature that does not verify with its own public key. */
  | "ERR_PKI_SIGNER"
  /** PKCS#11 is configured but the optional `pkcs11js` binding is not installed or did not build. */
  | "ERR_PKI_PKCS11_UNAVAILABLE"
  /** The PKCS#11 module (shared library) cannot be loaded or initialised. */
  | "ERR_PKI_PKCS11_MODULE"
  /** No token, or more than one, has the configured label. */
  | "ERR_PKI_PKCS11_TOKEN"
  /** The token refused the user PIN (incorrect, wrong length, locked or expired). The PIN is never in a message. */
  | "ERR_PKI_PKCS11_PIN"
  /** The key pair is missing, ambiguous, not EC P-256, extractable or not sensitive; or, when generating, exists. */
  | "ERR_PKI_PKCS11_KEY"
  /** Any other PKCS#11 failure (the CKR_ name is in the message). */
  | "ERR_PKI_PKCS11_FAILED";

export class PkiError extends Error {
  readonly code: PkiErrorCode;

  constructor(code: PkiErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PkiError";
    this.code = code;
  }
}

export function isPkiError(value: unknown, code?: PkiErrorCode): value is PkiError {
  return value instanceof PkiError && (code === undefined || value.code === code);
}
