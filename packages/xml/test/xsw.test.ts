import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KeyObject } from "node:crypto";
import { parseXml, signEnveloped, verifySignature, XmlError } from "../src/index.js";
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

const message =
  `<Message xmlns="${MSG}" Id="m-7f3a9c" Type="payment.request">` +
  "<Body><Payment><Amount Currency=\"KES\">1250</Amount><Payee>MER-556677</Payee>" +
  "<Msisdn>+254700123456</Msisdn></Payment></Body></Message>";

const signed = signEnveloped(message, { privateKey: device.privateKey, certificates: [device.certificate] });
const unsignedXml = save(pieces(signed).unsigned);

interface Read {
  readonly amount: string;
  readonly msisdn: string;
  readonly root: Element;
}

/** The whole receiving path: hardened parse, verification with the TRUSTED device key, read verified node. */
function read(xml: string, trustedKey: KeyObject = device.publicKey, allowRsaSha256 = false): Read {
  const parsed = parseXml(xml, { expectedRoot: { namespaceUri: MSG, localName: "Message" } });
  const verified = verifySignature(parsed, { trustedKey, allowRsaSha256 });
  return {
    amount: first(verified.root, MSG, "Amount").textContent ?? "",
    msisdn: first(verified.root, MSG, "Msisdn").textContent ?? "",
    root: verified.root,
  };
}

function refused(xml: string, code: XmlErrorCode, trustedKey?: KeyObject): XmlError {
  try {
    const got = read(xml, trustedKey);
    assert.fail(`accepted, amount ${got.amount}`);
  } catch (error) {
    if (!(error instanceof XmlError)) throw error;
    assert.equal(error.code, code, error.message);
    return error;
  }
}

function dsig(doc: Document, name: string): Element {
  return doc.createElementNS(DSIG, `ds:${name}`);
}

describe("XSW suite: the untouched message", () => {
  it("is accepted and yields the signed amount from the verified node only", () => {
    const got = read(signed);
    assert.equal(got.amount, "1250");
    assert.equal(got.msisdn, "+254700123456");
    assert.equal(got.root.getElementsByTagNameNS(DSIG, "Signature").length, 0, "the verified node is the canonical form");
    assert.notEqual(got.root.ownerDocument, parseXml(signed).document);
  });

  it("xmlsec-style whitespace and an unused extra declaration on the root change nothing", () => {
    const doc = load(signed);
    doc.documentElement?.setAttribute("xmlns:unused", "urn:unused");
    assert.equal(read(save(doc)).amount, "1250");
  });
});

