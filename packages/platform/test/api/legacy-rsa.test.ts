// "ECDSA-SHA256 (RSA-SHA256 only when configured for legacy devices)" (issue 3). With OBOL_LEGACY_RSA_DEVICES
// the RA enrols RSA device keys and the wallet channel takes RSA-SHA256 from RSA device certificates only;
// without it both are refused with stable codes. The signature algorithm always follows the certificate's key.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createCsr } from "@obol/pki";
import { buildMessage, verifyReceipt, type XmlNode } from "@obol/xml";
import { loadConfig } from "../../src/config.js";
import { apiErrors } from "../../src/errors/api-errors.js";
import { toPem } from "../../src/http/pem.js";
import { openHarness, type Harness } from "./harness.js";

const run = promisify(execFile);
const ecKey = () => generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
const rsaKey = () => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

interface Device { key: KeyObject; compactId: string; certificatePem: string; chain: string[] }

async function enrol(h: Harness, key: KeyObject, msisdn = h.a.msisdn, token = h.a.token) {
  const code = (await h.call("POST", "/v1/admin/enrolment-codes", { token: h.adminToken, json: { msisdn } })).body.code as string;
  const csr = Buffer.from(await createCsr(key, "phone")).toString("base64");
  return { code, reply: await h.call("POST", "/v1/pki/enrol", { token, json: { code, csr } }) };
}

async function enrolled(h: Harness, key: KeyObject): Promise<Device> {
  const { reply } = await enrol(h, key);
  assert.equal(reply.status, 201, reply.text);
  return { key, compactId: reply.body.compactId, certificatePem: reply.body.certificate, chain: reply.body.chain };
}

function message(h: Harness, type: string, body: XmlNode[], signer: { key: KeyObject; keyName: string; certificates?: X509Certificate[] }): string {
  return buildMessage({
    type, body, now: new Date(h.clock.now), random: (n) => new Uint8Array(randomBytes(n)),
    signer: { privateKey: signer.key, keyName: signer.keyName, allowRsaSha256: true, ...(signer.certificates ? { certificates: signer.certificates } : {}) },
  }).xml;
}

async function post(h: Harness, xml: string) {
  const reply = await h.platform.app.inject({ method: "POST", url: "/v1/wallet/messages", headers: { "content-type": "application/xml" }, payload: xml });
  const isJson = String(reply.headers["content-type"]).startsWith("application/json");
  return { status: reply.statusCode, text: reply.body, code: isJson ? JSON.parse(reply.body).error.code as string : undefined };
}

const transfer = (h: Harness, amount: string): XmlNode[] => [{
  name: "Transfer", attributes: { IdempotencyKey: `legacy-${randomBytes(8).toString("hex")}` },
  children: [{ name: "To", children: [h.b.msisdn] }, { name: "Amount", attributes: { Currency: "KES" }, children: [amount] }],
}];

