import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { parseXml, XmlError } from "../src/index.js";
import { fuzzParameters } from "./support/fuzz.js";
import { hostileInputMsMax, timed } from "./support/timing.js";

// Hostile input for parseXml (reliability-tests.md T22: 10,000 runs per property in CI): random and mutated
// text never makes it throw anything but XmlError and never takes more than 100 ms; generated well-formed
// documents round-trip exactly (the generator is the second, reference "parser").


async function assertOnlyXmlErrorFast(input: string | Uint8Array): Promise<void> {
  const { error, ms } = await timed(() => parseXml(input));
  if (error !== undefined && !(error instanceof XmlError)) {
    assert.fail(`parseXml threw ${String(error)} for ${JSON.stringify(String(input).slice(0, 200))}`);
  }
  assert.ok(ms <= hostileInputMsMax, `parseXml took ${ms.toFixed(1)} ms`);
}

const fragments = [
  "<a>", "</a>", "<b x='1'>", "</b>", "<p:c xmlns:p='urn:p'>", "</p:c>", "<d/>", "<!DOCTYPE a>", "<!DOCTYPE a [",
  "]>", "<!ENTITY x 'y'>", "<!ENTITY % p SYSTEM 'http://127.0.0.1:1/'>", "%p;", "&x;", "&amp;", "&#65;", "&#x0;",
  "&", "<![CDATA[", "]]>", "<!--", "-->", "<?pi x?>", "<?xml version='1.0'?>", "xmlns='urn:d'", "xmlns:q=''",
  " ", "\n", "\r\n", "text", "'", '"', "=", "<", ">", "/>", "\u2028", "\uFEFF", "\u0000", "\uD800", "é", "𝄞",
];

const xmlish = fc.array(fc.constantFrom(...fragments), { maxLength: 40 }).map((parts) => parts.join(""));

const seed =
  '<?xml version="1.0" encoding="UTF-8"?>\n<Message xmlns="urn:obol:msg:1" Id="m-1" Nonce="AAAAAAAAAAAAAAAAAAAAAA">' +
  '<Body><Payment><Amount Currency="KES">1250</Amount><Msisdn>+254700123456</Msisdn><Note><![CDATA[x]]>&amp;</Note>' +
  '</Payment></Body><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature></Message>';

const mutation = fc
  .array(
    fc.tuple(fc.nat({ max: seed.length }), fc.nat({ max: 3 }), fc.constantFrom(...fragments, "x", "")),
    { minLength: 1, maxLength: 6 },
  )
  .map((edits) => {
    let text = seed;
    for (const [at, removed, inserted] of edits) {
      const position = at % (text.length + 1);
      text = text.slice(0, position) + inserted + text.slice(position + removed);
    }
    return text;
  });

// A generated well-formed tree and its expected text content, serialized with the escaping XML 1.0 requires.
interface Tree {
  readonly name: string;
  readonly attributes: ReadonlyArray<readonly [string, string]>;
  readonly children: ReadonlyArray<Tree | string>;
}

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}$/);
const textChar = fc.oneof(
  fc.constantFrom("a", " ", "<", ">", "&", '"', "'", "\t", "\n", "é", "\u2028", "]", "𝄞"),
  fc.string({ minLength: 1, maxLength: 1 }),
);
const text = fc
  .array(textChar, { maxLength: 12 })
  .map((chars) => chars.join("").replace(/[^\t\n\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, ""));

const tree: fc.Arbitrary<Tree> = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.record({
    name,
    attributes: fc.uniqueArray(fc.tuple(name, text), { maxLength: 4, selector: ([key]) => key }),
    children: fc.array(fc.oneof({ depthSize: "small", withCrossShrink: true }, text, tie("tree")), { maxLength: 4 }),
  }),
})).tree;

function escapeText(value: string): string {
  return value.replace(/[&<>\r\u0085\u2028]/g, (c) => `&#${c.codePointAt(0)};`);
}

function escapeAttribute(value: string): string {
  return value.replace(/[&<"\t\n\r\u0085\u2028]/g, (c) => `&#${c.codePointAt(0)};`);
}

function serialize(node: Tree): string {
  const attributes = node.attributes.map(([key, value]) => ` ${key}="${escapeAttribute(value)}"`).join("");
  const children = node.children.map((child) => (typeof child === "string" ? escapeText(child) : serialize(child)));
  return `<${node.name}${attributes}>${children.join("")}</${node.name}>`;
}

function textContent(node: Tree): string {
  return node.children.map((child) => (typeof child === "string" ? child : textContent(child))).join("");
}

function sameTree(element: Element, node: Tree): boolean {
  if (element.localName !== node.name || element.attributes.length !== node.attributes.length) return false;
  for (const [key, value] of node.attributes) if (element.getAttribute(key) !== value) return false;
  const expected = node.children.filter((child): child is Tree => typeof child !== "string");
  const actual: Element[] = [];
  for (let child = element.firstChild; child !== null; child = child.nextSibling) {
    if (child.nodeType === 1) actual.push(child as Element);
  }
  return actual.length === expected.length && actual.every((child, i) => sameTree(child, expected[i] as Tree));
}

describe("parseXml under hostile input (fast-check)", () => {
  it(`random strings: only XmlError, each within ${hostileInputMsMax} ms`, async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: "binary", maxLength: 200 }), assertOnlyXmlErrorFast), fuzzParameters);
  });

  it("random bytes (invalid UTF-8 included)", async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), assertOnlyXmlErrorFast), fuzzParameters);
  });

  it("XML-like token soup", async () => {
    await fc.assert(fc.asyncProperty(xmlish, assertOnlyXmlErrorFast), fuzzParameters);
  });

  it("mutations of a message-shaped document", async () => {
    await fc.assert(fc.asyncProperty(mutation, assertOnlyXmlErrorFast), fuzzParameters);
  });

  it("generated well-formed documents parse to the same tree and text", () => {
    fc.assert(
      fc.property(tree, (node) => {
        const parsed = parseXml(serialize(node));
        assert.ok(sameTree(parsed.root, node));
        assert.equal(parsed.root.textContent, textContent(node));
      }),
      fuzzParameters,
    );
  });
});