describe("XSW suite: attacks on one signed message, each refused", () => {
  it("XSW1: forged root (Id=evil, 999999), original moved into ds:Object inside the Signature", () => {
    const { doc, forged } = forgedRoot(signed, "999999");
    const signature = pieces(signed).signature.cloneNode(true) as Element;
    const object = dsig(doc, "Object");
    object.appendChild(pieces(signed).unsigned.cloneNode(true));
    signature.appendChild(object);
    forged.appendChild(signature);
    const xml = save(forged);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    assert.equal(first(load(xml), MSG, "Amount").textContent, "999999", "control: a naive reader sees the forgery");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW2: forged root, original placed as a sibling just before the Signature", () => {
    const { doc, forged } = forgedRoot(signed, "999999");
    forged.appendChild(doc.importNode(pieces(signed).unsigned, true));
    forged.appendChild(pieces(signed).signature.cloneNode(true));
    const xml = save(forged);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW3: forged root, original hidden in a child element (Body/Extension)", () => {
    const { doc, forged } = forgedRoot(signed, "999999");
    const extension = doc.createElementNS(MSG, "Extension");
    extension.appendChild(pieces(signed).unsigned.cloneNode(true));
    first(forged, MSG, "Body").appendChild(extension);
    forged.appendChild(pieces(signed).signature.cloneNode(true));
    const xml = save(forged);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW4: forged root wraps the whole signed original (signature stays inside it)", () => {
    const { doc, forged } = forgedRoot(signed, "999999");
    forged.appendChild(doc.importNode(load(signed).documentElement as Element, true));
    const xml = save(forged);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW5: forged root keeps the original Id, original moved into ds:Object (duplicate Id)", () => {
    const { doc, forged } = forgedRoot(signed, "999999", "m-7f3a9c");
    const signature = pieces(signed).signature.cloneNode(true) as Element;
    const object = dsig(doc, "Object");
    object.appendChild(pieces(signed).unsigned.cloneNode(true));
    signature.appendChild(object);
    forged.appendChild(signature);
    refused(save(forged), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW6: forged content appended after the Signature (the Signature is no longer last)", () => {
    const doc = load(signed);
    const extra = doc.createElementNS(MSG, "Body");
    extra.appendChild(doc.createElementNS(MSG, "Amount")).appendChild(doc.createTextNode("999999"));
    doc.documentElement?.appendChild(extra);
    refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW7: Signature moved into the Body (enveloped transform still removes it: xml-crypto accepts)", () => {
    const doc = load(signed);
    const signature = first(doc, DSIG, "Signature");
    signature.parentNode?.removeChild(signature);
    first(doc, MSG, "Body").appendChild(signature);
    const xml = save(doc);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("XSW8: Signature moved to be the first child of the document element", () => {
    const doc = load(signed);
    const root = doc.documentElement as Element;
    const signature = first(doc, DSIG, "Signature");
    root.removeChild(signature);
    root.insertBefore(signature, root.firstChild);
    const xml = save(doc);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("a valid signature whose Reference points at a non-root element (Payment) does not cover the rest", () => {
    const withPaymentId = unsignedXml.replace("<Payment>", '<Payment Id="p-1">');
    const partial = rawSign(withPaymentId, { key: device.privateKey, references: ["//*[local-name(.)='Payment']"] });
    const doc = load(partial);
    doc.documentElement?.setAttribute("Type", "payment.refund"); // outside the signed Payment
    const xml = save(doc);
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: xml-crypto alone accepts it");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("a comment injected into a signed text node (+2547<!---->00123456)", () => {
    const xml = signed.replace("+254700123456", "+2547<!---->00123456");
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: the signature still verifies");
    assert.equal(first(load(xml), MSG, "Msisdn").firstChild?.nodeValue, "+2547", "control: comment truncation");
    refused(xml, "ERR_XML_FORBIDDEN_CONSTRUCT");
  });

  it("a second Signature (a copy inside the Body)", () => {
    const doc = load(signed);
    first(doc, MSG, "Body").appendChild(first(doc, DSIG, "Signature").cloneNode(true));
    refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("a second Signature at the end of the document element", () => {
    const doc = load(signed);
    doc.documentElement?.appendChild(first(doc, DSIG, "Signature").cloneNode(true));
    refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("two References, both validly signed by the trusted key", () => {
    const withPaymentId = unsignedXml.replace("<Payment>", '<Payment Id="p-1">');
    const xml = rawSign(withPaymentId, {
      key: device.privateKey,
      references: ["/*", "//*[local-name(.)='Payment']"],
    });
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: a valid signature");
    refused(xml, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("two SignedInfo elements (CVE-2025-29774 class)", () => {
    const doc = load(signed);
    const signedInfo = first(doc, DSIG, "SignedInfo");
    signedInfo.parentNode?.insertBefore(signedInfo.cloneNode(true), signedInfo);
    refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("a duplicate Id (an element inside the Body reuses the root's Id)", () => {
    const doc = load(signed);
    first(doc, MSG, "Payment").setAttribute("Id", "m-7f3a9c");
    refused(save(doc), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("an alternative ID attribute: forged root Id=evil with ID=<original id>", () => {
    const { forged } = forgedRoot(signed, "999999");
    forged.setAttribute("ID", "m-7f3a9c");
    forged.appendChild(pieces(signed).signature.cloneNode(true));
    refused(save(forged), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("an alternative ID attribute: lowercase id, and wsu:Id, on the signed original", () => {
    const lower = load(signed);
    first(lower, MSG, "Payment").setAttribute("id", "p-1");
    refused(save(lower), "ERR_XML_SIGNATURE_STRUCTURE");
    const wsu = load(signed);
    const wsuNs = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd";
    first(wsu, MSG, "Payment").setAttributeNS(wsuNs, "wsu:Id", "m-7f3a9c");
    refused(save(wsu), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("a namespace-prefix redefinition: ds bound to another namespace, a fake ds:Signature last", () => {
    const { doc, forged } = forgedRoot(signed, "999999");
    forged.setAttribute("xmlns:ds", "urn:not-dsig");
    first(forged, MSG, "Body").appendChild(doc.importNode(load(signed).documentElement as Element, true));
    const fake = doc.createElementNS("urn:not-dsig", "ds:Signature");
    fake.appendChild(doc.createElementNS("urn:not-dsig", "ds:SignatureValue"));
    forged.appendChild(fake);
    const xml = save(forged);
    assert.match(xml, /<ds:Signature[^>]*><ds:SignatureValue\/><\/ds:Signature><\/Message>$/, "a prefix-based check sees ds:Signature last");
    assert.match(refused(xml, "ERR_XML_SIGNATURE_STRUCTURE").message, /direct child/);
  });

  it("a namespace-prefix rewrite of the signed content (m: prefix for the message namespace)", () => {
    const doc = load(signed);
    const root = doc.documentElement as Element;
    const rewritten = doc.createElementNS(MSG, "m:Message");
    for (const name of ["Id", "Type"]) rewritten.setAttribute(name, root.getAttribute(name) ?? "");
    for (const child of elementChildren(root)) rewritten.appendChild(child.cloneNode(true));
    refused(save(rewritten), "ERR_XML_SIGNATURE_INVALID");
  });

  it("KeyInfo swapped to the attacker's certificate, forgery signed with the attacker's key", () => {
    const forged = save(forgedRoot(signed, "999999", "m-7f3a9c").forged);
    const xml = signEnveloped(forged, { privateKey: attacker.privateKey, certificates: [attacker.certificate] });
    assert.equal(
      xmlCryptoAlone(xml, device.publicKey, true),
      true,
      "control: trusting KeyInfo (xml-crypto 4.x default, issue #403) accepts it",
    );
    refused(xml, "ERR_XML_SIGNATURE_INVALID");
  });

  it("KeyInfo swapped to the attacker's certificate on the untouched message (KeyInfo is not signed)", () => {
    const doc = load(signed);
    first(doc, DSIG, "X509Certificate").textContent = attacker.certificate.raw.toString("base64");
    const got = read(save(doc));
    assert.equal(got.amount, "1250", "still verified with the trusted key, whatever KeyInfo says");
  });

  it("an unknown SignatureMethod algorithm", () => {
    refused(signed.replace(ECDSA_SHA256, "urn:obol:unknown-signature"), "ERR_XML_ALGORITHM");
  });

  it("an HMAC SignatureMethod keyed with the device's public key (key confusion)", () => {
    const publicPem = device.publicKey.export({ format: "pem", type: "spki" }).toString();
    const xml = rawSign(unsignedXml, { key: publicPem, signatureAlgorithm: HMAC_SHA1 });
    refused(xml, "ERR_XML_ALGORITHM");
  });

  it("a non-exclusive CanonicalizationMethod (inclusive c14n), validly signed", () => {
    const xml = rawSign(unsignedXml, { key: device.privateKey, canonicalizationAlgorithm: INCLUSIVE_C14N });
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: a valid signature");
    refused(xml, "ERR_XML_ALGORITHM");
  });

  it("an inclusive c14n Transform, and an enveloped-only Transforms list, validly signed", () => {
    const inclusive = rawSign(unsignedXml, { key: device.privateKey, transforms: [ENVELOPED, INCLUSIVE_C14N] });
    refused(inclusive, "ERR_XML_ALGORITHM");
    const envelopedOnly = rawSign(unsignedXml, { key: device.privateKey, transforms: [ENVELOPED] });
    refused(envelopedOnly, "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("an XPath Transform", () => {
    const xml = signed.replace(
      `<ds:Transform Algorithm="${EXC_C14N}"/>`,
      '<ds:Transform Algorithm="http://www.w3.org/TR/1999/REC-xpath-19991116"><ds:XPath>1</ds:XPath></ds:Transform>',
    );
    refused(xml, "ERR_XML_ALGORITHM");
  });

  it("a SHA-1 DigestMethod, validly signed", () => {
    const xml = rawSign(unsignedXml, { key: device.privateKey, digestAlgorithm: SHA1 });
    assert.equal(xmlCryptoAlone(xml, device.publicKey), true, "control: a valid signature");
    refused(xml, "ERR_XML_ALGORITHM");
  });

  it("RSA-SHA256 from a trusted RSA key when RSA is not allowed", () => {
    const xml = rawSign(unsignedXml, { key: legacy.privateKey, signatureAlgorithm: RSA_SHA256 });
    refused(xml, "ERR_XML_ALGORITHM", legacy.publicKey);
    assert.equal(read(xml, legacy.publicKey, true).amount, "1250", "accepted when the caller allows legacy RSA");
  });

  it("a trusted key of the wrong type for the signature algorithm", () => {
    refused(signed, "ERR_XML_ALGORITHM", legacy.publicKey);
  });

  it("an empty Reference URI (whole document)", () => {
    refused(signed.replace('URI="#m-7f3a9c"', 'URI=""'), "ERR_XML_SIGNATURE_STRUCTURE");
  });

  it("the signed amount changed", () => {
    refused(signed.replace(">1250<", ">999999<"), "ERR_XML_SIGNATURE_INVALID");
  });

  it("a DER-encoded ECDSA SignatureValue (XML-DSig wants r || s)", () => {
    const doc = load(signed);
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
    refused(save(doc), "ERR_XML_SIGNATURE_INVALID");
  });

  it("the signature removed", () => {
    const doc = load(signed);
    const signature = first(doc, DSIG, "Signature");
    signature.parentNode?.removeChild(signature);
    refused(save(doc), "ERR_XML_SIGNATURE_MISSING");
  });
});