describe("legacy RSA devices enabled (OBOL_LEGACY_RSA_DEVICES=true)", () => {
  let h: Harness;
  let rsaDevice: Device;
  let ecDevice: Device;
  before(async () => {
    h = await openHarness({ env: { OBOL_LEGACY_RSA_DEVICES: "true" } });
    rsaDevice = await enrolled(h, rsaKey());
    ecDevice = await enrolled(h, ecKey());
  });
  after(async () => { await h.platform.stop(); });

  test("an RSA device is enrolled; its RSA-SHA256 transfer moves money and gets a platform receipt", async () => {
    assert.equal(new X509Certificate(rsaDevice.certificatePem).publicKey.asymmetricKeyType, "rsa");
    const reply = await post(h, message(h, "wallet.transfer", transfer(h, "700"), { key: rsaDevice.key, keyName: rsaDevice.compactId }));
    assert.equal(reply.status, 201, reply.text);
    const receipt = verifyReceipt(reply.text, new X509Certificate(h.platform.services.pki.keys.signing.certificateDer));
    assert.deepEqual([receipt.amountMinor, receipt.status], ["700", "completed"]);
  });

  test("xmlsec1 verifies the RSA-signed device message against the platform root", async () => {
    const xml = message(h, "wallet.balance", [], { key: rsaDevice.key, keyName: rsaDevice.compactId, certificates: [new X509Certificate(rsaDevice.certificatePem)] });
    const dir = await mkdtemp(join(tmpdir(), "obol-legacy-rsa-"));
    try {
      await writeFile(join(dir, "message.xml"), xml);
      await writeFile(join(dir, "root.pem"), toPem(h.platform.services.pki.keys.root.certificateDer, "CERTIFICATE"));
      await writeFile(join(dir, "issuing.pem"), rsaDevice.chain[0]!);
      const verified = await run("xmlsec1", ["--verify", "--trusted-pem", join(dir, "root.pem"), "--untrusted-pem", join(dir, "issuing.pem"), "--id-attr:Id", "urn:obol:msg:1:Message", join(dir, "message.xml")]);
      assert.match(verified.stdout + verified.stderr, /OK/);
      assert.match(xml, /xmldsig-more#rsa-sha256/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    assert.equal((await post(h, xml)).status, 200, "and the platform takes it");
  });

  test("no algorithm confusion: ECDSA under an RSA certificate, RSA under an ECDSA certificate", async () => {
    const ecUnderRsa = await post(h, message(h, "wallet.balance", [], { key: ecKey(), keyName: rsaDevice.compactId }));
    assert.deepEqual([ecUnderRsa.status, ecUnderRsa.code], [401, "ERR_MESSAGE_ALGORITHM"]);
    const rsaUnderEc = await post(h, message(h, "wallet.balance", [], { key: rsaKey(), keyName: ecDevice.compactId }));
    assert.deepEqual([rsaUnderEc.status, rsaUnderEc.code], [401, "ERR_MESSAGE_ALGORITHM"]);
    // the right pairs pass
    assert.equal((await post(h, message(h, "wallet.balance", [], { key: ecDevice.key, keyName: ecDevice.compactId }))).status, 200);
  });

  test("RSA keys outside 2048-4096 bits are still refused", async () => {
    // createCsr refuses to make one; the RA sees what openssl would send instead
    const small = generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey;
    const dir = await mkdtemp(join(tmpdir(), "obol-legacy-rsa-"));
    try {
      await writeFile(join(dir, "k.pem"), small.export({ type: "pkcs8", format: "pem" }));
      await run("openssl", ["req", "-new", "-key", join(dir, "k.pem"), "-subj", "/CN=x", "-sha256", "-outform", "DER", "-out", join(dir, "k.csr")]);
      const code = (await h.call("POST", "/v1/admin/enrolment-codes", { token: h.adminToken, json: { msisdn: h.b.msisdn } })).body.code;
      const csr = (await readFile(join(dir, "k.csr"))).toString("base64");
      const reply = await h.call("POST", "/v1/pki/enrol", { token: h.b.token, json: { code, csr } });
      assert.deepEqual([reply.status, reply.body.error.code], [400, "ERR_CSR_KEY_UNSUPPORTED"]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("legacy RSA devices disabled (the default)", () => {
  let h: Harness;
  before(async () => { h = await openHarness(); });
  after(async () => { await h.platform.stop(); });

  test("an RSA CSR is refused with ERR_CSR_KEY_UNSUPPORTED, and the enrolment code is not used up", async () => {
    const { code, reply } = await enrol(h, rsaKey());
    assert.deepEqual([reply.status, reply.body.error.code], [400, "ERR_CSR_KEY_UNSUPPORTED"]);
    assert.equal(apiErrors.ERR_CSR_KEY_UNSUPPORTED[0], 400);
    const csr = Buffer.from(await createCsr(ecKey(), "phone")).toString("base64");
    const retry = await h.call("POST", "/v1/pki/enrol", { token: h.a.token, json: { code, csr } });
    assert.equal(retry.status, 201, retry.text);
  });

  test("RSA-SHA256 messages are refused with ERR_MESSAGE_ALGORITHM, also from an RSA certificate issued while the setting was on", async () => {
    const ecDevice = await enrolled(h, ecKey());
    const rsaUnderEc = await post(h, message(h, "wallet.balance", [], { key: rsaKey(), keyName: ecDevice.compactId }));
    assert.deepEqual([rsaUnderEc.status, rsaUnderEc.code], [401, "ERR_MESSAGE_ALGORITHM"]);

    // A device enrolled while legacy devices were accepted, then the setting was turned off.
    const { policy } = h.platform.services.pki;
    policy.legacyRsaDevices = true;
    const rsaDevice = await enrolled(h, rsaKey()).finally(() => { policy.legacyRsaDevices = false; });
    const rsaSigned = await post(h, message(h, "wallet.balance", [], { key: rsaDevice.key, keyName: rsaDevice.compactId }));
    assert.deepEqual([rsaSigned.status, rsaSigned.code], [401, "ERR_MESSAGE_ALGORITHM"]);
    const ecUnderRsa = await post(h, message(h, "wallet.balance", [], { key: ecKey(), keyName: rsaDevice.compactId }));
    assert.deepEqual([ecUnderRsa.status, ecUnderRsa.code], [401, "ERR_MESSAGE_ALGORITHM"]);
    assert.equal((await post(h, message(h, "wallet.balance", [], { key: ecDevice.key, keyName: ecDevice.compactId }))).status, 200);
  });

  test("OBOL_LEGACY_RSA_DEVICES accepts only true or false", () => {
    assert.equal(loadConfig({}).legacyRsaDevices, false);
    assert.equal(loadConfig({ OBOL_LEGACY_RSA_DEVICES: "true" }).legacyRsaDevices, true);
    assert.throws(() => loadConfig({ OBOL_LEGACY_RSA_DEVICES: "yes" }), (e: { code?: string }) => e.code === "ERR_CONFIG");
  });
});
