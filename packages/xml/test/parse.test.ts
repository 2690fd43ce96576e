import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  attributeCharsMax,
  attributesPerElementMax,
  depthMax,
  documentBytesMax,
  elementsMax,
  namespaceDeclarationsMax,
  namespaceUriCharsMax,
  parseXml,
  XmlError,
} from "../src/index.js";
import type { XmlErrorCode } from "../src/index.js";

function codeOf(run: () => unknown): XmlErrorCode | "no error" {
  try {
    run();
    return "no error";
  } catch (error) {
    assert.ok(error instanceof XmlError, `expected an XmlError, got ${String(error)}`);
    return error.code;
  }
}

function nested(depth: number): string {
  return "<a>".repeat(depth) + "</a>".repeat(depth);
}

describe("parseXml: accepts the strict subset", () => {
  it("parses namespaces, CDATA, character and predefined references", () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<m:Message xmlns:m="urn:obol:msg:1" xmlns="urn:default" Id="m-1">' +
      "<Amount Currency='KES'>1250</Amount><Note><![CDATA[a <b> & c]]>&#x263A;&#65;&lt;&amp;&quot;&apos;&gt;</Note>" +
      "</m:Message>\n";
    const parsed = parseXml(xml, { expectedRoot: { namespaceUri: "urn:obol:msg:1", localName: "Message" } });
    assert.equal(parsed.root.localName, "Message");
    assert.equal(parsed.root.getAttribute("Id"), "m-1");
    const note = parsed.root.getElementsByTagNameNS("urn:default", "Note")[0];
    assert.equal(note?.textContent, "a <b> & c\u263AA<&\"'>");
    assert.equal(parsed.source, xml);
  });

  it("removes a UTF-8 BOM from strings and bytes, and returns the text it parsed", () => {
    assert.equal(parseXml("\uFEFF<a/>").source, "<a/>");
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...Buffer.from("<a>é</a>")]);
    const parsed = parseXml(bytes);
    assert.equal(parsed.source, "<a>é</a>");
    assert.equal(parsed.root.textContent, "é");
  });

  it("accepts comments only when allowed", () => {
    assert.equal(codeOf(() => parseXml("<a><!-- x --></a>")), "ERR_XML_FORBIDDEN_CONSTRUCT");
    assert.equal(codeOf(() => parseXml("<!-- x --><a/>")), "ERR_XML_FORBIDDEN_CONSTRUCT");
    assert.equal(codeOf(() => parseXml("<a/><!-- x -->")), "ERR_XML_FORBIDDEN_CONSTRUCT");
    assert.equal(parseXml("<!-- x --><a><!-- y --></a>", { allowComments: true }).root.localName, "a");
    assert.equal(codeOf(() => parseXml("<a><!-- x -- y --></a>", { allowComments: true })), "ERR_XML_MALFORMED");
    assert.equal(codeOf(() => parseXml("<a><!-- x ---></a>", { allowComments: true })), "ERR_XML_MALFORMED");
  });

  it("checks the document element's namespace and local name", () => {
    const expectedRoot = { namespaceUri: "urn:obol:msg:1", localName: "Message" };
    assert.equal(codeOf(() => parseXml('<Message xmlns="urn:obol:msg:2"/>', { expectedRoot })), "ERR_XML_MALFORMED");
    assert.equal(codeOf(() => parseXml("<Message/>", { expectedRoot })), "ERR_XML_MALFORMED");
    assert.equal(codeOf(() => parseXml('<Receipt xmlns="urn:obol:msg:1"/>', { expectedRoot })), "ERR_XML_MALFORMED");
    assert.equal(codeOf(() => parseXml('<p:Message xmlns:p="urn:obol:msg:1"/>', { expectedRoot })), "no error");
  });
});

