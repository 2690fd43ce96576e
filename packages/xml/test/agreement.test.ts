// Key agreement (xmlenc-core1 §5.6): the EncryptedKey that delivers a named session key to a device by
// ECDH-ES over P-256, ConcatKDF-SHA256 and kw-aes256, named by xenc:CarriedKeyName.
import assert from "node:assert/strict";
import { createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { concatKdfSha256, exportP256Point, generateEcdhP256KeyPair, subtle } from "@obol/crypto/web";
import { agreementEncryptedKeyXml, decryptXml, encryptXml, parseXml, unwrapAgreementKey, XmlError } from "../src/index.js";
import type { EncryptOptions } from "../src/index.js";
import { Workdir, xmlsec1 } from "./support/xmlsec.js";

const MSG = "urn:obol:msg:1";
const XENC = "http://www.w3.org/2001/04/xmlenc#";
const doc = `<Message xmlns="${MSG}" Id="m-1"><Body/><Confidential><Pin>4321</Pin></Confidential></Message>`;
const confidential = { namespaceUri: MSG, localName: "Confidential" };
const random = (n: number) => new Uint8Array(randomBytes(n));
const kwAes256 = "http://www.w3.org/2001/04/xmlenc#kw-aes256";

async function extractableEcdhPair(): Promise<CryptoKeyPair> {
  return subtle().generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]) as Promise<CryptoKeyPair>;
}

async function delivered(device: CryptoKeyPair, key = random(32), name = "sk-test") {
  const point = await exportP256Point(device.publicKey);
  const options: EncryptOptions = {
    type: "element", random,
    keyTransport: { kind: "key-agreement", key, carriedKeyName: name, recipient: { point, partyUInfo: "obol-platform", partyVInfo: "dev-7" } },
  };
  return { xml: await encryptXml(doc, confidential, options), key };
}

function encryptedKeyOf(xml: string): Element {
  const element = parseXml(xml).root.getElementsByTagNameNS(XENC, "EncryptedKey")[0];
  assert.ok(element !== undefined);
  return element;
}

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return "no error";
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    return error.code;
  }
}

