import type { XmlNode } from "@obol/xml";

/**
 * A strict reader of business content (XmlNode data from @obol/xml's readNodes). Every message of the
 * bank channel has exactly one shape: children in a fixed order, each with a cardinality, no unknown
 * element, no attribute unless named, no stray text. Anything else is ERR_BANK_MESSAGE_MALFORMED, so
 * a parser never guesses what a sender meant.
 */
export class BankMessageError extends Error {
  readonly code = "ERR_BANK_MESSAGE_MALFORMED";
  constructor(message: string) {
    super(message);
    this.name = "BankMessageError";
  }
}

export function isBankMessageError(value: unknown): value is BankMessageError {
  return value instanceof BankMessageError;
}

export function malformed(message: string): never {
  throw new BankMessageError(message);
}

/** "1" exactly one, "?" at most one, "*" any number up to the limit given in the spec. */
export type Cardinality = "1" | "?" | "*";
export type Shape = ReadonlyArray<readonly [name: string, cardinality: Cardinality, max?: number]>;

/** The element children of `nodes`; text between elements is refused (our builders never write any). */
export function elementsOf(nodes: ReadonlyArray<XmlNode | string> | undefined, where: string): XmlNode[] {
  const out: XmlNode[] = [];
  for (const node of nodes ?? []) {
    if (typeof node === "string") malformed(`${where}: text where elements were expected`);
    out.push(node);
  }
  return out;
}

/** The one root element of a Body or Confidential part, named `name`. */
export function root(nodes: ReadonlyArray<XmlNode | string>, name: string): XmlNode {
  const elements = elementsOf(nodes, "message");
  if (elements.length !== 1 || elements[0]!.name !== name) malformed(`expected exactly one <${name}>`);
  return elements[0]!;
}

/**
 * Checks `node`'s children against `shape` (order and cardinality) and returns them by name. `attributes`
 * lists the attribute names the element may carry; any other is refused.
 */
export function fields(node: XmlNode, shape: Shape, attributes: readonly string[] = []): Record<string, XmlNode[]> {
  checkAttributes(node, attributes);
  const children = elementsOf(node.children, node.name);
  const out: Record<string, XmlNode[]> = {};
  let index = 0;
  for (const [name, cardinality, max] of shape) {
    const found: XmlNode[] = [];
    while (index < children.length && children[index]!.name === name) found.push(children[index++]!);
    if (cardinality === "1" && found.length !== 1) malformed(`<${node.name}> needs exactly one <${name}>`);
    if (cardinality === "?" && found.length > 1) malformed(`<${node.name}> has more than one <${name}>`);
    if (cardinality === "*" && found.length > (max ?? 0)) malformed(`<${node.name}> has more than ${max ?? 0} <${name}>`);
    out[name] = found;
  }
  if (index < children.length) malformed(`<${node.name}> has an unexpected <${children[index]!.name}>`);
  return out;
}

function checkAttributes(node: XmlNode, allowed: readonly string[]): void {
  for (const name of Object.keys(node.attributes ?? {})) {
    if (!allowed.includes(name)) malformed(`<${node.name}> must not carry the attribute ${name}`);
  }
}

/** The text of a leaf element, which must match `pattern` (anchored) and carry no attribute. */
export function text(node: XmlNode, pattern: RegExp, attributes: readonly string[] = []): string {
  checkAttributes(node, attributes);
  const children = node.children ?? [];
  const value = children.length === 0 ? "" : children.length === 1 && typeof children[0] === "string" ? children[0] : malformed(`<${node.name}> must hold text only`);
  if (!pattern.test(value)) malformed(`<${node.name}> has an invalid value`);
  return value;
}

/** The one child `name` of a field map, as text. */
export function one(found: Record<string, XmlNode[]>, name: string, pattern: RegExp): string {
  const node = found[name]?.[0];
  if (node === undefined) malformed(`missing <${name}>`);
  return text(node, pattern);
}

/** The optional child `name` of a field map, as text. */
export function optional(found: Record<string, XmlNode[]>, name: string, pattern: RegExp): string | undefined {
  const node = found[name]?.[0];
  return node === undefined ? undefined : text(node, pattern);
}

export function child(found: Record<string, XmlNode[]>, name: string): XmlNode {
  const node = found[name]?.[0];
  if (node === undefined) malformed(`missing <${name}>`);
  return node;
}

export function leaf(name: string, value: string, attributes?: Record<string, string>): XmlNode {
  return { name, ...(attributes === undefined ? {} : { attributes }), children: value === "" ? [] : [value] };
}

export function node(name: string, children: ReadonlyArray<XmlNode | undefined>): XmlNode {
  return { name, children: children.filter((c): c is XmlNode => c !== undefined) };
}
