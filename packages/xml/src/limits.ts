/** Hard limits of @obol/xml. Every quantity an attacker controls has a named maximum; units are last. */

/** Largest document accepted, in UTF-8 bytes. A signed and encrypted payment message is about 3 KiB. */
export const documentBytesMax = 64 * 1024;

/** Deepest element nesting; the document element is depth 1. */
export const depthMax = 32;

/** Most elements in one document. */
export const elementsMax = 2_000;

/** Longest attribute value, in characters as written (before reference expansion). */
export const attributeCharsMax = 2_048;

/** Most attributes (namespace declarations included) on one element. */
export const attributesPerElementMax = 32;

/** Default freshness window of openMessage(): a message's Timestamp may differ from `now` by this much. */
export const freshnessWindowMsDefault = 120_000;

/** Smallest freshness window a caller may choose: clocks of phones and servers are never closer than that. */
export const freshnessWindowMsMin = 1_000;

/** Largest freshness window a caller may choose (one hour): replay state must be kept for twice as long. */
export const freshnessWindowMsMax = 3_600_000;

/** Fewest random bytes in a message Nonce (128 bits). */
export const nonceBytesMin = 16;

/** Most random bytes in a message Nonce. */
export const nonceBytesMax = 64;

/** Default capacity of the in-memory replay guard (entries). */
export const replayEntriesMaxDefault = 100_000;

/**
 * Most namespace declarations in one document, and the longest namespace URI. Exclusive c14n re-declares a
 * prefix on every output element that uses it (xml-exc-c14n §3), so these two bound how much larger the
 * canonical form can be than the document (about 40x at worst) before any digest is computed.
 */
export const namespaceDeclarationsMax = 16;
export const namespaceUriCharsMax = 256;

/** Canonical XML handed back by verification may be larger than its document (exc-c14n writes `<a></a>`
 * for `<a/>`, `&gt;` for `>`, re-declares prefixes); it is re-parsed with this larger size limit. */
export const canonicalBytesMax = 8 * documentBytesMax;

/** Most certificates in one ds:X509Data (a leaf and its chain). */
export const keyInfoCertificatesMax = 4;

/** Longest ds:KeyName (a compact certificate identifier or a session key name). */
export const keyNameCharsMax = 256;

/** Most xenc:EncryptedData elements decryptXml() decrypts in one document. */
export const encryptedDataMax = 8;
