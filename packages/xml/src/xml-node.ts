import { CDATA_SECTION_NODE, isElement, namespaceOf, ownAttributes, TEXT_NODE } from "./dom.js";
import { XmlError } from "./errors.js";
import { escapeAttribute, escapeText } from "./escape.js";
import { obolMessageNs } from "./namespaces.js";
import { ncNamePattern } from "./scan.js";

/**
 * Business content as plain data: an element in the message namespace (urn:obol:msg:1) with unprefixed
 * attributes and children that are elements or text. The envelope builds XML only from this, escaping
 * everything, so business code never concatenates XML strings (no injection) and never writes an ID
 * attribute, a namespace declaration or a comment.
 */
export interface XmlNode {
  readonly name: string;
  readonly attributes?: Readonly<Record<string, string>>;
  readonly children?: ReadonlyArray<XmlNode | string>;
}

function assertName(name: string, what: string): void {
  if (typeof name !== "string" || !ncNamePattern.test(name)) {
    throw new XmlError("ERR_XML_MALFORMED", `${what} ${JSON.stringify(name)} is not an NCName`);
  }
  // ID-like attributes are reserved for the envelope (signature-structure.ts refuses ID/id/Id alternatives).
  if (what === "attribute name" && name.toLowerCase() === "id") {
    throw new XmlError("ERR_XML_MALFORMED", "business content cannot carry Id/ID/id attributes");
  }
  if (name.toLowerCase().startsWith("xml")) {
    throw new XmlError("ERR_XML_MALFORMED", `${what} ${JSON.stringify(name)} starts with the reserved "xml"`);
  }
}

/** Serializes nodes as content of an element whose default namespace is already urn:obol:msg:1. */
export function serializeNodes(nodes: ReadonlyArray<XmlNode | string>): string {
  let out = "";
  const pending: Array<XmlNode | string | { close: string }> = [...nodes].reverse();
  while (pending.length > 0) {
    const next = pending.pop() as XmlNode | string | { close: string };
    if (typeof next === "string") {
      out += escapeText(next);
    } else if ("close" in next) {
      out += `</${next.close}>`;
    } else {
      assertName(next.name, "element name");
      out += `<${next.name}`;
      for (const [name, value] of Object.entries(next.attributes ?? {})) {
        assertName(name, "attribute name");
        out += ` ${name}="${escapeAttribute(value)}"`;
      }
      out += ">";
      pending.push({ close: next.name });
      const children = next.children ?? [];
      for (let i = children.length - 1; i >= 0; i--) pending.push(children[i] as XmlNode | string);
    }
  }
  return out;
}

/**
 * Checks that everything inside `container` is business content in the message namespace (unprefixed
 * attributes, no ID-like attribute), and returns it as XmlNodes. Throws ERR_XML_MALFORMED otherwise.
 */
export function readNodes(container: Element): Array<XmlNode | string> {
  const read = (element: Element): XmlNode => {
    if (namespaceOf(element) !== obolMessageNs) {
      throw new XmlError(
        "ERR_XML_MALFORMED",
        `element {${element.namespaceURI ?? ""}}${element.localName} is outside the message namespace`,
      );
    }
    const attributes: Record<string, string> = {};
    for (const attribute of ownAttributes(element)) {
      if (namespaceOf(attribute) !== null || attribute.localName.toLowerCase() === "id") {
        throw new XmlError("ERR_XML_MALFORMED", `attribute ${attribute.name} is not allowed in business content`);
      }
      attributes[attribute.localName] = attribute.value;
    }
    const children = childrenOf(element);
    return {
      name: element.localName,
      ...(Object.keys(attributes).length > 0 ? { attributes } : {}),
      ...(children.length > 0 ? { children } : {}),
    };
  };
  const childrenOf = (element: Element): Array<XmlNode | string> => {
    const out: Array<XmlNode | string> = [];
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      if (isElement(child)) {
        out.push(read(child));
      } else if (child.nodeType === TEXT_NODE || child.nodeType === CDATA_SECTION_NODE) {
        const text = child.nodeValue ?? "";
        const last = out[out.length - 1];
        if (typeof last === "string") out[out.length - 1] = last + text;
        else if (text.length > 0) out.push(text);
      } else {
        throw new XmlError("ERR_XML_FORBIDDEN_CONSTRUCT", `node type ${child.nodeType} in business content`);
      }
    }
    return out;
  };
  return childrenOf(container);
}
