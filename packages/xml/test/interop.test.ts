import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import {
  buildMessage,
  decryptXml,
  encryptXml,
  MemoryReplayGuard,
  openMessage,
  readNodes,
  signReceipt,
  verifyReceipt,
  XmlError,
} from "../src/index.js";
import type { OpenMessageOptions, SignerHint } from "../src/index.js";
import { identity, issuedBy } from "./support/identities.js";
import type { Identity } from "./support/identities.js";
import { Workdir, xmlsec1 } from "./support/xmlsec.js";
import { MSG, pieces, save } from "./support/xsw.js";

// Interop with the real Debian xmlsec1 1.2.37 (libxml2 + OpenSSL): it verifies what we sign and decrypts
// what we encrypt; we verify what it signs and decrypt what it encrypts. Keys and self-signed certificates
// (and one small CA) come from openssl.

const work = new Workdir();
after(() => work.remove());

const random = (n: number) => new Uint8Array(randomBytes(n));
const device = identity("ec", "device");
const legacy = identity("rsa", "legacy-device");
const platformEc = identity("ec", "platform-ec");
const platformRsa = identity("rsa", "platform");
const messageTime = new Date("2026-11-21T10:15:30.123Z");
const idAttr = ["--id-attr:Id", "urn:obol:msg:1:Message"];

const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const XENC = "http://www.w3.org/2001/04/xmlenc#";
const ECDSA = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const RSA = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const EXC = "http://www.w3.org/2001/10/xml-exc-c14n#";
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

function pem(name: string, who: Identity): { key: string; cert: string } {
  return { key: work.file(`${name}.key.pem`, who.keyPem), cert: work.file(`${name}.cert.pem`, who.certificatePem) };
}

function succeeded(run: { status: number | null; stderr: string }): void {
  assert.equal(run.status, 0, `xmlsec1 failed: ${run.stderr}`);
}

async function receipt(platform: Identity): Promise<string> {
  return await signReceipt(
    {
      transactionId: "tx-0001",
      status: "completed",
      amountMinor: "125000",
      currency: "KES",
      payer: "+254700123456",
      payee: "MER-556677",
      completedAt: new Date(),
    },
    { platformKey: platform.privateKey, platformCertificate: platform.certificate, now: new Date(), random },
  );
}

/** An ds:Signature template for xmlsec1 --sign, placed last in the Message (our one accepted shape). */
function signatureTemplate(rootId: string, method: string, digest = SHA256, c14n = EXC): string {
  return (
    `<ds:Signature xmlns:ds="${DSIG}"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="${c14n}"/><ds:SignatureMethod Algorithm="${method}"/>` +
    `<ds:Reference URI="#${rootId}"><ds:Transforms>` +
    `<ds:Transform Algorithm="${DSIG}enveloped-signature"/><ds:Transform Algorithm="${c14n}"/>` +
    `</ds:Transforms><ds:DigestMethod Algorithm="${digest}"/><ds:DigestValue/></ds:Reference>` +
    "</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
  );
}

/** Our unsigned message (built, then its signature removed) with an xmlsec1 signature template. */
async function template(withConfidential: boolean, method: string, digest?: string, c14n?: string): Promise<string> {
  const built = await buildMessage({
    type: "payment.confirm",
    body: [{ name: "Payment", children: [{ name: "Amount", attributes: { Currency: "KES" }, children: ["1250"] }] }],
    ...(withConfidential
      ? { confidential: { content: [{ name: "Pin", children: ["1234"] }], to: { certificate: platformRsa.certificate } } }
      : {}),
    signer: { privateKey: withConfidential || method === ECDSA ? device.privateKey : legacy.privateKey, allowRsaSha256: true },
    now: messageTime,
    random,
  });
  const unsigned = save(pieces(built.xml).unsigned);
  return unsigned.replace(/<\/Message>$/, `${signatureTemplate(`m-${built.messageId}`, method, digest, c14n)}</Message>`);
}

/** A receiver that trusts exactly the certificates it knows, by fingerprint; KeyInfo is only the hint. */
function receiver(known: Identity[], allowRsaSha256 = false): OpenMessageOptions {
  return {
    trustedKeyFor: (hint: SignerHint) =>
      known.find((who) => hint.certificates[0] !== undefined && who.certificate.raw.equals(hint.certificates[0]))?.certificate,
    now: messageTime,
    replay: new MemoryReplayGuard({ now: () => messageTime.getTime() }),
    decryptionKeys: { privateKey: platformRsa.privateKey },
    allowRsaSha256,
  };
}

