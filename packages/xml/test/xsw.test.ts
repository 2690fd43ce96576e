import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { buildMessage, MemoryReplayGuard, openMessage, parseXml, signEnveloped, verifySignature, XmlError } from "../src/index.js";
import type { XmlErrorCode } from "../src/index.js";
import { identity } from "./support/identities.js";
import {
  DSIG,
  ECDSA_SHA256,
  ENVELOPED,
  EXC_C14N,
  HMAC_SHA1,
  INCLUSIVE_C14N,
  MSG,
  RSA_SHA256,
  SHA1,
  elementChildren,
  first,
  forgedRoot,
  load,
  pieces,
  rawSign,
  save,
  xmlCryptoAlone,
} from "./support/xsw.js";

// Signature wrapping (XSW) and friends. From ONE validly signed message, each test builds one attack; every
// attack is refused, the untouched message is accepted, and the business layer only ever sees the signed
// amount (1250), never the forged one (999999). Where it matters, a control shows the attack is real:
// xml-crypto's checkSignature() alone accepts the document (ecosystem-notes §1 pitfall 1).

const device = identity("ec", "device");
const attacker = identity("ec", "attacker");
const legacy = identity("rsa", "legacy-device");

interface Read {
  readonly amount: string;
  readonly msisdn: string;
  readonly root: Element;
}

/** One signed message and the receiving path that reads it. */
interface Target {
  readonly label: string;
  readonly signed: string;
  readonly rootId: string;
  readonly read: (xml: string, trustedKey?: KeyObject, allowRsaSha256?: boolean) => Promise<Read>;
}

function readAmounts(root: Element): Read {
  return {
    amount: first(root, MSG, "Amount").textContent ?? "",
    msisdn: first(root, MSG, "Msisdn").textContent ?? "",
    root,
  };
}

/** Path 1, the signature layer: hardened parse, verification with the TRUSTED device key, verified node. */
const signatureLayer: Target = await (async () => {
  const message =
    `<Message xmlns="${MSG}" Id="m-7f3a9c" Type="payment.request">` +
    '<Body><Payment><Amount Currency="KES">1250</Amount><Payee>MER-556677</Payee>' +
    "<Msisdn>+254700123456</Msisdn></Payment></Body></Message>";
  return {
    label: "verifySignature",
    signed: await signEnveloped(message, { privateKey: device.privateKey, certificates: [device.certificate] }),
    rootId: "m-7f3a9c",
    read: async (xml, trustedKey = device.publicKey, allowRsaSha256 = false) => {
      const parsed = parseXml(xml, { expectedRoot: { namespaceUri: MSG, localName: "Message" } });
      return readAmounts((await verifySignature(parsed, { trustedKey, allowRsaSha256 })).root);
    },
  };
})();

/** Path 2, the whole envelope: openMessage (fresh replay state per read, `now` = the message's time). */
const envelope: Target = await (async () => {
  const now = new Date("2026-11-21T10:15:30.123Z");
  const built = await buildMessage({
    type: "payment.request",
    body: [
      {
        name: "Payment",
        children: [
          { name: "Amount", attributes: { Currency: "KES" }, children: ["1250"] },
          { name: "Payee", children: ["MER-556677"] },
          { name: "Msisdn", children: ["+254700123456"] },
        ],
      },
    ],
    signer: { privateKey: device.privateKey, certificates: [device.certificate] },
    now,
    random: (n) => new Uint8Array(randomBytes(n)),
  });
  return {
    label: "openMessage",
    signed: built.xml,
    rootId: `m-${built.messageId}`,
    read: async (xml, trustedKey = device.publicKey, allowRsaSha256 = false) => {
      const opened = await openMessage(xml, {
        trustedKeyFor: () => trustedKey,
        now,
        replay: new MemoryReplayGuard({ now: () => now.getTime() }),
        allowRsaSha256,
      });
      return readAmounts(opened.body);
    },
  };
})();

function dsig(doc: Document, name: string): Element {
  return doc.createElementNS(DSIG, `ds:${name}`);
}

