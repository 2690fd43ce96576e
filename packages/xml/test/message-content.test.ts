import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { onlyElement, optionalElement, readMessageContent, type ContentDeclaration, type XmlNode } from "../src/index.js";

// The strict reader of a message type's declared content (issue 10): one meaning or a refusal.

const transfer: ContentDeclaration = [{
  name: "Transfer", attributes: ["IdempotencyKey"],
  content: [{ name: "To", content: "text" }, { name: "Amount", attributes: ["Currency"], content: "text" }, { name: "Note", content: "text", min: 0 }],
}];

const to = (msisdn: string): XmlNode => ({ name: "To", children: [msisdn] });
const amount = (children: ReadonlyArray<XmlNode | string>, attributes: Record<string, string> = { Currency: "KES" }): XmlNode => ({ name: "Amount", attributes, children });
const body = (children: ReadonlyArray<XmlNode | string>, attributes: Record<string, string> = { IdempotencyKey: "key-12345678" }): XmlNode[] => [{ name: "Transfer", attributes, children }];

const refused = (nodes: ReadonlyArray<XmlNode | string>, declaration: ContentDeclaration = transfer): string => {
  const read = readMessageContent(nodes, declaration);
  assert.equal(read.ok, false, `accepted: ${JSON.stringify(nodes)}`);
  return read.ok ? "" : read.reason;
};