describe("xmlsec1 verifies what we sign (receipts)", () => {
  for (const [name, platform] of [["ECDSA-SHA256", platformEc], ["RSA-SHA256", platformRsa]] as const) {
    it(`${name}: xmlsec1 --verify --pubkey-cert-pem platform.pem --id-attr:Id urn:obol:msg:1:Message`, async () => {
      const files = pem(`platform-${name}`, platform);
      const xml = await receipt(platform);
      succeeded(xmlsec1(["--verify", "--pubkey-cert-pem", files.cert, ...idAttr, work.file(`receipt-${name}.xml`, xml)]));
      const tampered = work.file(`receipt-${name}-tampered.xml`, xml.replace(">125000<", ">925000<"));
      assert.notEqual(xmlsec1(["--verify", "--pubkey-cert-pem", files.cert, ...idAttr, tampered]).status, 0);
    });
  }

  it("with the trusted CA: xmlsec1 --verify --trusted-pem ca.pem (platform certificate from KeyInfo)", async () => {
    const ca = identity("ec", "obol-test-ca");
    const platform = issuedBy(ca, "ec", "platform-issued");
    const xml = await receipt(platform);
    assert.equal((await verifyReceipt(xml, platform.certificate)).amountMinor, "125000");
    const file = work.file("receipt-ca.xml", xml);
    succeeded(xmlsec1(["--verify", "--trusted-pem", work.file("ca.pem", ca.certificatePem), ...idAttr, file]));
    const otherCa = identity("ec", "other-ca");
    assert.notEqual(xmlsec1(["--verify", "--trusted-pem", work.file("other-ca.pem", otherCa.certificatePem), ...idAttr, file]).status, 0);
  });
});

describe("xmlsec1 decrypts what we encrypt", () => {
  it("a message from buildMessage: AES-256-GCM + RSA-OAEP (mgf1p) to the platform certificate", async () => {
    const files = pem("platform-rsa", platformRsa);
    const built = await buildMessage({
      type: "payment.confirm",
      body: [{ name: "Amount", children: ["1250"] }],
      confidential: { content: [{ name: "Pin", children: ["1234"] }], to: { certificate: platformRsa.certificate } },
      signer: { privateKey: device.privateKey },
      now: messageTime,
      random,
    });
    const run = xmlsec1(["--decrypt", "--privkey-pem", files.key, "--output", work.path("dec.xml"), work.file("enc.xml", built.xml)], work.path("dec.xml"));
    succeeded(run);
    assert.match(run.output ?? "", new RegExp(`<Confidential xmlns="${MSG}" MessageId="${built.messageId}" Signer="[^"]+" Salt="[^"]+"><Pin>1234</Pin></Confidential>`));
  });

  it("a named session key (ds:KeyName): xmlsec1 --decrypt --aeskey:<name> key.bin", async () => {
    const key = random(32);
    const xml = await encryptXml(
      `<Message xmlns="${MSG}" Id="m-1"><Confidential><Pin>1234</Pin></Confidential></Message>`,
      { namespaceUri: MSG, localName: "Confidential" },
      { type: "content", keyTransport: { kind: "session-key", name: "sess-42", key }, random },
    );
    const run = xmlsec1(["--decrypt", "--aeskey:sess-42", work.file("session.bin", key), work.file("enc-session.xml", xml)]);
    succeeded(run);
    assert.ok(run.stdout.includes("<Pin xmlns=\"urn:obol:msg:1\">1234</Pin>") || run.stdout.includes("<Pin>1234</Pin>"), run.stdout);
  });

  it("AES-128-GCM content encryption", async () => {
    const files = pem("platform-rsa", platformRsa);
    const xml = await encryptXml(
      `<Message xmlns="${MSG}" Id="m-1"><Confidential><Pin>1234</Pin></Confidential></Message>`,
      { namespaceUri: MSG, localName: "Confidential" },
      { type: "element", algorithm: "aes128-gcm", keyTransport: { kind: "rsa-oaep", recipient: platformRsa.certificate }, random },
    );
    assert.ok(xml.includes("xmlenc11#aes128-gcm"));
    const run = xmlsec1(["--decrypt", "--privkey-pem", files.key, work.file("enc-128.xml", xml)]);
    succeeded(run);
    assert.ok(run.stdout.includes("<Pin>1234</Pin>"), run.stdout);
  });
});

