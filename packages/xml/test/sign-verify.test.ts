import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { inspectSignature, parseXml, signEnveloped, verifySignature, XmlError } from "../src/index.js";
import type { XmlErrorCode } from "../src/index.js";
import { identity } from "./support/identities.js";
import { DSIG, first, MSG } from "./support/xsw.js";

const device = identity("ec", "device");
const legacy = identity("rsa", "legacy-device");

const doc = `<Message xmlns="${MSG}" Id="m-1"><Body><Note>tab\there, cr&#13;, ls&#x2028;, é, 𝄞, &lt;&amp;&gt;</Note></Body></Message>`;

async function codeOf(run: () => unknown): Promise<XmlErrorCode | "no error"> {
  try {
    await run();
    return "no error";
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    return error.code;
  }
}

describe("signEnveloped", () => {
  it("signs with ECDSA-SHA256 by default and puts the Signature last, KeyName and certificate in KeyInfo", async () => {
    const signed = await signEnveloped(doc, { privateKey: device.privateKey, keyName: "obol:dev:7", certificates: [device.certificate] });
    const parsed = parseXml(signed);
    const info = inspectSignature(parsed.root);
    assert.equal(info.algorithm, "ecdsa-sha256");
    assert.equal(info.referenceId, "m-1");
    assert.equal(info.signerHint.keyName, "obol:dev:7");
    assert.deepEqual(Buffer.from(info.signerHint.certificates[0] ?? []), device.certificate.raw);
    assert.equal(parsed.root.lastChild, info.signature);
  });

  it("keeps every character of the text through signing, verification and the canonical re-parse", async () => {
    const signed = await signEnveloped(doc, { privateKey: device.privateKey });
    const verified = await verifySignature(parseXml(signed), { trustedKey: device.certificate });
    assert.equal(first(verified.root, MSG, "Note").textContent, "tab\there, cr\r, ls\u2028, é, 𝄞, <&>");
  });

  it("refuses RSA unless allowed, a document without Id or already signed, a certificate of another key", async () => {
    assert.equal(await codeOf(async () => await signEnveloped(doc, { privateKey: legacy.privateKey })), "ERR_XML_ALGORITHM");
    assert.equal(await codeOf(async () => await signEnveloped(doc, { privateKey: legacy.privateKey, allowRsaSha256: true })), "no error");
    assert.equal(await codeOf(async () => await signEnveloped(`<Message xmlns="${MSG}"/>`, { privateKey: device.privateKey })), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await signEnveloped(`<Message xmlns="${MSG}" Id="1x"/>`, { privateKey: device.privateKey })), "ERR_XML_MALFORMED");
    const signed = await signEnveloped(doc, { privateKey: device.privateKey });
    assert.equal(await codeOf(async () => await signEnveloped(signed, { privateKey: device.privateKey })), "ERR_XML_MALFORMED");
    assert.equal(
      await codeOf(async () => await signEnveloped(doc, { privateKey: device.privateKey, certificates: [legacy.certificate] })),
      "ERR_XML_SIGNATURE_INVALID",
    );
    assert.equal(await codeOf(async () => await signEnveloped(doc, { privateKey: device.privateKey, keyName: "bad\nname" })), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await signEnveloped(doc, { privateKey: device.publicKey })), "ERR_XML_ALGORITHM");
  });
});

describe("verifySignature", async () => {
  const signed = await signEnveloped(doc, { privateKey: device.privateKey, keyName: "obol:dev:7" });

  it("returns the canonical XML that was digested and the untrusted hint", async () => {
    const verified = await verifySignature(parseXml(signed), { trustedKey: device.publicKey });
    assert.equal(verified.algorithm, "ecdsa-sha256");
    assert.equal(verified.signerHint.keyName, "obol:dev:7");
    assert.ok(verified.canonicalXml.startsWith(`<Message xmlns="${MSG}" Id="m-1">`));
    assert.ok(!verified.canonicalXml.includes("Signature"));
  });

  it("accepts a trusted key given as public key, private key or certificate", async () => {
    for (const trustedKey of [device.publicKey, device.privateKey, device.certificate]) {
      assert.equal((await verifySignature(parseXml(signed), { trustedKey })).root.localName, "Message");
    }
  });

  it("refuses KeyInfo children other than KeyName and X509Data, and junk in X509Certificate", async () => {
    const withKeyValue = signed.replace("<ds:KeyName>", "<ds:KeyValue/><ds:KeyName>");
    assert.equal(await codeOf(async () => await verifySignature(parseXml(withKeyValue), { trustedKey: device.publicKey })), "ERR_XML_SIGNATURE_STRUCTURE");
    const junk = signed.replace("<ds:KeyName>obol:dev:7</ds:KeyName>", "<ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data>");
    assert.equal(await codeOf(async () => await verifySignature(parseXml(junk), { trustedKey: device.publicKey })), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("refuses non-canonical base64 in SignatureValue and DigestValue", async () => {
    const sig = parseXml(signed).root.getElementsByTagNameNS(DSIG, "SignatureValue")[0]?.textContent ?? "";
    const withJunk = signed.replace(sig, `${sig.slice(0, 10)}!${sig.slice(10)}`);
    assert.equal(await codeOf(async () => await verifySignature(parseXml(withJunk), { trustedKey: device.publicKey })), "ERR_XML_SIGNATURE_STRUCTURE");
    const wrapped = signed.replace(sig, `${sig.slice(0, 64)}\n${sig.slice(64)}`);
    assert.equal(await codeOf(async () => await verifySignature(parseXml(wrapped), { trustedKey: device.publicKey })), "no error");
  });
});
