import type { XmlNode } from "./xml-node.js";

/**
 * A strict reader of a message type's declared business content (issue 10). Signed content is read only
 * through the declaration of its message type, so it has exactly one meaning: every element is declared,
 * appears as often as declared (once unless said otherwise), carries exactly its declared attributes, and a
 * value is text only. Anything else is refused, never resolved by "the first match": two Amounts, two Tos,
 * `1250<Sep/>00` (first text node 1250, whole text 125000) or an undeclared element would otherwise let what
 * is shown, signed, kept and paid differ. Comments and PIs never reach here: the hardened parser refuses
 * them, and readNodes() refuses any node that is not an element or text.
 *
 * Pure: plain data in (XmlNode, as readNodes() returns it), plain data or a reason out.
 */
export interface ElementDeclaration {
  readonly name: string;
  /** The attributes it must carry; a name ending in "?" is optional. No other attribute is allowed. */
  readonly attributes?: readonly string[];
  /**
   * "text": a value, text only (no element inside); its text is read whole and unchanged. Otherwise the
   * declared child elements, with nothing but whitespace between them. Absent: empty (whitespace at most).
   */
  readonly content?: "text" | readonly ElementDeclaration[];
  /** How often it appears in its parent: at least `min` (default 1), at most `max` (default 1). */
  readonly min?: number;
  readonly max?: number;
}

/** What a message type's Body (with its decrypted Confidential part) holds: its top-level elements. */
export type ContentDeclaration = readonly ElementDeclaration[];

export interface DeclaredElement {
  readonly attributes: Readonly<Record<string, string>>;
  /** The whole text of a "text" element; "" for any other. */
  readonly text: string;
  /** The child elements by name, in document order (each declared name present, possibly with none). */
  readonly children: DeclaredContent;
}

/** The elements read, by name, in document order: every declared name is present. */
export type DeclaredContent = Readonly<Record<string, readonly DeclaredElement[]>>;

export type ContentReading = { readonly ok: true; readonly content: DeclaredContent } | { readonly ok: false; readonly reason: string };

class Undeclared extends Error {}

const isBlank = (text: string): boolean => /^[ \t\r\n]*$/.test(text);

function readElement(node: XmlNode, declaration: ElementDeclaration): DeclaredElement {
  const declared = new Map((declaration.attributes ?? []).map((a) => [a.replace(/\?$/, ""), !a.endsWith("?")] as const));
  const given = node.attributes ?? {};
  for (const name of Object.keys(given)) {
    if (!declared.has(name)) throw new Undeclared(`${node.name} has an undeclared attribute ${name}`);
  }
  for (const [name, required] of declared) {
    if (required && !Object.hasOwn(given, name)) throw new Undeclared(`${node.name} needs the attribute ${name}`);
  }
  const children = node.children ?? [];
  const attributes = Object.freeze({ ...given });
  if (declaration.content === "text") {
    let text = "";
    for (const child of children) {
      if (typeof child !== "string") throw new Undeclared(`${node.name} is a value: text only, found the element ${child.name}`);
      text += child;
    }
    return { attributes, text, children: {} };
  }
  return { attributes, text: "", children: readContent(children, declaration.content ?? [], node.name) };
}

function readContent(nodes: ReadonlyArray<XmlNode | string>, declarations: ContentDeclaration, where: string): DeclaredContent {
  const byName = new Map(declarations.map((d) => [d.name, d] as const));
  const found: Record<string, DeclaredElement[]> = Object.create(null);
  for (const declaration of declarations) found[declaration.name] = [];
  for (const node of nodes) {
    if (typeof node === "string") {
      if (!isBlank(node)) throw new Undeclared(`${where} holds text outside a value`);
      continue;
    }
    const declaration = byName.get(node.name);
    if (declaration === undefined) throw new Undeclared(`${where} may not contain ${node.name}`);
    const read = found[node.name]!;
    if (read.length >= (declaration.max ?? 1)) throw new Undeclared(`${where} has more than ${declaration.max ?? 1} ${node.name}`);
    read.push(readElement(node, declaration));
  }
  for (const declaration of declarations) {
    if (found[declaration.name]!.length < (declaration.min ?? 1)) throw new Undeclared(`${where} needs ${declaration.name}`);
  }
  return Object.freeze({ ...found });
}

/**
 * Reads `nodes` (a Body's content) against `declaration`, or says why it does not fit. Refusal reasons name
 * elements and attributes only, never values.
 */
export function readMessageContent(nodes: ReadonlyArray<XmlNode | string>, declaration: ContentDeclaration): ContentReading {
  try {
    return { ok: true, content: readContent(nodes, declaration, "the message") };
  } catch (error) {
    if (error instanceof Undeclared) return { ok: false, reason: error.message };
    throw error;
  }
}

/** The one element `name` of content read under a declaration that has it exactly once (min = max = 1). */
export function onlyElement(content: DeclaredContent, name: string): DeclaredElement {
  const found = Object.hasOwn(content, name) ? content[name]! : [];
  if (found.length !== 1) throw new Error(`onlyElement: ${name} is not declared exactly once`);
  return found[0]!;
}

/** The element `name` of content read under a declaration that has it at most once (max = 1), if present. */
export function optionalElement(content: DeclaredContent, name: string): DeclaredElement | undefined {
  const found = Object.hasOwn(content, name) ? content[name]! : [];
  if (found.length > 1) throw new Error(`optionalElement: ${name} is declared more than once`);
  return found[0];
}
