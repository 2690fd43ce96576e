import { XmlError } from "./errors.js";
import { xmlNs, xmlnsNs } from "./namespaces.js";

/**
 * A strict, non-recursive well-formedness scanner for the subset of XML 1.0 (Fifth Edition) + Namespaces in
 * XML 1.0 that Obol accepts. It runs BEFORE any DOM is built, so nothing forbidden ever reaches a parser:
 *
 *  - no document type declaration (XML 1.0 §2.8 [28]), hence no ENTITY/ELEMENT/ATTLIST/NOTATION declarations
 *    and no entity references other than the five predefined ones (§4.6) and character references (§4.1);
 *  - no processing instruction (§2.6) other than the XML declaration (§2.8 [23]) at offset 0, which must say
 *    version 1.0 and, if it names an encoding, UTF-8;
 *  - comments (§2.5) only when the caller allows them;
 *  - every limit is checked while scanning, so a 10,000-deep or 100,000-element input stops at the limit.
 *
 * @xmldom/xmldom "recovers" from many errors (mismatched end tags, text outside the document element, a raw
 * `&`, `<` inside attribute values, undeclared prefixes); this scanner rejects all of those, so xmldom only
 * ever sees documents on which it and a conforming parser (libxml2 in xmlsec1) agree.
 */

export interface ScanLimits {
  readonly depthMax: number;
  readonly elementsMax: number;
  readonly attributeCharsMax: number;
  readonly attributesPerElementMax: number;
  readonly namespaceDeclarationsMax: number;
  readonly namespaceUriCharsMax: number;
}

export interface ScanResult {
  /** Number of elements in the document (the DOM built afterwards must have exactly as many). */
  readonly elements: number;
  /** True if the document starts with an XML declaration. */
  readonly hasXmlDeclaration: boolean;
}

// XML 1.0 §2.3 [4], [4a] (Fifth Edition), restricted to Namespaces in XML §3 NCName (no colon).
const nameStartChars =
  "A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D" +
  "\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}";
const nameChars = nameStartChars + "\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040";
const ncName = `[${nameStartChars}][${nameChars}]*`;
/** Namespaces in XML §4 [7] QName, sticky. */
const qNamePattern = new RegExp(`${ncName}(?::${ncName})?`, "uy");
/** The NCName production, anchored. */
export const ncNamePattern = new RegExp(`^${ncName}$`, "u");
const qNameAnchoredPattern = new RegExp(`^${ncName}(?::${ncName})?$`, "u");

/** XML 1.0 §2.2 [2] Char, negated; the `u` flag makes a lone surrogate a code point outside every range. */
const invalidCharPattern = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

/**
 * U+0085 and U+2028 are line ends in XML 1.1 but ordinary characters in XML 1.0. xmldom normalizes them to
 * U+000A (its normalizeLineEndings), libxml2 does not: a signed text holding one would canonicalize
 * differently on the two sides. Refused raw; a character reference (`&#x2028;`) is fine.
 */
const xml11LineEndPattern = /[\u0085\u2028]/;

/** XML 1.0 §2.8 [23]–[32], version 1.0 only, encoding UTF-8 only. */
const xmlDeclarationPattern =
  /<\?xml[ \t\r\n]+version[ \t\r\n]*=[ \t\r\n]*(["'])1\.0\1(?:[ \t\r\n]+encoding[ \t\r\n]*=[ \t\r\n]*(["'])[Uu][Tt][Ff]-8\2)?(?:[ \t\r\n]+standalone[ \t\r\n]*=[ \t\r\n]*(["'])(?:yes|no)\3)?[ \t\r\n]*\?>/y;

const predefinedEntities: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** Longest reference accepted, `&#x0010FFFF;` is 12: bounds the digit strings parsed. */
const referenceCharsMax = 12;

function malformed(message: string): XmlError {
  return new XmlError("ERR_XML_MALFORMED", message);
}

function forbidden(message: string): XmlError {
  return new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", message);
}

function isXmlChar(codePoint: number): boolean {
  return (
    codePoint === 0x9 ||
    codePoint === 0xa ||
    codePoint === 0xd ||
    (codePoint >= 0x20 && codePoint <= 0xd7ff) ||
    (codePoint >= 0xe000 && codePoint <= 0xfffd) ||
    (codePoint >= 0x10000 && codePoint <= 0x10ffff)
  );
}

