import { XmlError } from "./errors.js";
import type { XmlErrorCode } from "./errors.js";
import { xmlnsNs } from "./namespaces.js";

/** Small, namespace-aware DOM helpers. Prefixes are never compared: only namespace URI + local name. */

export const ELEMENT_NODE = 1;
export const TEXT_NODE = 3;
export const CDATA_SECTION_NODE = 4;
export const PROCESSING_INSTRUCTION_NODE = 7;
export const COMMENT_NODE = 8;

export function isElement(node: Node | null | undefined): node is Element {
  return node !== null && node !== undefined && node.nodeType === ELEMENT_NODE;
}

export function isNamed(node: Node | null | undefined, namespaceUri: string, localName: string): node is Element {
  return isElement(node) && node.namespaceURI === namespaceUri && node.localName === localName;
}

function isBlank(text: string): boolean {
  return /^[ \t\r\n]*$/.test(text);
}

/** The element children of `parent`. Text other than whitespace, or any other node, is an error `code`. */
export function childElements(parent: Element, code: XmlErrorCode, what: string): Element[] {
  const children: Element[] = [];
  for (let child = parent.firstChild; child !== null; child = child.nextSibling) {
    if (isElement(child)) {
      children.push(child);
    } else if (child.nodeType !== TEXT_NODE || !isBlank(child.nodeValue ?? "")) {
      throw new XmlError(code, `${what} may contain only elements`);
    }
  }
  return children;
}

/**
 * `parent` must hold exactly the children listed, in order; an entry marked optional may be missing (its
 * slot is then undefined). Anything else is an error `code`.
 */
export function expectChildren(
  parent: Element,
  expected: ReadonlyArray<readonly [namespaceUri: string, localName: string, optional?: boolean]>,
  code: XmlErrorCode,
  what: string,
): Array<Element | undefined> {
  const found = childElements(parent, code, what);
  const out: Array<Element | undefined> = [];
  let i = 0;
  for (const [namespaceUri, localName, optional] of expected) {
    const next = found[i];
    if (isNamed(next, namespaceUri, localName)) {
      out.push(next);
      i++;
    } else if (optional === true) {
      out.push(undefined);
    } else {
      throw new XmlError(code, `${what} must contain ${localName} here`);
    }
  }
  const extra = found[i];
  if (extra !== undefined) throw new XmlError(code, `${what} may not contain {${extra.namespaceURI ?? ""}}${extra.localName} here`);
  return out;
}

/** The text of an element that must not contain elements. */
export function textOnly(element: Element, code: XmlErrorCode, what: string): string {
  let text = "";
  for (let child = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType !== TEXT_NODE && child.nodeType !== CDATA_SECTION_NODE) {
      throw new XmlError(code, `${what} may contain only text`);
    }
    text += child.nodeValue ?? "";
  }
  return text;
}

/** The namespace of an attribute or element; null when it has none (xmldom leaves `undefined` there). */
export function namespaceOf(node: Attr | Element): string | null {
  return node.namespaceURI ?? null;
}

/** The attributes of `element`, without namespace declarations. */
export function ownAttributes(element: Element): Attr[] {
  const attributes: Attr[] = [];
  for (let i = 0; i < element.attributes.length; i++) {
    const attribute = element.attributes.item(i) as Attr;
    if (attribute.namespaceURI !== xmlnsNs) attributes.push(attribute);
  }
  return attributes;
}

/** Throws `code` unless every attribute of `element` (namespace declarations aside) is unprefixed and listed. */
export function onlyAttributes(element: Element, allowed: readonly string[], code: XmlErrorCode, what: string): void {
  for (const attribute of ownAttributes(element)) {
    if (namespaceOf(attribute) !== null || !allowed.includes(attribute.localName)) {
      throw new XmlError(code, `${what} has an unexpected attribute ${attribute.name}`);
    }
  }
}

/** The unprefixed attribute `name`, or undefined (getAttribute cannot tell "" from absent in every DOM). */
export function attributeValue(element: Element, name: string): string | undefined {
  const attribute = element.getAttributeNodeNS(null, name);
  return attribute === null ? undefined : attribute.value;
}

/** Every element in the subtree of `root`, `root` included, in document order. */
export function descendantElements(root: Element): Element[] {
  const out: Element[] = [];
  const pending: Element[] = [root];
  while (pending.length > 0) {
    const element = pending.pop() as Element;
    out.push(element);
    const children: Element[] = [];
    for (let child = element.firstChild; child !== null; child = child.nextSibling) {
      if (isElement(child)) children.push(child);
    }
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i] as Element);
  }
  return out;
}
