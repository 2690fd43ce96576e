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

/** Fewest random bytes in a message Nonce (128 bits). */
export const nonceBytesMin = 16;

/** Most random bytes in a message Nonce. */
export const nonceBytesMax = 64;

/** Default capacity of the in-memory replay guard (entries). */
export const replayEntriesMaxDefault = 100_000;
