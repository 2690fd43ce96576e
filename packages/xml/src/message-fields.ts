import { toHex } from "@obol/crypto/web";
import { decodeBase64Url, encodeBase64Url } from "./base64.js";
import { attributeValue, childElements, isNamed, onlyAttributes } from "./dom.js";
import { XmlError } from "./errors.js";
import { nonceBytesMax, nonceBytesMin } from "./limits.js";
import { obolMessageNs, xencNs } from "./namespaces.js";
import type { QualifiedName } from "./namespaces.js";
import { readNodes } from "./xml-node.js";

/** The document element of every Obol message: {urn:obol:msg:1}Message. */
export const messageRoot: QualifiedName = { namespaceUri: obolMessageNs, localName: "Message" };

/** RFC 9562 UUID, lowercase hex, versions 1–8, variant 10xx. */
const messageIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A dotted token naming the business message ("payment.confirm", "obol.receipt.v1"). */
const messageTypePattern = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/** ISO 8601 / RFC 3339 UTC with optional milliseconds: 2026-11-21T10:15:30.123Z. */
const timestampPattern = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?Z$/;

/** A version 4 UUID (RFC 9562 §5.4) from 16 bytes of the caller's randomness. */
export function uuidV4(random: (bytes: number) => Uint8Array): string {
  const bytes = Uint8Array.from(random(16));
  if (bytes.byteLength !== 16) throw new XmlError("ERR_XML_ALGORITHM", "random(16) must return 16 bytes");
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function newNonce(random: (bytes: number) => Uint8Array): string {
  const bytes = random(nonceBytesMin);
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== nonceBytesMin) {
    throw new XmlError("ERR_XML_ALGORITHM", `random(${nonceBytesMin}) must return ${nonceBytesMin} bytes`);
  }
  return encodeBase64Url(bytes);
}

export function formatTimestamp(date: Date): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new XmlError("ERR_XML_MALFORMED", "invalid date");
  return date.toISOString();
}

/** Milliseconds since the epoch, or undefined unless `text` is a real UTC instant in the strict form. */
export function parseTimestamp(text: string): number | undefined {
  const match = timestampPattern.exec(text);
  if (!match) return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) return undefined;
  // Date.parse rolls 2026-02-30 over into March: require the fields to come back unchanged.
  const back = new Date(ms).toISOString();
  return back.slice(0, 19) === text.slice(0, 19) ? ms : undefined;
}

export function checkType(type: string): void {
  if (typeof type !== "string" || !messageTypePattern.test(type)) {
    throw new XmlError("ERR_XML_MALFORMED", "Type must be a token of 1 to 64 characters [A-Za-z0-9._-]");
  }
}

/** The attributes and parts of a verified Message (xmlenc/dsig parts aside, everything is business data). */
export interface MessageFields {
  readonly id: string;
  readonly messageId: string;
  readonly timestamp: Date;
  readonly nonce: string;
  readonly type: string;
  readonly body: Element;
  /** The xenc:EncryptedData holding the sealed Confidential part, if any. */
  readonly encrypted?: Element;
}

function malformed(message: string): XmlError {
  return new XmlError("ERR_XML_MALFORMED", message);
}

/**
 * Reads and checks the envelope of a VERIFIED Message element (the canonical re-parse, signature removed):
 * exactly the attributes Id, MessageId, Timestamp, Nonce, Type; Id = "m-" + MessageId; children Body and
 * at most one xenc:EncryptedData; Body holds business content in the message namespace only.
 */
export function readMessageFields(root: Element): MessageFields {
  if (!isNamed(root, messageRoot.namespaceUri, messageRoot.localName)) throw malformed("not a Message");
  onlyAttributes(root, ["Id", "MessageId", "Timestamp", "Nonce", "Type"], "ERR_XML_MALFORMED", "Message");
  const id = attributeValue(root, "Id");
  const messageId = attributeValue(root, "MessageId");
  const timestampText = attributeValue(root, "Timestamp");
  const nonce = attributeValue(root, "Nonce");
  const type = attributeValue(root, "Type");
  if (messageId === undefined || !messageIdPattern.test(messageId)) throw malformed("MessageId must be a lowercase UUID");
  if (id !== `m-${messageId}`) throw malformed('Id must be "m-" followed by the MessageId');
  const timestamp = timestampText === undefined ? undefined : parseTimestamp(timestampText);
  if (timestamp === undefined) throw malformed("Timestamp must be an ISO 8601 UTC instant (…Z)");
  const nonceBytes = nonce === undefined ? null : decodeBase64Url(nonce);
  if (nonce === undefined || nonceBytes === null || nonceBytes.byteLength < nonceBytesMin || nonceBytes.byteLength > nonceBytesMax) {
    throw malformed(`Nonce must be base64url of ${nonceBytesMin} to ${nonceBytesMax} bytes`);
  }
  checkType(type ?? "");

  const children = childElements(root, "ERR_XML_MALFORMED", "Message");
  const [body, encrypted, ...rest] = children;
  if (body === undefined || !isNamed(body, obolMessageNs, "Body") || rest.length > 0) {
    throw malformed("Message must contain Body and at most one EncryptedData");
  }
  if (encrypted !== undefined && !isNamed(encrypted, xencNs, "EncryptedData")) {
    throw malformed("the only part after Body is the encrypted Confidential part (never in clear)");
  }
  onlyAttributes(body, [], "ERR_XML_MALFORMED", "Body");
  readNodes(body); // business content only: message namespace, no ID-like attributes
  return {
    id,
    messageId,
    timestamp: new Date(timestamp),
    nonce,
    type: type as string,
    body,
    ...(encrypted !== undefined ? { encrypted } : {}),
  };
}
