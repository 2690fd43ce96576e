/**
 * Strict base64 (RFC 4648 §4) as XML Schema base64Binary uses it in xmldsig-core1 and xmlenc-core1: the
 * standard alphabet with padding, XML whitespace allowed between characters (xmlsec1 wraps at 64 columns),
 * nothing else. Buffer.from(s, "base64") alone silently skips junk, which would let two different texts
 * stand for the same bytes.
 */
const base64Pattern = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** The decoded bytes, or null if `text` is not strict base64. */
export function decodeBase64(text: string): Uint8Array | null {
  const compact = text.replace(/[ \t\r\n]+/g, "");
  if (!base64Pattern.test(compact)) return null;
  const bytes = Buffer.from(compact, "base64");
  // Non-zero padding bits ("QR==" vs "QQ==") decode to the same byte: only the canonical text is accepted.
  if (bytes.toString("base64") !== compact) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** base64url without padding (RFC 4648 §5), as used for Nonce values. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

const base64UrlPattern = /^[A-Za-z0-9_-]*$/;

/** The decoded bytes, or null if `text` is not canonical unpadded base64url. */
export function decodeBase64Url(text: string): Uint8Array | null {
  if (!base64UrlPattern.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, "base64url");
  if (bytes.toString("base64url") !== text) return null;
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
