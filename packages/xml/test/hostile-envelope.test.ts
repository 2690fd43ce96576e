import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { buildMessage, decryptXml, MemoryReplayGuard, openMessage, signReceipt, verifyReceipt, XmlError } from "../src/index.js";
import { identity } from "./support/identities.js";
import { fuzzParameters } from "./support/fuzz.js";
import { hostileInputMsMax, timed } from "./support/timing.js";

// Hostile input for the envelope entry points (reliability-tests.md T22; runs and seed in support/fuzz.ts;
// OBOL_FUZZ_RUNS/OBOL_FUZZ_SEED for nightly runs): random text, and mutations of a real signed + encrypted
// message and of a real receipt. Whatever the input, openMessage, verifyReceipt and decryptXml throw nothing
// but XmlError and answer within 100 ms. About 6% of the message mutations get past parsing and structure
// into signature verification; decryptXml sees the mutated EncryptedData without a signature in front.


const device = identity("ec", "device");
const platform = identity("rsa", "platform");
const random = (n: number) => new Uint8Array(randomBytes(n));
const now = new Date();

const message = (await buildMessage({
  type: "payment.confirm",
  body: [{ name: "Payment", children: [{ name: "Amount", attributes: { Currency: "KES" }, children: ["1250"] }] }],
  confidential: { content: [{ name: "Pin", children: ["1234"] }], to: { certificate: platform.certificate } },
  signer: { privateKey: device.privateKey, keyName: "dev-7" },
  now,
  random,
})).xml;

const receipt = await signReceipt(
  {
    transactionId: "tx-1",
    status: "completed",
    amountMinor: "125000",
    currency: "KES",
    payer: "+254700123456",
    payee: "MER-1",
    completedAt: now,
  },
  { platformKey: platform.privateKey, platformCertificate: platform.certificate, now, random },
);

const open = async (xml: string | Uint8Array) =>
  await openMessage(xml, {
    trustedKeyFor: (hint) => (hint.keyName === "dev-7" ? device.publicKey : undefined),
    now,
    replay: new MemoryReplayGuard({ now: () => now.getTime() }),
    decryptionKeys: { privateKey: platform.privateKey },
  });

const insertions = [
  "", "x", "<", ">", "&", "&amp;", "&x;", "<!DOCTYPE a>", "<!---->", "<?pi?>", "<![CDATA[x]]>", '"', "'", "=",
  " Id=\"m-1\"", " ID=\"x\"", "<ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"/>", "</Body>", "<Body>",
  "xmlns=\"urn:x\"", "\u2028", "\u0000", "A", "/", "=",
];

/** Up to 4 edits of `seed`: delete 0–8 characters at a position and insert one of the fragments. */
function mutationsOf(seed: string): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.nat({ max: seed.length }), fc.nat({ max: 8 }), fc.constantFrom(...insertions)), { minLength: 1, maxLength: 4 })
    .map((edits) => {
      let text = seed;
      for (const [at, removed, inserted] of edits) {
        const position = at % (text.length + 1);
        text = text.slice(0, position) + inserted + text.slice(position + removed);
      }
      return text;
    });
}

async function onlyXmlErrorFast(run: () => unknown, input: string): Promise<void> {
  const { error, ms } = await timed(run);
  if (error !== undefined && !(error instanceof XmlError)) {
    assert.fail(`threw ${String(error)} for ${JSON.stringify(input.slice(0, 300))}`);
  }
  assert.ok(ms <= hostileInputMsMax, `took ${ms.toFixed(1)} ms`);
}

describe("envelope entry points under hostile input (fast-check)", () => {
  it("the untouched inputs are accepted (control)", async () => {
    assert.equal((await open(message)).type, "payment.confirm");
    assert.equal((await verifyReceipt(receipt, platform.certificate)).amountMinor, "125000");
  });

  it("openMessage: mutated signed + encrypted messages", async () => {
    await fc.assert(fc.asyncProperty(mutationsOf(message), (xml) => onlyXmlErrorFast(() => open(xml), xml)), fuzzParameters);
  });

  it("openMessage: random text", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: "binary", maxLength: 300 }), (xml) => onlyXmlErrorFast(() => open(xml), xml)), fuzzParameters);
  });

  it("verifyReceipt: mutated receipts", async () => {
    await fc.assert(
      fc.asyncProperty(mutationsOf(receipt), (xml) => onlyXmlErrorFast(async () => await verifyReceipt(xml, platform.certificate), xml)),
      fuzzParameters,
    );
  });

  it("decryptXml: mutated encrypted messages", async () => {
    await fc.assert(
      fc.asyncProperty(mutationsOf(message), (xml) => onlyXmlErrorFast(async () => await decryptXml(xml, { privateKey: platform.privateKey }), xml)),
      fuzzParameters,
    );
  });
});
