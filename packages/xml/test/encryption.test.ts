import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { aesGcmEncrypt } from "@obol/crypto";
import { decryptXml, encryptXml, parseXml, XmlError } from "../src/index.js";
import type { DecryptionKeys, EncryptOptions, XmlErrorCode } from "../src/index.js";
import { identity } from "./support/identities.js";

const platform = identity("rsa", "platform");
const other = identity("rsa", "other-platform");
const random = (n: number) => new Uint8Array(randomBytes(n));
const MSG = "urn:obol:msg:1";
const XENC = "http://www.w3.org/2001/04/xmlenc#";
const confidential = { namespaceUri: MSG, localName: "Confidential" };
const doc =
  `<Message xmlns="${MSG}" xmlns:p="urn:p" Id="m-1"><Body><Amount>1250</Amount></Body>` +
  '<Confidential Salt="s"><Pin>1234</Pin><p:Account>KE-001&#x2028;</p:Account></Confidential></Message>';
const sessionKey = new Uint8Array(randomBytes(32));
const keys: DecryptionKeys = {
  privateKey: platform.privateKey,
  resolveSessionKey: (name) => (name === "sess-42" ? sessionKey : undefined),
};

function rsa(type: "element" | "content" = "element", algorithm: "aes256-gcm" | "aes128-gcm" = "aes256-gcm"): EncryptOptions {
  return { type, algorithm, keyTransport: { kind: "rsa-oaep", recipient: platform.certificate }, random };
}

function session(key = sessionKey, type: "element" | "content" = "element"): EncryptOptions {
  return { type, keyTransport: { kind: "session-key", name: "sess-42", key }, random };
}

async function failure(run: () => unknown): Promise<XmlError> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    return error;
  }
  assert.fail("no error");
}

async function codeOf(run: () => unknown): Promise<XmlErrorCode> {
  return (await failure(run)).code;
}

/** Flips one bit of the n-th byte of the (last) CipherValue of the EncryptedData. */
function flipCipherByte(xml: string, n: number, which: "data" | "key" = "data"): string {
  const values = [...xml.matchAll(/<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/g)];
  const match = which === "data" ? values[values.length - 1] : values[0];
  assert.ok(match !== undefined && match[1] !== undefined);
  const bytes = Buffer.from(match[1], "base64");
  const index = n < 0 ? bytes.length + n : n;
  bytes[index] = (bytes[index] as number) ^ 1;
  return xml.replace(match[1], bytes.toString("base64"));
}

function pinOf(xml: string): string {
  return parseXml(xml).root.getElementsByTagNameNS(MSG, "Pin")[0]?.textContent ?? "";
}

describe("encryptXml / decryptXml round trips", () => {
  for (const [name, options] of [
    ["RSA-OAEP + AES-256-GCM, #Element", rsa()],
    ["RSA-OAEP + AES-128-GCM, #Element", rsa("element", "aes128-gcm")],
    ["RSA-OAEP + AES-256-GCM, #Content", rsa("content")],
    ["named session key AES-256-GCM, #Element", session()],
    ["named session key AES-128-GCM, #Content", session(sessionKey.subarray(0, 16), "content")],
  ] as const) {
    it(name, async () => {
      const roundKeys: DecryptionKeys =
        options.keyTransport.kind === "session-key"
          ? { resolveSessionKey: (n) => (n === "sess-42" ? (options.keyTransport as { key: Uint8Array }).key : undefined) }
          : keys;
      const encrypted = await encryptXml(doc, confidential, options);
      assert.ok(!encrypted.includes("1234") && !encrypted.includes("KE-001"), "no plaintext left");
      const decrypted = await decryptXml(encrypted, roundKeys);
      const root = decrypted.root;
      assert.equal(pinOf(decrypted.source), "1234");
      assert.equal(root.getElementsByTagNameNS("urn:p", "Account")[0]?.textContent, "KE-001\u2028");
      assert.equal(root.getElementsByTagNameNS(XENC, "EncryptedData").length, 0);
    });
  }

  it("names the recipient key compactly instead of embedding its certificate", async () => {
    const encrypted = await encryptXml(doc, confidential, rsa());
    assert.match(encrypted, /<xenc:EncryptedKey Recipient="spki-sha256:[A-Za-z0-9_-]{43}">/);
    assert.ok(!encrypted.includes("X509Certificate"));
  });
});