describe("we verify what xmlsec1 signs", () => {
  it("ECDSA-SHA256: xmlsec1 --sign --privkey-pem key.pem,cert.pem → openMessage", async () => {
    const files = pem("device", device);
    const out = work.path("signed-ec.xml");
    succeeded(xmlsec1(["--sign", "--privkey-pem", `${files.key},${files.cert}`, ...idAttr, "--output", out, work.file("tmpl-ec.xml", await template(false, ECDSA))]));
    const opened = await openMessage(readOut(out), receiver([device]));
    assert.deepEqual(readNodes(opened.body), [{ name: "Payment", children: [{ name: "Amount", attributes: { Currency: "KES" }, children: ["1250"] }] }]);
    assert.equal(opened.signer.algorithm, "ecdsa-sha256");
  });

  it("RSA-SHA256 from a legacy device (allowed explicitly)", async () => {
    const files = pem("legacy", legacy);
    const out = work.path("signed-rsa.xml");
    succeeded(xmlsec1(["--sign", "--privkey-pem", `${files.key},${files.cert}`, ...idAttr, "--output", out, work.file("tmpl-rsa.xml", await template(false, RSA))]));
    await assert.rejects(openMessage(readOut(out), receiver([legacy])), (e: unknown) => e instanceof XmlError && e.code === "ERR_XML_ALGORITHM");
    assert.equal((await openMessage(readOut(out), receiver([legacy], true))).signer.algorithm, "rsa-sha256");
  });

  it("a message we encrypted and sealed, signed by xmlsec1: openMessage verifies, decrypts and checks the seal", async () => {
    const files = pem("device", device);
    const out = work.path("signed-enc.xml");
    succeeded(xmlsec1(["--sign", "--privkey-pem", `${files.key},${files.cert}`, ...idAttr, "--output", out, work.file("tmpl-enc.xml", await template(true, ECDSA))]));
    const opened = await openMessage(readOut(out), receiver([device]));
    assert.deepEqual(readNodes(opened.confidential as Element), [{ name: "Pin", children: ["1234"] }]);
  });

  it("xmlsec1 signs happily outside our policy (SHA-1 digest, inclusive c14n); we refuse", async () => {
    const files = pem("device", device);
    const cases: Array<[string, string, string]> = [
      ["sha1", "http://www.w3.org/2000/09/xmldsig#sha1", EXC],
      ["c14n", SHA256, "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"],
    ];
    for (const [name, digest, c14n] of cases) {
      const out = work.path(`signed-${name}.xml`);
      succeeded(xmlsec1(["--sign", "--privkey-pem", `${files.key},${files.cert}`, ...idAttr, "--output", out, work.file(`tmpl-${name}.xml`, await template(false, ECDSA, digest, c14n))]));
      succeeded(xmlsec1(["--verify", "--pubkey-cert-pem", files.cert, ...idAttr, out]));
      await assert.rejects(openMessage(readOut(out), receiver([device])), (e: unknown) => e instanceof XmlError && e.code === "ERR_XML_ALGORITHM");
    }
  });
});

describe("we decrypt what xmlsec1 encrypts", () => {
  const data = `<?xml version="1.0" encoding="UTF-8"?>\n<Message xmlns="${MSG}" Id="m-1"><Body><Amount>1250</Amount></Body><Confidential><Pin>1234</Pin></Confidential></Message>\n`;

  function encryptionTemplate(algorithm: string): string {
    return (
      `<xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}Element"><xenc:EncryptionMethod Algorithm="${algorithm}"/>` +
      `<ds:KeyInfo xmlns:ds="${DSIG}"><xenc:EncryptedKey><xenc:EncryptionMethod Algorithm="${XENC}rsa-oaep-mgf1p"/>` +
      "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey></ds:KeyInfo>" +
      "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"
    );
  }

  function xmlsecEncrypt(name: string, algorithm: string, sessionKey: string): string {
    const files = pem("platform-rsa", platformRsa);
    const out = work.path(`xenc-${name}.xml`);
    succeeded(
      xmlsec1([
        "--encrypt", "--pubkey-cert-pem", files.cert, "--session-key", sessionKey,
        "--xml-data", work.file(`data-${name}.xml`, data), "--node-name", `${MSG}:Confidential`,
        "--output", out, work.file(`tmpl-xenc-${name}.xml`, encryptionTemplate(algorithm)),
      ]),
    );
    return readOut(out);
  }

  for (const [name, algorithm, sessionKey] of [
    ["aes256-gcm", "http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256"],
    ["aes128-gcm", "http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"],
  ] as const) {
    it(`${name} template, RSA-OAEP (mgf1p) key transport: decryptXml`, async () => {
      const encrypted = xmlsecEncrypt(name, algorithm, sessionKey);
      assert.ok(encrypted.includes(algorithm) && !encrypted.includes("1234"));
      const decrypted = await decryptXml(encrypted, { privateKey: platformRsa.privateKey });
      assert.equal(decrypted.root.getElementsByTagNameNS(MSG, "Pin")[0]?.textContent, "1234");
    });
  }

  it("an AES-256-CBC EncryptedData made by xmlsec1 is refused (ERR_XML_ALGORITHM)", async () => {
    const encrypted = xmlsecEncrypt("aes256-cbc", `${XENC}aes256-cbc`, "aes-256");
    await assert.rejects(
      async () => await decryptXml(encrypted, { privateKey: platformRsa.privateKey }),
      (e: unknown) => e instanceof XmlError && e.code === "ERR_XML_ALGORITHM",
    );
  });
});

function readOut(path: string): string {
  return readFileSync(path, "utf8");
}