describe("readMessageContent", () => {
  it("reads exactly the declared content: attributes, whole text values, optional elements absent", () => {
    const read = readMessageContent(["\n  ", ...body(["\n", to("+254700000001"), " ", amount(["1250"]), "\n"]), "\n"], transfer);
    assert.ok(read.ok);
    const t = read.content.Transfer![0]!;
    assert.deepEqual(t.attributes, { IdempotencyKey: "key-12345678" });
    assert.equal(t.children.To![0]!.text, "+254700000001");
    assert.equal(t.children.Amount![0]!.text, "1250");
    assert.deepEqual(t.children.Amount![0]!.attributes, { Currency: "KES" });
    assert.deepEqual(t.children.Note, []);
  });

  it("a value's text is returned whole and unchanged (no trimming, no first-node pick)", () => {
    const read = readMessageContent(body([to(" +254700000001 "), amount([""])]), transfer);
    assert.ok(read.ok);
    assert.equal(read.content.Transfer![0]!.children.To![0]!.text, " +254700000001 ");
    assert.equal(read.content.Transfer![0]!.children.Amount![0]!.text, "");
  });

  it("refuses every ambiguous or undeclared shape", () => {
    const cases: Array<[string, Array<XmlNode | string>]> = [
      ["two Amount", body([to("+254700000001"), amount(["1250"]), amount(["999999"])])],
      ["two To", body([to("+254700000001"), to("+254700000002"), amount(["1250"])])],
      ["mixed content 1250<Sep/>00", body([to("+254700000001"), amount(["1250", { name: "Sep" }, "00"])])],
      ["an element inside a value", body([to("+254700000001"), amount([{ name: "Value", children: ["1250"] }])])],
      ["an unknown element", body([to("+254700000001"), amount(["1250"]), { name: "Fee", children: ["0"] }])],
      ["a missing required element", body([amount(["1250"])])],
      ["a missing required attribute", body([to("+254700000001"), amount(["1250"], {})])],
      ["an undeclared attribute", body([to("+254700000001"), amount(["1250"], { Currency: "KES", Scale: "2" })])],
      ["an undeclared attribute on the root", body([to("+254700000001"), amount(["1250"])], { IdempotencyKey: "key-12345678", Kind: "x" })],
      ["text outside a value", body([to("+254700000001"), "1", amount(["250"])])],
      ["two Transfer", [...body([to("+254700000001"), amount(["1"])]), ...body([to("+254700000002"), amount(["2"])])]],
      ["text beside the root", ["oops", ...body([to("+254700000001"), amount(["1"])])]],
      ["no root", []],
      ["another root", [{ name: "Payment" }]],
      ["content in a declared-empty element", [{ name: "BalanceQuery", children: ["x"] }]],
    ];
    for (const [what, nodes] of cases) {
      const declaration: ContentDeclaration = what.startsWith("content in") ? [{ name: "BalanceQuery", min: 0 }] : transfer;
      assert.equal(readMessageContent(nodes, declaration).ok, false, what);
    }
  });

  it("reasons name elements and attributes, never values", () => {
    assert.match(refused(body([to("+254700000001"), amount(["1250"]), amount(["999999"])])), /more than 1 Amount/);
    assert.doesNotMatch(refused(body([to("+254700000001"), amount(["1250", { name: "Sep" }, "00"])])), /1250/);
  });

  it("cardinality: min 0, and a maximum", () => {
    const items: ContentDeclaration = [{ name: "Purchase", content: [{ name: "Item", attributes: ["ProductId"], min: 1, max: 3 }] }];
    const purchase = (n: number): XmlNode[] => [{ name: "Purchase", children: Array.from({ length: n }, (_, i) => ({ name: "Item", attributes: { ProductId: String(i) } })) }];
    assert.equal(readMessageContent(purchase(0), items).ok, false);
    assert.deepEqual(readMessageContent(purchase(3), items), { ok: true, content: { Purchase: [{ attributes: {}, text: "", children: { Item: [0, 1, 2].map((i) => ({ attributes: { ProductId: String(i) }, text: "", children: {} })) } }] } });
    assert.equal(readMessageContent(purchase(4), items).ok, false);
    assert.equal(readMessageContent([], [{ name: "BalanceQuery", min: 0 }]).ok, true);
  });

  it("names like __proto__ or constructor are plain names", () => {
    assert.equal(readMessageContent([{ name: "__proto__" }], transfer).ok, false);
    assert.equal(readMessageContent([{ name: "constructor" }], [{ name: "BalanceQuery", min: 0 }]).ok, false);
    assert.equal(readMessageContent(body([to("+254700000001"), amount(["1"], { Currency: "KES", toString: "x" })]), transfer).ok, false);
  });

  it("onlyElement and optionalElement read what the declaration guarantees, and fail loudly otherwise", () => {
    const read = readMessageContent(body([to("+254700000001"), amount(["1"])]), transfer);
    assert.ok(read.ok);
    const t = onlyElement(read.content, "Transfer");
    assert.equal(onlyElement(t.children, "To").text, "+254700000001");
    assert.equal(optionalElement(t.children, "Note"), undefined);
    assert.throws(() => onlyElement(t.children, "Note"), /not declared exactly once/);
    assert.throws(() => onlyElement(t.children, "toString"), /not declared exactly once/);
  });

  // Property: whatever the values, a message read back gives exactly those values; the same message with any
  // once-only declared element duplicated (with any other value) is refused.
  const text = fc.string({ maxLength: 12 });
  const valid = fc.record({ key: text, to: text, amount: text, currency: text, note: fc.option(text, { nil: undefined }) });
  const build = (v: { key: string; to: string; amount: string; currency: string; note: string | undefined }): XmlNode[] =>
    body([to(v.to), amount([v.amount], { Currency: v.currency }), ...(v.note === undefined ? [] : [{ name: "Note", children: [v.note] }])], { IdempotencyKey: v.key });

  it("property: a valid message reads back its exact values", () => {
    fc.assert(fc.property(valid, (v) => {
      const read = readMessageContent(build(v), transfer);
      assert.ok(read.ok);
      const t = read.content.Transfer![0]!;
      assert.deepEqual([t.attributes.IdempotencyKey, t.children.To![0]!.text, t.children.Amount![0]!.text, t.children.Amount![0]!.attributes.Currency, t.children.Note![0]?.text],
        [v.key, v.to, v.amount, v.currency, v.note]);
    }));
  });

  it("property: duplicating any declared element is refused", () => {
    fc.assert(fc.property(valid, fc.nat(), text, fc.nat(), (v, which, other, where) => {
      const [root] = build(v);
      const children = [...root!.children!] as XmlNode[];
      const targets = [-1, ...children.keys()]; // -1: the Transfer itself
      const target = targets[which % targets.length]!;
      let nodes: XmlNode[];
      if (target === -1) {
        nodes = where % 2 === 0 ? [root!, root!] : [root!, { ...root!, attributes: { IdempotencyKey: other } }];
      } else {
        const copy: XmlNode = { ...children[target]!, children: [other] };
        const at = where % (children.length + 1);
        nodes = [{ ...root!, children: [...children.slice(0, at), copy, ...children.slice(at)] }];
      }
      assert.equal(readMessageContent(nodes, transfer).ok, false);
    }));
  });
});
