import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { buildMessage, verifyReceipt, type XmlNode } from "@obol/xml";
import { toPem } from "../../src/http/pem.js";
import { enrolDeviceKey } from "../support/device.js";
import { openHarness, type Harness } from "./harness.js";

const run = promisify(execFile);
let h: Harness;
let deviceKey: KeyObject;
let compactId: string;
let serial: string;

before(async () => {
  h = await openHarness();
  ({ key: deviceKey, compactId, serial } = await enrolDeviceKey(h, h.a));
});
after(async () => { await h.platform.stop(); });

const transferBody = (amount: string, key = randomUUID()): XmlNode[] => [{
  name: "Transfer", attributes: { IdempotencyKey: key },
  children: [{ name: "To", children: [h.b.msisdn] }, { name: "Amount", attributes: { Currency: "KES" }, children: [amount] }],
}];

async function message(type: string, body: XmlNode[], options: { key?: KeyObject; keyName?: string; now?: number } = {}): Promise<string> {
  return (await buildMessage({
    type, body, now: new Date(options.now ?? h.clock.now), random: (n) => new Uint8Array(randomBytes(n)),
    signer: { privateKey: options.key ?? deviceKey, keyName: options.keyName ?? compactId },
  })).xml;
}

async function post(xml: string) {
  const reply = await h.platform.app.inject({ method: "POST", url: "/v1/wallet/messages", headers: { "content-type": "application/xml" }, payload: xml });
  return { status: reply.statusCode, text: reply.body, type: String(reply.headers["content-type"]), code: reply.headers["content-type"]?.toString().startsWith("application/json") ? JSON.parse(reply.body).error.code : undefined };
}

describe("wallet channel: signed XML messages", () => {
  test("a signed transfer moves money once and returns a receipt that verifies offline, also with xmlsec1", async () => {
    const platformCertificate = new X509Certificate(h.platform.services.pki.keys.signing.certificateDer);
    const key = randomUUID();
    const reply = await post(await message("wallet.transfer", transferBody("2500", key)));
    assert.equal(reply.status, 201, reply.text);
    const receipt = await verifyReceipt(reply.text, platformCertificate);
    assert.deepEqual([receipt.amountMinor, receipt.currency, receipt.payer, receipt.payee, receipt.status], ["2500", "KES", h.a.msisdn, h.b.msisdn, "completed"]);

    // Business retry: a new message with the same IdempotencyKey answers with the same transaction.
    const again = await post(await message("wallet.transfer", transferBody("2500", key)));
    assert.equal((await verifyReceipt(again.text, platformCertificate)).transactionId, receipt.transactionId);

    const dir = await mkdtemp(join(tmpdir(), "obol-receipt-"));
    try {
      const { keys } = h.platform.services.pki;
      await writeFile(join(dir, "receipt.xml"), reply.text);
      await writeFile(join(dir, "root.pem"), toPem(keys.root.certificateDer, "CERTIFICATE"));
      await writeFile(join(dir, "issuing.pem"), toPem(keys.issuing.certificateDer, "CERTIFICATE"));
      // The receipt carries the platform signing certificate; xmlsec1 checks it chains to our root.
      const verified = await run("xmlsec1", ["--verify", "--trusted-pem", join(dir, "root.pem"), "--untrusted-pem", join(dir, "issuing.pem"), "--id-attr:Id", "urn:obol:msg:1:Message", join(dir, "receipt.xml")]);
      assert.match(verified.stdout + verified.stderr, /OK/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("the exact bytes of the accepted message are kept, linked to the transfer", async () => {
    const xml = await message("wallet.balance", []);
    assert.equal((await post(xml)).status, 200);
    const kept = (await h.platform.services.db.selectFrom("channel_messages" as any).selectAll().where("direction" as any, "=", "in").execute()) as any[];
    assert.ok(kept.some((row) => Buffer.from(row.bytes).toString() === xml), "the received bytes, unchanged");
    assert.ok(kept.some((row) => row.business_ref !== null && row.certificate_serial === serial));
  });

  test("a replayed message is refused and moves nothing", async () => {
    const xml = await message("wallet.transfer", transferBody("100"));
    assert.equal((await post(xml)).status, 201);
    const replay = await post(xml);
    assert.deepEqual([replay.status, replay.code], [409, "ERR_MESSAGE_REPLAY"]);
  });

  test("a tampered amount breaks the signature", async () => {
    const reply = await post((await message("wallet.transfer", transferBody("100"))).replace(">100<", ">999999<"));
    assert.deepEqual([reply.status, reply.code], [401, "ERR_MESSAGE_SIGNATURE"]);
  });

  test("a stale message is refused", async () => {
    const reply = await post(await message("wallet.balance", [], { now: h.clock.now - 10 * 60_000 }));
    assert.deepEqual([reply.status, reply.code], [400, "ERR_MESSAGE_STALE"]);
  });

  test("an unknown signer, or a key that is not the certified one, is refused", async () => {
    const stranger = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    assert.equal((await post(await message("wallet.balance", [], { key: stranger, keyName: "AAAAAAAAAAAAAAAAAAAAAA" }))).code, "ERR_CERTIFICATE_UNKNOWN");
    assert.equal((await post(await message("wallet.balance", [], { key: stranger }))).code, "ERR_MESSAGE_SIGNATURE");
  });

  test("DOCTYPE and entity payloads are refused before anything else", async () => {
    const evil = `<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><Message xmlns="urn:obol:msg:1">&x;</Message>`;
    const reply = await post(evil);
    assert.deepEqual([reply.status, reply.code], [400, "ERR_MESSAGE_MALFORMED"]);
  });

  test("an unknown message type is refused with a clear code", async () => {
    assert.equal((await post(await message("wallet.teleport", []))).code, "ERR_MESSAGE_TYPE_UNKNOWN");
  });

  test("a revoked certificate is refused", async () => {
    assert.equal((await h.call("POST", `/v1/me/certificates/${serial}/revoke`, { token: h.a.token })).status, 200);
    const reply = await post(await message("wallet.balance", []));
    assert.deepEqual([reply.status, reply.code], [403, "ERR_CERTIFICATE_REJECTED"]);
  });
});