describe("parseXml: refuses malformed XML that xmldom alone would 'recover'", () => {
  const cases: Array<[string, string]> = [
    ["mismatched end tag", "<a></b></a>"],
    ["unclosed element", "<a><b></a>"],
    ["document ends inside an element", "<a>"],
    ["two document elements", "<a/><b/>"],
    ["text before the document element", "text<a/>"],
    ["text after the document element", "<a/>text"],
    ["no document element", "   "],
    ["empty input", ""],
    ["repeated attribute", "<a x='1' x='2'/>"],
    ["same expanded attribute under two prefixes", "<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>"],
    ["unquoted attribute", "<a x=1/>"],
    ["attribute without value", "<a x/>"],
    ["attributes not separated", "<a x='1'y='2'/>"],
    ["'<' in an attribute value", "<a b='<'/>"],
    ["raw '&'", "<a>& b</a>"],
    ["'&' without ';'", "<a>&amp</a>"],
    ["character reference to NUL", "<a>&#0;</a>"],
    ["character reference to a surrogate", "<a>&#xD800;</a>"],
    ["character reference out of range", "<a>&#x110000;</a>"],
    ["uppercase X in a hex reference", "<a>&#X41;</a>"],
    ["']]>' in text", "<a>]]></a>"],
    ["unterminated CDATA", "<a><![CDATA[x</a>"],
    ["undeclared element prefix", "<p:a/>"],
    ["undeclared attribute prefix", "<a p:x='1'/>"],
    ["undeclaring a prefix", "<a xmlns:p=''/>"],
    ["rebinding the xml prefix", "<a xmlns:xml='urn:x'/>"],
    ["declaring xmlns", "<a xmlns:xmlns='urn:x'/>"],
    ["binding the XML namespace to another prefix", "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>"],
    ["invalid name", "<1a/>"],
    ["two colons", "<a:b:c xmlns:a='u'/>"],
    ["NUL character", "<a\u0000/>"],
    ["control character", "<a>\u0001</a>"],
    ["U+FFFE", "<a>\uFFFE</a>"],
    ["lone surrogate", "<a>\uD800</a>"],
    ["XML declaration of version 1.1", "<?xml version='1.1'?><a/>"],
    ["XML declaration with another encoding", "<?xml version='1.0' encoding='ISO-8859-1'?><a/>"],
    ["end tag with trailing junk", "<a></a b>"],
    ["unterminated start tag", "<a x='1'"],
  ];
  for (const [name, xml] of cases) {
    it(name, () => assert.equal(codeOf(() => parseXml(xml)), "ERR_XML_MALFORMED"));
  }

  it("invalid UTF-8 bytes", () => {
    assert.equal(codeOf(() => parseXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xc3, 0x28, 0x3c, 0x2f, 0x61, 0x3e]))), "ERR_XML_MALFORMED");
  });
});

describe("parseXml: refuses forbidden constructs", () => {
  const cases: Array<[string, string]> = [
    ["DOCTYPE", '<!DOCTYPE a SYSTEM "a.dtd"><a/>'],
    ["lowercase doctype", "<!doctype a><a/>"],
    ["DOCTYPE with internal subset", "<!DOCTYPE a [<!ELEMENT a ANY>]><a/>"],
    ["DOCTYPE inside content", "<a><!DOCTYPE a></a>"],
    ["ENTITY declaration inside content", '<a><!ENTITY x "y"></a>'],
    ["undeclared entity reference", "<a>&xxe;</a>"],
    ["entity reference in an attribute", "<a x='&xxe;'/>"],
    ["long entity name", "<a>&averyveryverylongentityname;</a>"],
    ["processing instruction in content", "<a><?php echo 1; ?></a>"],
    ["processing instruction before the root", "<?xml-stylesheet href='x'?><a/>"],
    ["processing instruction after the root", "<a/><?pi?>"],
    ["XML declaration not at offset 0", " <?xml version='1.0'?><a/>"],
    ["comment", "<a>+2547<!---->00123456</a>"],
    ["raw U+2028", "<a>\u2028</a>"],
    ["raw U+0085", "<a>\u0085</a>"],
  ];
  for (const [name, xml] of cases) {
    it(name, () => assert.equal(codeOf(() => parseXml(xml)), "ERR_XML_FORBIDDEN_CONSTRUCT"));
  }

  it("accepts U+2028 written as a character reference", () => {
    assert.equal(parseXml("<a>&#x2028;</a>").root.textContent, "\u2028");
  });

  it("DOCTYPE text inside a CDATA section is data, not markup", () => {
    assert.equal(parseXml("<a><![CDATA[<!DOCTYPE x>]]></a>").root.textContent, "<!DOCTYPE x>");
  });
});

