/**
 * The one error class of @obol/xml. `code` is stable and meant for programs (map it to HTTP statuses, audit
 * events, CLI exit codes); `message` is for people and may change. Decryption failures carry no detail on
 * purpose: which check failed (key unwrap, tag, plaintext) must not be observable (xmlenc-core1 §6.1,
 * Jager/Somorovsky "How to break XML Encryption", CCS 2011).
 */
export type XmlErrorCode =
  /** Not well-formed XML 1.0 + Namespaces, invalid characters, wrong document element or namespace, bad field. */
  | "ERR_XML_MALFORMED"
  /** Well-formed but refused: DOCTYPE, ENTITY (any declaration or non-predefined reference), processing
   * instruction, comment in a business payload, raw U+0085/U+2028. */
  | "ERR_XML_FORBIDDEN_CONSTRUCT"
  /** A size limit was exceeded (bytes, depth, elements, attributes, attribute characters, replay store). */
  | "ERR_XML_LIMIT"
  /** The signature does not verify with the trusted key, the signer is unknown, or the signed content is not
   * what the envelope requires. */
  | "ERR_XML_SIGNATURE_INVALID"
  /** The document carries no ds:Signature. */
  | "ERR_XML_SIGNATURE_MISSING"
  /** The signature is not the one shape we accept: position, counts, reference, ID attributes (anti-XSW). */
  | "ERR_XML_SIGNATURE_STRUCTURE"
  /** An algorithm outside the allow-list (signature, digest, c14n, transform, encryption, key transport). */
  | "ERR_XML_ALGORITHM"
  /** Decryption failed. Deliberately says nothing about why. */
  | "ERR_XML_DECRYPT_FAILED"
  /** The message timestamp is outside the freshness window (too old or too far in the future). */
  | "ERR_XML_STALE"
  /** The nonce or MessageId was seen before. */
  | "ERR_XML_REPLAY";

export class XmlError extends Error {
  readonly code: XmlErrorCode;

  constructor(code: XmlErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "XmlError";
    this.code = code;
  }
}

export function isXmlError(value: unknown, code?: XmlErrorCode): value is XmlError {
  return value instanceof XmlError && (code === undefined || value.code === code);
}