describe("key agreement: ECDH-ES + ConcatKDF + kw-aes256 with CarriedKeyName", () => {
  it("the device recovers the key and its name, and decrypts the content under it", async () => {
    const device = await generateEcdhP256KeyPair();
    const { xml, key } = await delivered(device);
    assert.match(xml, /<xenc:AgreementMethod Algorithm="http:\/\/www.w3.org\/2009\/xmlenc11#ECDH-ES">/);
    assert.match(xml, /<xenc:CarriedKeyName>sk-test<\/xenc:CarriedKeyName>/);
    const agreed = await unwrapAgreementKey(encryptedKeyOf(xml), device, true);
    assert.equal(agreed.name, "sk-test");
    assert.deepEqual(new Uint8Array(await subtle().exportKey("raw", agreed.key)), key);
    const decrypted = await decryptXml(xml, { agreementKey: device });
    assert.equal(decrypted.root.getElementsByTagNameNS(MSG, "Pin")[0]?.textContent, "4321");
  });

  it("a received key stays in WebCrypto unless asked for", async () => {
    const device = await generateEcdhP256KeyPair();
    const agreed = await unwrapAgreementKey(encryptedKeyOf((await delivered(device)).xml), device, false);
    assert.equal(agreed.key.extractable, false);
    await assert.rejects(subtle().exportKey("raw", agreed.key));
  });

  it("the KEK is ConcatKDF (SP 800-56A) of the ECDH secret: recomputed with node:crypto alone", async () => {
    const device = await extractableEcdhPair();
    const { xml } = await delivered(device);
    const encryptedKey = encryptedKeyOf(xml);
    const originator = encryptedKey.getElementsByTagNameNS("http://www.w3.org/2009/xmldsig11#", "PublicKey")[0]?.textContent ?? "";
    const pkcs8 = Buffer.from(await subtle().exportKey("pkcs8", device.privateKey));
    const point = Buffer.from(originator, "base64");
    const peer = { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") };
    const z = diffieHellman({ privateKey: createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }), publicKey: createPublicKey({ key: peer, format: "jwk" }) });
    const kek = createHash("sha256").update(Buffer.from([0, 0, 0, 1])).update(z).update(kwAes256).update("obol-platform").update("dev-7").digest();
    assert.deepEqual(new Uint8Array(kek), await concatKdfSha256(new Uint8Array(z), {
      algorithmId: new TextEncoder().encode(kwAes256), partyUInfo: new TextEncoder().encode("obol-platform"), partyVInfo: new TextEncoder().encode("dev-7"),
    }));

    // xmlsec1 1.2.37 has no ECDH-ES, but it has kw-aes256: handed this KEK by name, it unwraps our
    // EncryptedKey and decrypts the content (the RFC 3394 wrap and the AES-GCM part interoperate).
    const work = new Workdir();
    try {
      const forXmlsec = xml.replace(/<ds:KeyInfo><xenc:AgreementMethod[\s\S]*?<\/xenc:AgreementMethod><\/ds:KeyInfo>/, "<ds:KeyInfo><ds:KeyName>kek</ds:KeyName></ds:KeyInfo>");
      const run = xmlsec1(["--decrypt", "--aeskey:kek", work.file("kek.bin", kek), work.file("agreed.xml", forXmlsec)]);
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /<Pin>4321<\/Pin>/);
    } finally {
      work.remove();
    }
  });

  it("another device's key, a flipped wrap bit or an off-curve originator key fail as DECRYPT_FAILED", async () => {
    const device = await generateEcdhP256KeyPair();
    const { xml } = await delivered(device);
    assert.equal(await codeOf(async () => unwrapAgreementKey(encryptedKeyOf(xml), { privateKey: (await generateEcdhP256KeyPair()).privateKey, publicKey: device.publicKey }, false)), "ERR_XML_DECRYPT_FAILED");
    assert.equal(await codeOf(async () => unwrapAgreementKey(encryptedKeyOf(xml), await generateEcdhP256KeyPair(), false)), "ERR_XML_DECRYPT_FAILED");
    const wrapped = /<xenc:EncryptedKey[\s\S]*?<xenc:CipherValue>([^<]+)</.exec(xml)?.[1] ?? "";
    const flipped = Buffer.from(wrapped, "base64");
    flipped[5] = (flipped[5] as number) ^ 1;
    assert.equal(await codeOf(() => unwrapAgreementKey(encryptedKeyOf(xml.replace(wrapped, flipped.toString("base64"))), device, false)), "ERR_XML_DECRYPT_FAILED");
    const offCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 7)]).toString("base64");
    const originator = /<xenc:OriginatorKeyInfo>[\s\S]*?<dsig11:PublicKey>([^<]+)</.exec(xml)?.[1] ?? "";
    assert.equal(await codeOf(() => unwrapAgreementKey(encryptedKeyOf(xml.replace(originator, offCurve)), device, false)), "ERR_XML_DECRYPT_FAILED");
    assert.equal(await codeOf(() => decryptXml(xml, {})), "ERR_XML_DECRYPT_FAILED");
  });

  it("algorithms outside ECDH-ES / ConcatKDF-SHA256 / kw-aes256 / P-256 are refused", async () => {
    const device = await generateEcdhP256KeyPair();
    const { xml } = await delivered(device);
    const swaps: Array<[string, string]> = [
      ["xmlenc11#ECDH-ES", "xmlenc#dh"],
      ["xmlenc11#ConcatKDF", "xmlenc11#pbkdf2"],
      [`${kwAes256}"`, 'http://www.w3.org/2001/04/xmlenc#kw-aes128"'],
      ['ConcatKDFParams AlgorithmID="00', 'ConcatKDFParams AlgorithmID="0000'],
      ["xmlenc#sha256\"/></xenc11:ConcatKDFParams>", "xmldsig#sha1\"/></xenc11:ConcatKDFParams>"],
      ["urn:oid:1.2.840.10045.3.1.7", "urn:oid:1.3.132.0.34"],
    ];
    for (const [from, to] of swaps) {
      assert.ok(xml.includes(from), from);
      assert.equal(await codeOf(() => unwrapAgreementKey(encryptedKeyOf(xml.replace(from, to)), device, false)), "ERR_XML_ALGORITHM", `${from} → ${to}`);
    }
  });

  it("refuses shapes outside the profile: a missing CarriedKeyName, an extra child, a non-hex PartyUInfo", async () => {
    const device = await generateEcdhP256KeyPair();
    const { xml } = await delivered(device);
    for (const edit of [
      (x: string) => x.replace(/<xenc:CarriedKeyName>[^<]*<\/xenc:CarriedKeyName>/, ""),
      (x: string) => x.replace("</xenc:AgreementMethod>", "<xenc:KA-Nonce>AA==</xenc:KA-Nonce></xenc:AgreementMethod>"),
      (x: string) => x.replace(/PartyUInfo="00[0-9a-f]+"/, 'PartyUInfo="00zz"'),
    ]) {
      assert.equal(await codeOf(() => unwrapAgreementKey(encryptedKeyOf(edit(xml)), device, false)), "ERR_XML_MALFORMED");
    }
  });

  it("a key name must be a ds:KeyName value; the recipient point must be on P-256", async () => {
    const device = await generateEcdhP256KeyPair();
    const point = await exportP256Point(device.publicKey);
    assert.equal(await codeOf(() => agreementEncryptedKeyXml(random(32), " padded ", { point, partyUInfo: "u", partyVInfo: "v" })), "ERR_XML_MALFORMED");
    await assert.rejects(agreementEncryptedKeyXml(random(32), "sk", { point: new Uint8Array(65).fill(3), partyUInfo: "u", partyVInfo: "v" }));
  });
});

