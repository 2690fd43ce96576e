import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import {
  buildMessage,
  MemoryReplayGuard,
  openMessage,
  requestDigestOf,
  signEnveloped,
  signReceipt,
  verifyReceipt,
  XmlError,
} from "../src/index.js";
import type { Receipt, XmlErrorCode } from "../src/index.js";
import { identity } from "./support/identities.js";
import { DSIG, first, load, MSG, pieces, save } from "./support/xsw.js";

const platformEc = identity("ec", "platform-ec");
const platformRsa = identity("rsa", "platform");
const device = identity("ec", "device");
const random = (n: number) => new Uint8Array(randomBytes(n));
const now = new Date(); // inside the validity of the certificates just made

const receipt: Receipt = {
  transactionId: "tx-0001",
  status: "completed",
  amountMinor: "125000",
  currency: "KES",
  payer: "+254700123456",
  payee: "MER-556677",
  completedAt: new Date(now.getTime() - 1_000),
};

async function codeOf(run: () => unknown): Promise<XmlErrorCode | "no error"> {
  try {
    await run();
    return "no error";
  } catch (error) {
    assert.ok(error instanceof XmlError, String(error));
    return error.code;
  }
}

describe("receipts", () => {
  for (const [name, platform] of [["ECDSA-SHA256", platformEc], ["RSA-SHA256", platformRsa]] as const) {
    it(`${name}: signed by the platform, verified offline with the platform certificate`, async () => {
      const xml = await signReceipt(receipt, { platformKey: platform.privateKey, platformCertificate: platform.certificate, now, random });
      const verified = await verifyReceipt(xml, platform.certificate);
      assert.deepEqual(
        { ...verified, receiptId: undefined, issuedAt: undefined, signedXml: undefined },
        { ...receipt, receiptId: undefined, issuedAt: undefined, signedXml: undefined },
      );
      assert.equal(verified.issuedAt.toISOString(), now.toISOString());
      assert.ok(xml.includes("<ds:X509Certificate>"), "KeyInfo carries the platform certificate");
    });
  }

  it("ties a receipt to the user's signed confirmation by its digest", async () => {
    const messageTime = new Date("2026-11-21T10:15:30.123Z");
    const confirmation = (await buildMessage({
      type: "payment.confirm",
      body: [{ name: "Amount", children: ["125000"] }],
      signer: { privateKey: device.privateKey },
      now: messageTime,
      random,
    })).xml;
    const opened = await openMessage(confirmation, {
      trustedKeyFor: () => device.publicKey,
      now: messageTime,
      replay: new MemoryReplayGuard({ now: () => messageTime.getTime() }),
    });
    const requestDigest = await requestDigestOf(opened.signedXml);
    const xml = await signReceipt(
      { ...receipt, requestDigest },
      { platformKey: platformEc.privateKey, platformCertificate: platformEc.certificate, now, random },
    );
    assert.equal((await verifyReceipt(xml, platformEc.certificate)).requestDigest, requestDigest);
  });

  it("is refused with another certificate, even when KeyInfo names it, and when tampered", async () => {
    const xml = await signReceipt(receipt, { platformKey: platformEc.privateKey, platformCertificate: platformEc.certificate, now, random });
    const other = identity("ec", "not-the-platform");
    assert.equal(await codeOf(async () => await verifyReceipt(xml, other.certificate)), "ERR_XML_SIGNATURE_INVALID");
    assert.equal(await codeOf(async () => await verifyReceipt(xml, platformRsa.certificate)), "ERR_XML_ALGORITHM");
    assert.equal(await codeOf(async () => await verifyReceipt(xml.replace(">125000<", ">925000<"), platformEc.certificate)), "ERR_XML_SIGNATURE_INVALID");
    const swapped = load(xml);
    first(swapped, DSIG, "X509Certificate").textContent = other.certificate.raw.toString("base64");
    assert.equal(await codeOf(async () => await verifyReceipt(save(swapped), other.certificate)), "ERR_XML_SIGNATURE_INVALID");
    assert.equal(await codeOf(async () => await verifyReceipt(save(swapped), platformEc.certificate)), "no error");
  });

  it("is refused when issued outside the platform certificate's validity", async () => {
    const early = new Date(Date.parse(platformEc.certificate.validFrom) - 86_400_000);
    const xml = await signReceipt(receipt, { platformKey: platformEc.privateKey, platformCertificate: platformEc.certificate, now: early, random });
    assert.equal(await codeOf(async () => await verifyReceipt(xml, platformEc.certificate)), "ERR_XML_SIGNATURE_INVALID");
  });

  it("is refused when the platform signed something that is not a receipt", async () => {
    const message = (await buildMessage({
      type: "payment.confirm",
      body: [{ name: "Receipt" }],
      signer: { privateKey: platformEc.privateKey },
      now,
      random,
    })).xml;
    assert.equal(await codeOf(async () => await verifyReceipt(message, platformEc.certificate)), "ERR_XML_MALFORMED");
  });

  it("refuses malformed receipt fields, when signing and when verifying", async () => {
    const options = { platformKey: platformEc.privateKey, platformCertificate: platformEc.certificate, now, random };
    assert.equal(await codeOf(async () => await signReceipt({ ...receipt, amountMinor: "12.50" }, options)), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await signReceipt({ ...receipt, currency: "kes" }, options)), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await signReceipt({ ...receipt, payee: "a b" }, options)), "ERR_XML_MALFORMED");
    assert.equal(await codeOf(async () => await signReceipt({ ...receipt, requestDigest: "x" }, options)), "ERR_XML_MALFORMED");
    // A validly signed receipt whose fields break the rules (the platform's own bug) is still refused.
    const xml = await signReceipt(receipt, options);
    const doc = load(save(pieces(xml).unsigned));
    first(doc, MSG, "Amount").textContent = "-5";
    const resigned = await signEnveloped(save(doc), { privateKey: platformEc.privateKey, certificates: [platformEc.certificate] });
    assert.equal(await codeOf(async () => await verifyReceipt(resigned, platformEc.certificate)), "ERR_XML_MALFORMED");
  });
});