function attackSuite(target: Target): void {
  const unsignedXml = save(pieces(target.signed).unsigned);

  async function refused(xml: string, code: XmlErrorCode, trustedKey?: KeyObject): Promise<XmlError> {
    try {
      const got = await target.read(xml, trustedKey);
      assert.fail(`accepted, amount ${got.amount}`);
    } catch (error) {
      if (!(error instanceof XmlError)) throw error;
      assert.equal(error.code, code, error.message);
      return error;
    }
  }

  describe(`XSW suite (${target.label}): the untouched message`, () => {
    it("is accepted and yields the signed amount from the verified node only", async () => {
      const got = await target.read(target.signed);
      assert.equal(got.amount, "1250");
      assert.equal(got.msisdn, "+254700123456");
      assert.equal(got.root.getElementsByTagNameNS(DSIG, "Signature").length, 0, "the verified node is the canonical form");
      assert.notEqual(got.root.ownerDocument, parseXml(target.signed).document);
    });

    it("an unused extra namespace declaration on the root changes nothing", async () => {
      const doc = load(target.signed);
      doc.documentElement?.setAttribute("xmlns:unused", "urn:unused");
      assert.equal((await target.read(save(doc))).amount, "1250");
    });
    it("KeyInfo swapped to the attacker's certificate (KeyInfo is not signed: still verified with the trusted key)", async () => {
      const doc = load(target.signed);
      first(doc, DSIG, "X509Certificate").textContent = attacker.certificate.raw.toString("base64");
      const got = await target.read(save(doc));
      assert.equal(got.amount, "1250", "still verified with the trusted key, whatever KeyInfo says");
    });

  });

  describe(`XSW suite (${target.label}): attacks on one signed message, each refused`, () => {
    it("XSW1: forged root (Id=evil, 999999), original moved into ds:Object inside the Signature", async () => {
      const { doc, forged } = forgedRoot(target.signed, "999999");
      const signature = pieces(target.signed).signature.cloneNode(true) as Element;
      const object = dsig(doc, "Object");
      object.appendChild(pieces(target.signed).unsigned.cloneNode(true));
      signature.appendChild(object);
      forged.appendChild(signature);
      const xml = save(forged);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      assert.equal(first(load(xml), MSG, "Amount").textContent, "999999", "control: a naive reader sees the forgery");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW2: forged root, original placed as a sibling just before the Signature", async () => {
      const { doc, forged } = forgedRoot(target.signed, "999999");
      forged.appendChild(doc.importNode(pieces(target.signed).unsigned, true));
      forged.appendChild(pieces(target.signed).signature.cloneNode(true));
      const xml = save(forged);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW3: forged root, original hidden in a child element (Body/Extension)", async () => {
      const { doc, forged } = forgedRoot(target.signed, "999999");
      const extension = doc.createElementNS(MSG, "Extension");
      extension.appendChild(pieces(target.signed).unsigned.cloneNode(true));
      first(forged, MSG, "Body").appendChild(extension);
      forged.appendChild(pieces(target.signed).signature.cloneNode(true));
      const xml = save(forged);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW4: forged root wraps the whole signed original (signature stays inside it)", async () => {
      const { doc, forged } = forgedRoot(target.signed, "999999");
      forged.appendChild(doc.importNode(load(target.signed).documentElement as Element, true));
      const xml = save(forged);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW5: forged root keeps the original Id, original moved into ds:Object (duplicate Id)", async () => {
      const { doc, forged } = forgedRoot(target.signed, "999999", target.rootId);
      const signature = pieces(target.signed).signature.cloneNode(true) as Element;
      const object = dsig(doc, "Object");
      object.appendChild(pieces(target.signed).unsigned.cloneNode(true));
      signature.appendChild(object);
      forged.appendChild(signature);
      await refused(save(forged), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW6: forged content appended after the Signature (the Signature is no longer last)", async () => {
      const doc = load(target.signed);
      const extra = doc.createElementNS(MSG, "Body");
      extra.appendChild(doc.createElementNS(MSG, "Amount")).appendChild(doc.createTextNode("999999"));
      doc.documentElement?.appendChild(extra);
      await refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW7: Signature moved into the Body (enveloped transform still removes it: xml-crypto accepts)", async () => {
      const doc = load(target.signed);
      const signature = first(doc, DSIG, "Signature");
      signature.parentNode?.removeChild(signature);
      first(doc, MSG, "Body").appendChild(signature);
      const xml = save(doc);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("XSW8: Signature moved to be the first child of the document element", async () => {
      const doc = load(target.signed);
      const root = doc.documentElement as Element;
      const signature = first(doc, DSIG, "Signature");
      root.removeChild(signature);
      root.insertBefore(signature, root.firstChild);
      const xml = save(doc);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("a valid signature whose Reference points at a non-root element (Payment) does not cover the rest", async () => {
      const withPaymentId = unsignedXml.replace("<Payment>", '<Payment Id="p-1">');
      const partial = rawSign(withPaymentId, { key: device.privateKey, references: ["//*[local-name(.)='Payment']"] });
      const doc = load(partial);
      doc.documentElement?.setAttribute("Type", "payment.refund"); // outside the signed Payment
      const xml = save(doc);
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("a comment injected into a signed text node (+2547<!---->00123456)", async () => {
      const xml = target.signed.replace("+254700123456", "+2547<!---->00123456");
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: the signature still verifies");
      assert.equal(first(load(xml), MSG, "Msisdn").firstChild?.nodeValue, "+2547", "control: comment truncation");
      await refused(xml, "ERR_XML_FORBIDDEN_CONSTRUCT");
    });

    it("a second Signature (a copy inside the Body)", async () => {
      const doc = load(target.signed);
      first(doc, MSG, "Body").appendChild(first(doc, DSIG, "Signature").cloneNode(true));
      await refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("a second Signature at the end of the document element", async () => {
      const doc = load(target.signed);
      doc.documentElement?.appendChild(first(doc, DSIG, "Signature").cloneNode(true));
      await refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("two References, both validly signed by the trusted key", async () => {
      const withPaymentId = unsignedXml.replace("<Payment>", '<Payment Id="p-1">');
      const xml = rawSign(withPaymentId, {
        key: device.privateKey,
        references: ["/*", "//*[local-name(.)='Payment']"],
      });
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: a valid signature");
      await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("two SignedInfo elements (CVE-2025-29774 class)", async () => {
      const doc = load(target.signed);
      const signedInfo = first(doc, DSIG, "SignedInfo");
      signedInfo.parentNode?.insertBefore(signedInfo.cloneNode(true), signedInfo);
      await refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("a duplicate Id (an element inside the Body reuses the root's Id)", async () => {
      const doc = load(target.signed);
      first(doc, MSG, "Payment").setAttribute("Id", target.rootId);
      await refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("an alternative ID attribute: forged root Id=evil with ID=<original id>", async () => {
      const { forged } = forgedRoot(target.signed, "999999");
      forged.setAttribute("ID", target.rootId);
      forged.appendChild(pieces(target.signed).signature.cloneNode(true));
      await refused(save(forged), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("an alternative ID attribute: lowercase id, and wsu:Id, on the signed original", async () => {
      const lower = load(target.signed);
      first(lower, MSG, "Payment").setAttribute("id", "p-1");
      await refused(save(lower), "ERR_XML_SIGNATURE_STRUCTURE");
      const wsu = load(target.signed);
      const wsuNs = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
      first(wsu, MSG, "Payment").setAttributeNS(wsuNs, "wsu:Id", target.rootId);
      await refused(save(wsu), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("a namespace-prefix redefinition: ds bound to another namespace, a fake ds:Signature last", async () => {
      const { doc, forged } = forgedRoot(target.signed, "999999");
      forged.setAttribute("xmlns:ds", "urn:not-dsig");
      first(forged, MSG, "Body").appendChild(doc.importNode(load(target.signed).documentElement as Element, true));
      const fake = doc.createElementNS("urn:not-dsig", "ds:Signature");
      fake.appendChild(doc.createElementNS("urn:not-dsig", "ds:SignatureValue"));
      forged.appendChild(fake);
      const xml = save(forged);
      assert.match(xml, /<ds:Signature[^>]*><ds:SignatureValue\/><\/ds:Signature><\/Message>$/, "a prefix-based check sees ds:Signature last");
      assert.match((await refused(xml, "ERR_XML_SIGNATURE_STRUCTURE")).message, /direct child/);
    });

    it("a namespace-prefix rewrite of the signed content (m: prefix for the message namespace)", async () => {
      const doc = load(target.signed);
      const root = doc.documentElement as Element;
      const rewritten = doc.createElementNS(MSG, "m:Message");
      for (const name of ["Id", "Type"]) rewritten.setAttribute(name, root.getAttribute(name) ?? "");
      for (const child of elementChildren(root)) rewritten.appendChild(child.cloneNode(true));
      await refused(save(rewritten), "ERR_XML_SIGNATURE_INVALID");
    });

    it("KeyInfo swapped to the attacker's certificate, forgery signed with the attacker's key", async () => {
      const forged = save(forgedRoot(target.signed, "999999", target.rootId).forged);
      const xml = await signEnveloped(forged, { privateKey: attacker.privateKey, certificates: [attacker.certificate] });
      assert.equal(
        xmlCryptoAlone(xml, device.publicKey, true),
        true,
        "control: trusting KeyInfo (xml-crypto 4.x default, issue #403) accepts it",
      );
      await refused(xml, "ERR_XML_SIGNATURE_INVALID");
    });

    it("an unknown SignatureMethod algorithm", async () => {
      await refused(target.signed.replace(ECDSA_SHA256, "urn:obol:unknown-signature"), "ERR_XML_ALGORITHM");
    });

    it("an HMAC SignatureMethod keyed with the device's public key (key confusion)", async () => {
      const publicPem = device.publicKey.export({ format: "pem", type: "spki" }).toString();
      const xml = rawSign(unsignedXml, { key: publicPem, signatureAlgorithm: HMAC_SHA1 });
      await refused(xml, "ERR_XML_ALGORITHM");
    });

    it("a non-exclusive CanonicalizationMethod (inclusive c14n), validly signed", async () => {
      const xml = rawSign(unsignedXml, { key: device.privateKey, canonicalizationAlgorithm: INCLUSIVE_C14N });
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: a valid signature");
      await refused(xml, "ERR_XML_ALGORITHM");
    });

    it("an inclusive c14n Transform, and an enveloped-only Transforms list, validly signed", async () => {
      const inclusive = rawSign(unsignedXml, { key: device.privateKey, transforms: [ENVELOPED, INCLUSIVE_C14N] });
      await refused(inclusive, "ERR_XML_ALGORITHM");
      const envelopedOnly = rawSign(unsignedXml, { key: device.privateKey, transforms: [ENVELOPED] });
      await refused(envelopedOnly, "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("an XPath Transform", async () => {
      const xml = target.signed.replace(
        `<ds:Transform Algorithm="${EXC_C14N}"/>`,
        '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>1</ds:XPath></ds:Transform>',
      );
      await refused(xml, "ERR_XML_ALGORITHM");
    });

    it("a SHA-1 DigestMethod, validly signed", async () => {
      const xml = rawSign(unsignedXml, { key: device.privateKey, digestAlgorithm: SHA1 });
      assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: a valid signature");
      await refused(xml, "ERR_XML_ALGORITHM");
    });

    it("RSA-SHA256 from a trusted RSA key when RSA is not allowed", async () => {
      const xml = rawSign(unsignedXml, { key: legacy.privateKey, signatureAlgorithm: RSA_SHA256 });
      await refused(xml, "ERR_XML_ALGORITHM", legacy.publicKey);
      assert.equal((await target.read(xml, legacy.publicKey, true)).amount, "1250", "accepted when the caller allows legacy RSA");
    });

    it("a trusted key of the wrong type for the signature algorithm", async () => {
      await refused(target.signed, "ERR_XML_ALGORITHM", legacy.publicKey);
    });

    it("an empty Reference URI (whole document)", async () => {
      await refused(target.signed.replace(`URI="#${target.rootId}"`, 'URI=""'), "ERR_XML_SIGNATURE_STRUCTURE");
    });

    it("the signed amount changed", async () => {
      await refused(target.signed.replace(">1250<", ">999999<"), "ERR_XML_SIGNATURE_INVALID");
    });

    it("a DER-encoded ECDSA SignatureValue (XML-DSig wants r || s)", async () => {
      const doc = load(target.signed);
      const value = first(doc, DSIG, "SignatureValue");
      const raw = Buffer.from(value.textContent ?? "", "base64");
      const der = (n: Buffer) => {
        let bytes = n;
        while (bytes.length > 1 && bytes[0] === 0 && (bytes[1] as number) < 0x80) bytes = bytes.subarray(1);
        if ((bytes[0] as number) >= 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
        return Buffer.concat([Buffer.from([2, bytes.length]), bytes]);
      };
      const body = Buffer.concat([der(raw.subarray(0, 32)), der(raw.subarray(32))]);
      value.textContent = Buffer.concat([Buffer.from([0x30, body.length]), body]).toString("base64");
      await refused(save(doc), "ERR_XML_SIGNATURE_INVALID");
    });

    it("the signature removed", async () => {
      const doc = load(target.signed);
      const signature = first(doc, DSIG, "Signature");
      signature.parentNode?.removeChild(signature);
      await refused(save(doc), "ERR_XML_SIGNATURE_MISSING");
    });
  });
}

attackSuite(signatureLayer);
attackSuite(envelope);