function isWhitespace(c: string | undefined): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r";
}

/**
 * Validates the reference starting at `text[at] === "&"` (XML 1.0 §4.1 [66]–[68]) and returns the index
 * after its `;` plus the text it stands for. Only character references and the five predefined entities
 * exist in a document without a DTD; any other entity name is refused as a forbidden construct.
 */
function scanReference(text: string, at: number): { end: number; text: string } {
  const semicolon = text.indexOf(";", at + 1);
  if (semicolon < 0 || semicolon - at > referenceCharsMax) {
    // Could still be `&name;` with a long name: report that as the entity it is.
    const name = /^&([A-Za-z_:][\w.\-:]*);/.exec(text.slice(at, at + 256));
    if (name) throw forbidden(`entity reference &${name[1]}; (only the five predefined entities exist)`);
    throw malformed("'&' that does not start a reference");
  }
  const body = text.slice(at + 1, semicolon);
  let codePoint: number;
  if (/^#x[0-9a-fA-F]+$/.test(body)) {
    codePoint = Number.parseInt(body.slice(2), 16);
  } else if (/^#[0-9]+$/.test(body)) {
    codePoint = Number.parseInt(body.slice(1), 10);
  } else {
    const expansion = Object.hasOwn(predefinedEntities, body) ? predefinedEntities[body] : undefined;
    if (expansion !== undefined) return { end: semicolon + 1, text: expansion };
    if (qNameAnchoredPattern.test(body)) {
      throw forbidden(`entity reference &${body}; (only the five predefined entities exist)`);
    }
    throw malformed("'&' that does not start a reference");
  }
  if (!isXmlChar(codePoint)) throw malformed(`character reference &${body}; is not an XML Char`);
  return { end: semicolon + 1, text: String.fromCodePoint(codePoint) };
}

/** Checks the `&`s in a run of character data or an attribute value; returns the expanded text. */
function expandReferences(text: string): string {
  let out = "";
  let from = 0;
  for (let amp = text.indexOf("&"); amp >= 0; amp = text.indexOf("&", from)) {
    out += text.slice(from, amp);
    const reference = scanReference(text, amp);
    out += reference.text;
    from = reference.end;
  }
  return out + text.slice(from);
}

interface Scope {
  readonly parent: Scope | null;
  readonly bindings: ReadonlyMap<string, string>;
}

function lookup(scope: Scope | null, prefix: string): string | undefined {
  for (let s = scope; s !== null; s = s.parent) {
    const uri = s.bindings.get(prefix);
    if (uri !== undefined) return uri;
  }
  return undefined;
}

interface OpenElement {
  readonly qName: string;
  readonly scope: Scope;
}

const rootScope: Scope = { parent: null, bindings: new Map([["xml", xmlNs]]) };