describe("decryption failures say nothing about why", async () => {
  const encrypted = await encryptXml(doc, confidential, rsa());
  const sessionEncrypted = await encryptXml(doc, confidential, session());
  const cases: Array<[string, () => unknown]> = [
    ["a flipped ciphertext bit", async () => await decryptXml(flipCipherByte(encrypted, 20), keys)],
    ["a flipped tag bit", async () => await decryptXml(flipCipherByte(encrypted, -1), keys)],
    ["a flipped IV bit", async () => await decryptXml(flipCipherByte(encrypted, 0), keys)],
    ["a flipped EncryptedKey bit (OAEP fails; implicit rejection)", async () => await decryptXml(flipCipherByte(encrypted, 100, "key"), keys)],
    ["another platform's private key", async () => await decryptXml(encrypted, { privateKey: other.privateKey })],
    ["no private key", async () => await decryptXml(encrypted, {})],
    ["a truncated CipherValue", async () => await decryptXml(encrypted.replace(/(<xenc:CipherData><xenc:CipherValue>)[^<]+(<\/xenc:CipherValue><\/xenc:CipherData><\/xenc:EncryptedData>)/, "$1AAAA$2"), keys)],
    ["an unknown session key name", async () => await decryptXml(sessionEncrypted.replace("sess-42", "sess-43"), keys)],
    ["a session key of the wrong size", async () => await decryptXml(sessionEncrypted, { resolveSessionKey: () => sessionKey.subarray(0, 16) })],
    ["a wrong session key", async () => await decryptXml(sessionEncrypted, { resolveSessionKey: () => new Uint8Array(32) })],
  ];
  for (const [name, run] of cases) {
    it(name, async () => {
      const error = await failure(run);
      assert.equal(error.code, "ERR_XML_DECRYPT_FAILED");
      assert.equal(error.message, "decryption failed");
    });
  }
});

