import { XmlError } from "./errors.js";

/** XML 1.0 §2.2 [2] Char, negated (a lone surrogate is outside every range under the `u` flag). */
const invalidChar = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function assertChars(value: string, what: string): void {
  if (typeof value !== "string" || invalidChar.test(value)) {
    throw new XmlError("ERR_XML_MALFORMED", `${what} contains a character XML 1.0 cannot carry`);
  }
}

/**
 * Character data for element content (XML 1.0 §2.4): `&`, `<` and `>` escaped; CR as `&#13;` so that line-end
 * normalization (§2.11) keeps it; U+0085 and U+2028 as references (the parser refuses them raw, see scan.ts).
 */
export function escapeText(value: string): string {
  assertChars(value, "text");
  return value.replace(/[&<>\r\u0085\u2028]/g, (c) => `&#${c.codePointAt(0)};`);
}

/** An attribute value for double quotes; TAB, LF and CR as references so normalization (§3.3.3) keeps them. */
export function escapeAttribute(value: string): string {
  assertChars(value, "attribute value");
  return value.replace(/[&<>"\t\n\r\u0085\u2028]/g, (c) => `&#${c.codePointAt(0)};`);
}

/**
 * Replaces raw U+0085 and U+2028 by character references in a serialization that has no comments, CDATA
 * sections or processing instructions (xmldom's output of a document parseXml accepted, canonical XML): there
 * it changes no character of the document, and parseXml refuses the raw form (scan.ts).
 */
export function escapeXml11LineEnds(serialized: string): string {
  return serialized.replace(/[\u0085\u2028]/g, (c) => `&#${c.codePointAt(0)};`);
}