/** Scans `source` completely or throws an XmlError. */
export function scanDocument(source: string, limits: ScanLimits, allowComments: boolean): ScanResult {
  const bad = invalidCharPattern.exec(source);
  if (bad) {
    const codePoint = bad[0].codePointAt(0) ?? 0;
    throw malformed(`character U+${codePoint.toString(16).toUpperCase().padStart(4, "0")} is not allowed in XML 1.0`);
  }
  if (xml11LineEndPattern.test(source)) {
    throw forbidden("raw U+0085/U+2028 (XML 1.1 line ends); write them as character references");
  }

  let pos = 0;
  let elements = 0;
  let namespaceDeclarations = 0;
  const stack: OpenElement[] = [];
  let hasXmlDeclaration = false;

  if (source.startsWith("<?xml") && (isWhitespace(source[5]) || source[5] === "?")) {
    xmlDeclarationPattern.lastIndex = 0;
    if (!xmlDeclarationPattern.test(source)) {
      throw malformed("XML declaration must be version 1.0 with encoding UTF-8 (if any)");
    }
    pos = xmlDeclarationPattern.lastIndex;
    hasXmlDeclaration = true;
  }

  const skipWhitespace = (): boolean => {
    const from = pos;
    while (isWhitespace(source[pos])) pos++;
    return pos > from;
  };

  const readQName = (what: string): string => {
    qNamePattern.lastIndex = pos;
    const match = qNamePattern.exec(source);
    if (!match) throw malformed(`invalid ${what} name`);
    pos = qNamePattern.lastIndex;
    return match[0];
  };

  /** `<!--` at pos: XML 1.0 §2.5 [15], "--" must not occur inside. */
  const scanComment = (): void => {
    if (!allowComments) throw forbidden("comment (not allowed in business payloads)");
    const dashes = source.indexOf("--", pos + 4);
    if (dashes < 0 || source[dashes + 2] !== ">") throw malformed("unterminated comment or '--' inside a comment");
    pos = dashes + 3;
  };

  /** Anything starting with `<!` or `<?` that is not a comment or CDATA section. */
  const refuseDeclarationOrPi = (): never => {
    if (source.startsWith("<!DOCTYPE", pos) || source.startsWith("<!doctype", pos)) {
      throw forbidden("DOCTYPE (document type declarations are refused)");
    }
    if (source.startsWith("<!ENTITY", pos)) throw forbidden("ENTITY declaration");
    if (source.startsWith("<?", pos)) throw forbidden("processing instruction");
    throw forbidden("markup declaration");
  };

  /** Prolog (after the XML declaration) or epilog: XML 1.0 §2.8 [27] Misc*, without PIs. */
  const scanMisc = (): void => {
    for (;;) {
      skipWhitespace();
      if (source.startsWith("<!--", pos)) {
        scanComment();
      } else if (source.startsWith("<!", pos) || source.startsWith("<?", pos)) {
        refuseDeclarationOrPi();
      } else {
        return;
      }
    }
  };

  /** Start tag or empty-element tag at pos (XML 1.0 §3.1 [40], [44]; Namespaces §5). */
  const scanStartTag = (): void => {
    pos++; // "<"
    const qName = readQName("element");
    elements++;
    if (elements > limits.elementsMax) {
      throw new XmlError("ERR_XML_LIMIT", `more than ${limits.elementsMax} elements`);
    }
    if (stack.length + 1 > limits.depthMax) {
      throw new XmlError("ERR_XML_LIMIT", `elements nested deeper than ${limits.depthMax}`);
    }
    const attributes: Array<{ qName: string; value: string }> = [];
    const seen = new Set<string>();
    let closed = false;
    for (;;) {
      const spaced = skipWhitespace();
      const c = source[pos];
      if (c === ">") {
        pos++;
        break;
      }
      if (c === "/" && source[pos + 1] === ">") {
        pos += 2;
        closed = true;
        break;
      }
      if (c === undefined) throw malformed("unterminated start tag");
      if (!spaced) throw malformed("attributes must be separated by whitespace");
      const attributeName = readQName("attribute");
      skipWhitespace();
      if (source[pos] !== "=") throw malformed(`attribute ${attributeName} has no value`);
      pos++;
      skipWhitespace();
      const quote = source[pos];
      if (quote !== '"' && quote !== "'") throw malformed(`attribute ${attributeName} value is not quoted`);
      const valueStart = pos + 1;
      const valueEnd = source.indexOf(quote, valueStart);
      if (valueEnd < 0) throw malformed("unterminated attribute value");
      if (valueEnd - valueStart > limits.attributeCharsMax) {
        throw new XmlError("ERR_XML_LIMIT", `attribute value longer than ${limits.attributeCharsMax} characters`);
      }
      const raw = source.slice(valueStart, valueEnd);
      if (raw.includes("<")) throw malformed("'<' inside an attribute value");
      const value = expandReferences(raw);
      pos = valueEnd + 1;
      if (seen.has(attributeName)) throw malformed(`attribute ${attributeName} repeated`);
      seen.add(attributeName);
      attributes.push({ qName: attributeName, value });
      if (attributes.length > limits.attributesPerElementMax) {
        throw new XmlError("ERR_XML_LIMIT", `more than ${limits.attributesPerElementMax} attributes on one element`);
      }
    }

    // Namespaces in XML 1.0 §3 (declaring), §5 (applying), §6.3 (uniqueness of expanded attribute names).
    const parentScope = stack.length > 0 ? (stack[stack.length - 1] as OpenElement).scope : rootScope;
    const bindings = new Map<string, string>();
    for (const { qName: name, value } of attributes) {
      if (name !== "xmlns" && !name.startsWith("xmlns:")) continue;
      namespaceDeclarations++;
      if (namespaceDeclarations > limits.namespaceDeclarationsMax) {
        throw new XmlError("ERR_XML_LIMIT", `more than ${limits.namespaceDeclarationsMax} namespace declarations`);
      }
      if (value.length > limits.namespaceUriCharsMax) {
        throw new XmlError("ERR_XML_LIMIT", `namespace name longer than ${limits.namespaceUriCharsMax} characters`);
      }
      if (name === "xmlns") {
        if (value === xmlNs || value === xmlnsNs) throw malformed("the default namespace cannot be a reserved one");
        bindings.set("", value);
      } else {
        const prefix = name.slice(6);
        if (prefix === "xmlns") throw malformed("the xmlns prefix cannot be declared");
        if (value === "") throw malformed(`prefix ${prefix} cannot be undeclared in Namespaces 1.0`);
        if ((prefix === "xml") !== (value === xmlNs)) throw malformed("the xml prefix is bound to its namespace only");
        if (value === xmlnsNs) throw malformed("the xmlns namespace cannot be bound");
        bindings.set(prefix, value);
      }
    }
    const scope: Scope = bindings.size > 0 ? { parent: parentScope, bindings } : parentScope;
    const colon = qName.indexOf(":");
    if (colon >= 0) {
      const prefix = qName.slice(0, colon);
      if (prefix === "xmlns") throw malformed("element in the xmlns namespace");
      if (lookup(scope, prefix) === undefined) throw malformed(`undeclared prefix ${prefix}`);
    }
    const expanded = new Set<string>();
    for (const { qName: name } of attributes) {
      const c = name.indexOf(":");
      if (name === "xmlns" || c < 0) continue;
      const prefix = name.slice(0, c);
      if (prefix === "xmlns") continue;
      const uri = lookup(scope, prefix);
      if (uri === undefined) throw malformed(`undeclared prefix ${prefix}`);
      const key = `{${uri}}${name.slice(c + 1)}`;
      if (expanded.has(key)) throw malformed(`attribute ${key} repeated under two prefixes`);
      expanded.add(key);
    }
    if (!closed) stack.push({ qName, scope });
  };

  /** Content of the open element at the top of the stack, until it is closed (XML 1.0 §3.1 [43]). */
  const scanContent = (): void => {
    while (stack.length > 0) {
      const lt = source.indexOf("<", pos);
      const textEnd = lt < 0 ? source.length : lt;
      if (textEnd > pos) {
        const text = source.slice(pos, textEnd);
        if (text.includes("]]>")) throw malformed("']]>' in character data");
        expandReferences(text);
        pos = textEnd;
      }
      if (lt < 0) throw malformed("document ends inside an element");
      if (source.startsWith("</", pos)) {
        pos += 2;
        const qName = readQName("end tag");
        skipWhitespace();
        if (source[pos] !== ">") throw malformed("malformed end tag");
        pos++;
        const open = stack.pop() as OpenElement;
        if (open.qName !== qName) throw malformed(`end tag </${qName}> does not match <${open.qName}>`);
      } else if (source.startsWith("<!--", pos)) {
        scanComment();
      } else if (source.startsWith("<![CDATA[", pos)) {
        const end = source.indexOf("]]>", pos + 9);
        if (end < 0) throw malformed("unterminated CDATA section");
        pos = end + 3;
      } else if (source.startsWith("<!", pos) || source.startsWith("<?", pos)) {
        refuseDeclarationOrPi();
      } else {
        scanStartTag();
      }
    }
  };

  scanMisc();
  if (source[pos] !== "<") throw malformed(pos >= source.length ? "no document element" : "text before the document element");
  scanStartTag();
  scanContent();
  scanMisc();
  if (pos !== source.length) throw malformed("content after the document element");
  return { elements, hasXmlDeclaration };
}