describe("parseXml: limits", () => {
  it(`documentBytesMax = ${documentBytesMax} bytes, counted in UTF-8`, () => {
    const filler = (n: number) => `<a>${"x".repeat(n - 7)}</a>`;
    assert.equal(codeOf(() => parseXml(filler(documentBytesMax))), "no error");
    assert.equal(codeOf(() => parseXml(filler(documentBytesMax + 1))), "ERR_XML_LIMIT");
    assert.equal(codeOf(() => parseXml(Buffer.from(filler(documentBytesMax + 1)))), "ERR_XML_LIMIT");
    // 40,000 two-byte characters: 40,007 UTF-16 units, but 80,007 UTF-8 bytes.
    assert.equal(codeOf(() => parseXml(`<a>${"é".repeat(40_000)}</a>`)), "ERR_XML_LIMIT");
  });

  it(`depthMax = ${depthMax}`, () => {
    assert.equal(codeOf(() => parseXml(nested(depthMax))), "no error");
    assert.equal(codeOf(() => parseXml(nested(depthMax + 1))), "ERR_XML_LIMIT");
  });

  it(`elementsMax = ${elementsMax}`, () => {
    assert.equal(codeOf(() => parseXml(`<r>${"<e/>".repeat(elementsMax - 1)}</r>`)), "no error");
    assert.equal(codeOf(() => parseXml(`<r>${"<e/>".repeat(elementsMax)}</r>`)), "ERR_XML_LIMIT");
  });

  it(`attributeCharsMax = ${attributeCharsMax}`, () => {
    assert.equal(codeOf(() => parseXml(`<a x="${"v".repeat(attributeCharsMax)}"/>`)), "no error");
    assert.equal(codeOf(() => parseXml(`<a x="${"v".repeat(attributeCharsMax + 1)}"/>`)), "ERR_XML_LIMIT");
  });

  it(`attributesPerElementMax = ${attributesPerElementMax}`, () => {
    const attributes = (n: number) => Array.from({ length: n }, (_, i) => ` a${i}="1"`).join("");
    assert.equal(codeOf(() => parseXml(`<a${attributes(attributesPerElementMax)}/>`)), "no error");
    assert.equal(codeOf(() => parseXml(`<a${attributes(attributesPerElementMax + 1)}/>`)), "ERR_XML_LIMIT");
    // Namespace declarations count too.
    const declarations = Array.from({ length: attributesPerElementMax + 1 }, (_, i) => ` xmlns:p${i}="u${i}"`).join("");
    assert.equal(codeOf(() => parseXml(`<a${declarations}/>`)), "ERR_XML_LIMIT");
  });

  it(`namespaceDeclarationsMax = ${namespaceDeclarationsMax} per document, namespaceUriCharsMax = ${namespaceUriCharsMax}`, () => {
    const declarations = (n: number) =>
      Array.from({ length: n }, (_, i) => `<e${i} xmlns:p="urn:${i}"/>`).join("");
    assert.equal(codeOf(() => parseXml(`<r>${declarations(namespaceDeclarationsMax)}</r>`)), "no error");
    assert.equal(codeOf(() => parseXml(`<r>${declarations(namespaceDeclarationsMax + 1)}</r>`)), "ERR_XML_LIMIT");
    const uri = (n: number) => `<r xmlns="urn:${"x".repeat(n - 4)}"/>`;
    assert.equal(codeOf(() => parseXml(uri(namespaceUriCharsMax))), "no error");
    assert.equal(codeOf(() => parseXml(uri(namespaceUriCharsMax + 1))), "ERR_XML_LIMIT");
  });

  it("takes lower limits from the caller", () => {
    assert.equal(codeOf(() => parseXml(nested(3), { limits: { depthMax: 2 } })), "ERR_XML_LIMIT");
    assert.equal(codeOf(() => parseXml("<a><b/><c/></a>", { limits: { elementsMax: 2 } })), "ERR_XML_LIMIT");
    assert.equal(codeOf(() => parseXml("<a>xxxxxx</a>", { limits: { documentBytesMax: 10 } })), "ERR_XML_LIMIT");
  });
});