describe("decryption allow-list and profile", async () => {
  const encrypted = await encryptXml(doc, confidential, rsa());
  const algorithms: Array<[string, string]> = [
    ["AES-256-CBC", "http://www.w3.org/2001/04/xmlenc#aes256-cbc"],
    ["AES-128-CBC", "http://www.w3.org/2001/04/xmlenc#aes128-cbc"],
    ["Triple DES (seed 004's DESede)", "http://www.w3.org/2001/04/xmlenc#tripledes-cbc"],
    ["AES-192-GCM", "http://www.w3.org/2009/xmlenc11#aes192-gcm"],
  ];
  for (const [name, uri] of algorithms) {
    it(`refuses ${name} content encryption`, async () => {
      const xml = encrypted.replace("http://www.w3.org/2009/xmlenc11#aes256-gcm", uri);
      assert.equal(await codeOf(async () => await decryptXml(xml, keys)), "ERR_XML_ALGORITHM");
    });
  }

  it("refuses RSA PKCS#1 v1.5 and xmlenc11 rsa-oaep key transport, and OAEP with SHA-256", async () => {
    for (const uri of ["http://www.w3.org/2001/04/xmlenc#rsa-1_5", "http://www.w3.org/2009/xmlenc11#rsa-oaep"]) {
      assert.equal(await codeOf(async () => await decryptXml(encrypted.replace("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p", uri), keys)), "ERR_XML_ALGORITHM");
    }
    const sha256 = encrypted.replace("http://www.w3.org/2000/09/xmldsig#sha1", "http://www.w3.org/2001/04/xmlenc#sha256");
    assert.equal(await codeOf(async () => await decryptXml(sha256, keys)), "ERR_XML_ALGORITHM");
  });

  it("refuses CipherReference (no fetching of URIs), RetrievalMethod, a missing Type", async () => {
    const reference = encrypted.replace(
      /<xenc:CipherData><xenc:CipherValue>[^<]+<\/xenc:CipherValue><\/xenc:CipherData><\/xenc:EncryptedData>/,
      '<xenc:CipherData><xenc:CipherReference URI="http://127.0.0.1:1/x"/></xenc:CipherData></xenc:EncryptedData>',
    );
    assert.equal(await codeOf(async () => await decryptXml(reference, keys)), "ERR_XML_MALFORMED");
    const retrieval = encrypted.replace(/<ds:KeyInfo xmlns:ds="([^"]+)">.*?<\/xenc:EncryptedKey><\/ds:KeyInfo>/, '<ds:KeyInfo xmlns:ds="$1"><ds:RetrievalMethod URI="#k"/></ds:KeyInfo>');
    assert.equal(await codeOf(async () => await decryptXml(retrieval, keys)), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await decryptXml(encrypted.replace(/ Type="[^"]+"/, ""), keys)), "ERR_XML_MALFORMED");
  });

  /** An EncryptedData under the session key around arbitrary plaintext octets. */
  function around(plaintext: string, type = "Element"): string {
    const iv = random(12);
    const sealed = aesGcmEncrypt(sessionKey, iv, new Uint8Array(Buffer.from(plaintext)));
    const value = Buffer.concat([iv, sealed]).toString("base64");
    return (
      `<Message xmlns="${MSG}" Id="m-1"><xenc:EncryptedData xmlns:xenc="${XENC}" Type="${XENC}${type}">` +
      '<xenc:EncryptionMethod Algorithm="http://www.w3.org/2009/xmlenc11#aes256-gcm"/>' +
      '<ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:KeyName>sess-42</ds:KeyName></ds:KeyInfo>' +
      `<xenc:CipherData><xenc:CipherValue>${value}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData></Message>`
    );
  }

  it("parses decrypted content with the hardened parser: DOCTYPE, entities, comments refused", async () => {
    assert.equal(await codeOf(async () => await decryptXml(around('<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><Pin>&e;</Pin>'), keys)), "ERR_XML_FORBIDDEN_CONSTRUCT");
    assert.equal(await codeOf(async () => await decryptXml(around("<Pin>&e;</Pin>"), keys)), "ERR_XML_FORBIDDEN_CONSTRUCT");
    assert.equal(await codeOf(async () => await decryptXml(around("<Pin>12<!---->34</Pin>"), keys)), "ERR_XML_FORBIDDEN_CONSTRUCT");
    assert.equal(await codeOf(async () => await decryptXml(around("<a>".repeat(40)), keys)), "ERR_XML_LIMIT");
  });

  it("resolves prefixes of decrypted content in the EncryptedData's context", async () => {
    assert.equal(pinOf((await decryptXml(around("<Pin>1234</Pin>"), keys)).source), "1234");
    assert.equal(await codeOf(async () => await decryptXml(around("<q:Pin>1</q:Pin>"), keys)), "ERR_XML_MALFORMED");
  });

  it("refuses #Element content that is not one element, and nested EncryptedData", async () => {
    assert.equal(await codeOf(async () => await decryptXml(around("<Pin>1</Pin><Pin>2</Pin>"), keys)), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await decryptXml(around("text"), keys)), "ERR_XML_MALFORMED");
    const inner = around("<Pin>1</Pin>").replace(/^<Message[^>]*>/, "").replace(/<\/Message>$/, "");
    const nested = await failure(async () => await decryptXml(around(`<Wrap xmlns:xenc="${XENC}">${inner.replace(/ xmlns:xenc="[^"]+"/, "")}</Wrap>`), keys));
    assert.equal(nested.code, "ERR_XML_MALFORMED");
    assert.match(nested.message, /nested/);
  });

  it("refuses to encrypt the document element, a missing target, or under a 24-byte session key", async () => {
    assert.equal(await codeOf(async () => await encryptXml(doc, { namespaceUri: MSG, localName: "Message" }, rsa())), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await encryptXml(doc, { namespaceUri: MSG, localName: "Nope" }, rsa())), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await encryptXml(doc, confidential, session(new Uint8Array(24)))), "ERR_XML_ALGORITHM");
  });
});
