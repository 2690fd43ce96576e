import { DOMParser } from "@xmldom/xmldom";
import {
  CDATA_SECTION_NODE,
  COMMENT_NODE,
  ELEMENT_NODE,
  PROCESSING_INSTRUCTION_NODE,
  TEXT_NODE,
} from "./dom.js";
import { XmlError } from "./errors.js";
import {
  attributeCharsMax,
  attributesPerElementMax,
  depthMax,
  documentBytesMax,
  elementsMax,
  namespaceDeclarationsMax,
  namespaceUriCharsMax,
} from "./limits.js";
import type { QualifiedName } from "./namespaces.js";
import { scanDocument } from "./scan.js";

/** The limits parseXml() enforces; every one can only be lowered or raised explicitly by the caller. */
export interface ParseLimits {
  readonly documentBytesMax: number;
  readonly depthMax: number;
  readonly elementsMax: number;
  readonly attributeCharsMax: number;
  readonly attributesPerElementMax: number;
  readonly namespaceDeclarationsMax: number;
  readonly namespaceUriCharsMax: number;
}

export const defaultParseLimits: ParseLimits = Object.freeze({
  documentBytesMax,
  depthMax,
  elementsMax,
  attributeCharsMax,
  attributesPerElementMax,
  namespaceDeclarationsMax,
  namespaceUriCharsMax,
});

export interface ParseOptions {
  readonly limits?: Partial<ParseLimits>;
  /** Comments are refused unless this is true. Business payloads never allow them (comment truncation, the
   * `+2547<!---->00123456` class: same-document references drop comments, xmldsig-core1 §4.4.3.3). */
  readonly allowComments?: boolean;
  /** The document element must have this namespace and local name, else ERR_XML_MALFORMED. */
  readonly expectedRoot?: QualifiedName;
}

export interface ParsedXml {
  readonly document: Document;
  readonly root: Element;
  /**
   * The exact text that was parsed (a UTF-8 BOM removed). Hand THIS string, never the caller's original, to
   * anything that parses again, so both parses see the same characters; signEnveloped() inserts its Signature
   * into this text rather than re-serializing the DOM.
   */
  readonly source: string;
}


const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** UTF-8 length of a string without encoding it (Buffer.byteLength is Node only). A lone surrogate counts 3
 * (U+FFFD), as TextEncoder would write it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function decode(input: string | Uint8Array, bytesMax: number): string {
  if (typeof input === "string") {
    // A UTF-16 unit is at most 3 UTF-8 bytes and at least 1: the cheap test first, the exact one after.
    if (input.length > bytesMax || utf8Length(input) > bytesMax) {
      throw new XmlError("ERR_XML_LIMIT", `document larger than ${bytesMax} bytes`);
    }
    return input.startsWith("\uFEFF") ? input.slice(1) : input;
  }
  if (!(input instanceof Uint8Array)) throw new XmlError("ERR_XML_MALFORMED", "input must be a string or bytes");
  if (input.byteLength > bytesMax) throw new XmlError("ERR_XML_LIMIT", `document larger than ${bytesMax} bytes`);
  try {
    return utf8.decode(input); // drops a leading BOM
  } catch {
    throw new XmlError("ERR_XML_MALFORMED", "document is not valid UTF-8");
  }
}

/**
 * xmldom with every warning and error fatal: it must never "recover". By the time it runs, scanDocument()
 * has accepted the text, so a report here means the two disagree, which is itself a reason to refuse.
 */
function buildDom(source: string): Document {
  const fail = (level: string) => (message: unknown) => {
    throw new XmlError("ERR_XML_MALFORMED", `xmldom ${level}: ${String(message).split("\n")[0]}`);
  };
  const parser = new DOMParser({
    errorHandler: { warning: fail("warning"), error: fail("error"), fatalError: fail("fatalError") },
  });
  return parser.parseFromString(source, "application/xml");
}

/** Walks the DOM xmldom built and checks it has the shape the scanner vouched for. */
function checkDom(document: Document, elementsExpected: number, hasXmlDeclaration: boolean, allowComments: boolean): Element {
  let root: Element | null = null;
  for (let child = document.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === ELEMENT_NODE) {
      if (root !== null) throw new XmlError("ERR_XML_MALFORMED", "more than one document element");
      root = child as Element;
    } else if (child.nodeType === PROCESSING_INSTRUCTION_NODE) {
      // xmldom reports the XML declaration as a processing instruction "xml"; nothing else may be one.
      if (!(hasXmlDeclaration && child === document.firstChild && child.nodeName === "xml")) {
        throw new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", "processing instruction");
      }
    } else if (child.nodeType === COMMENT_NODE) {
      if (!allowComments) throw new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", "comment");
    } else if (child.nodeType !== TEXT_NODE) {
      throw new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", `node type ${child.nodeType} outside the document element`);
    }
  }
  if (root === null) throw new XmlError("ERR_XML_MALFORMED", "no document element");

  let elements = 0;
  const pending: Node[] = [root];
  while (pending.length > 0) {
    const node = pending.pop() as Node;
    if (node.nodeType === ELEMENT_NODE) {
      elements++;
      for (let child = node.firstChild; child !== null; child = child.nextSibling) pending.push(child);
    } else if (node.nodeType === COMMENT_NODE) {
      if (!allowComments) throw new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", "comment");
    } else if (node.nodeType !== TEXT_NODE && node.nodeType !== CDATA_SECTION_NODE) {
      throw new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", `node type ${node.nodeType} inside the document`);
    }
  }
  if (elements !== elementsExpected) {
    throw new XmlError("ERR_XML_MALFORMED", "the DOM does not match the scanned document");
  }
  return root;
}

/**
 * Hardened parsing (XML 1.0 Fifth Edition + Namespaces in XML 1.0, a strict subset): size check, then the
 * strict scanner (DOCTYPE, ENTITY, PI, comments, limits) before any DOM exists, then xmldom with fatal error
 * handling, then a check of the resulting DOM. Throws XmlError and nothing else.
 */
export function parseXml(input: string | Uint8Array, options: ParseOptions = {}): ParsedXml {
  const limits: ParseLimits = { ...defaultParseLimits, ...options.limits };
  const allowComments = options.allowComments === true;
  const source = decode(input, limits.documentBytesMax);
  const scanned = scanDocument(source, limits, allowComments);
  let document: Document;
  try {
    document = buildDom(source);
  } catch (error) {
    if (error instanceof XmlError) throw error;
    throw new XmlError("ERR_XML_MALFORMED", "xmldom could not parse the document");
  }
  const root = checkDom(document, scanned.elements, scanned.hasXmlDeclaration, allowComments);
  const expected = options.expectedRoot;
  if (expected !== undefined && (root.namespaceURI !== expected.namespaceUri || root.localName !== expected.localName)) {
    throw new XmlError(
      "ERR_XML_MALFORMED",
      `document element must be {${expected.namespaceUri}}${expected.localName}, not {${root.namespaceURI ?? ""}}${root.localName}`,
    );
  }
  return { document, root, source };
}
