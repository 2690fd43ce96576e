import { fromBase64, fromBase64Url, toBase64, toBase64Url } from "@obol/crypto/web";

/**
 * Strict base64 (RFC 4648 §4) as XML Schema base64Binary uses it in xmldsig-core1 and xmlenc-core1: the
 * standard alphabet with padding, XML whitespace allowed between characters (xmlsec1 wraps at 64 columns),
 * nothing else, and only the canonical text of its bytes (non-zero padding bits refused), so two different
 * texts never stand for the same bytes.
 */
export function decodeBase64(text: string): Uint8Array | null {
  return fromBase64(text.replace(/[ \t\r\n]+/g, ""));
}

export const encodeBase64 = toBase64;

/** base64url without padding (RFC 4648 §5), as used for Nonce values. */
export const encodeBase64Url = toBase64Url;

/** The decoded bytes, or null if `text` is not canonical unpadded base64url. */
export const decodeBase64Url = fromBase64Url;
