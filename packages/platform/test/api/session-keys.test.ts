import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createCsr } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, openMessage, openSessionKeyAnswer, readNodes, sessionKeyRequest, verifyReceipt, type XmlNode } from "@obol/xml";
import { loadOrCreateSessionKek } from "../../src/modules/sessionkeys/kek.js";
import { sessionKeyLifetimeMs, sessionKeysPerDeviceMax } from "../../src/modules/sessionkeys/service.js";
import { openHarness, type Harness } from "./harness.js";

// Named session keys (seed 004's CarriedKeyName) through the wallet channel: issued by key agreement to the
// device that asks, kept wrapped, used for confidential parts both ways, refused with stable codes.

let h: Harness;
const random = (n: number) => new Uint8Array(randomBytes(n));
interface Device { key: KeyObject; compactId: string; serial: string }
let alice: Device;
let bob: Device;

async function enrol(party: { msisdn: string; token: string }): Promise<Device> {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const code = (await h.call("POST", "/v1/admin/enrolment-codes", { token: h.adminToken, json: { msisdn: party.msisdn } })).body.code;
  const enrolled = await h.call("POST", "/v1/pki/enrol", { token: party.token, json: { code, csr: Buffer.from(await createCsr(key, "phone")).toString("base64") } });
  assert.equal(enrolled.status, 201, enrolled.text);
  return { key, compactId: enrolled.body.compactId, serial: enrolled.body.serial };
}

before(async () => {
  h = await openHarness();
  alice = await enrol(h.a);
  bob = await enrol(h.b);
});
after(async () => { await h.platform.stop(); });

const platformCertificate = () => new X509Certificate(h.platform.services.pki.keys.signing.certificateDer);
const replay = () => new MemoryReplayGuard({ now: () => h.clock.now });

async function post(xml: string) {
  const reply = await h.platform.app.inject({ method: "POST", url: "/v1/wallet/messages", headers: { "content-type": "application/xml" }, payload: xml });
  return { status: reply.statusCode, text: reply.body, code: String(reply.headers["content-type"]).startsWith("application/json") ? JSON.parse(reply.body).error.code : undefined };
}

async function obtain(device: Device) {
  const request = await sessionKeyRequest({ signer: { privateKey: device.key, keyName: device.compactId }, now: new Date(h.clock.now), random });
  const reply = await post(request.xml);
  assert.equal(reply.status, 201, reply.text);
  return openSessionKeyAnswer(reply.text, { platformCertificate: platformCertificate(), agreementKey: request.agreementKey, now: new Date(h.clock.now), replay: replay(), extractable: true });
}

/** A message whose content goes in the confidential part under the named session key. */
async function sealed(device: Device, type: string, content: XmlNode[], sessionKey: Pick<Awaited<ReturnType<typeof obtain>>, "name" | "key">) {
  return (await buildMessage({
    type, body: [], confidential: { content, to: { sessionKey } }, now: new Date(h.clock.now), random,
    signer: { privateKey: device.key, keyName: device.compactId },
  })).xml;
}

describe("named session keys on the wallet channel", () => {
  test("a device obtains a named key by key agreement; the platform keeps it only wrapped", async () => {
    const received = await obtain(alice);
    assert.match(received.name, /^sk-[A-Za-z0-9_-]{22}$/);
    assert.equal(received.expiresAt.getTime(), h.clock.now + sessionKeyLifetimeMs);
    const raw = new Uint8Array(await crypto.subtle.exportKey("raw", received.key));
    assert.equal(raw.byteLength, 32);
    const rows = (await h.platform.services.db.selectFrom("session_keys" as any).selectAll().where("name" as any, "=", received.name).execute()) as any[];
    assert.equal(rows.length, 1);
    assert.equal(rows[0].certificate_serial, alice.serial);
    assert.ok(!Buffer.from(rows[0].wrapped_key).includes(Buffer.from(raw)), "the key is not stored in clear");
  });

  test("a request under the session key is answered under the same key, readable only with it", async () => {
    const key = await obtain(alice);
    const reply = await post(await sealed(alice, "wallet.balance", [{ name: "BalanceQuery" }], key));
    assert.equal(reply.status, 200, reply.text);
    assert.match(reply.text, new RegExp(`<ds:KeyName>${key.name}</ds:KeyName>`));
    assert.ok(!reply.text.includes("Balances"), "the answer's content is not in clear");
    const opened = await openMessage(reply.text, {
      trustedKeyFor: () => platformCertificate(), now: new Date(h.clock.now), replay: replay(),
      decryptionKeys: { resolveSessionKey: (name) => (name === key.name ? key.key : undefined) },
    });
    assert.equal(readNodes(opened.body).length, 0);
    const balances = readNodes(opened.confidential!).find((n): n is XmlNode => typeof n !== "string");
    assert.equal(balances?.name, "Balances");
  });

  test("a transfer sent under the session key moves money and returns a receipt that verifies offline", async () => {
    const key = await obtain(alice);
    const transfer: XmlNode = {
      name: "Transfer", attributes: { IdempotencyKey: randomUUID() },
      children: [{ name: "To", children: [h.b.msisdn] }, { name: "Amount", attributes: { Currency: "KES" }, children: ["700"] }],
    };
    const reply = await post(await sealed(alice, "wallet.transfer", [transfer], key));
    assert.equal(reply.status, 201, reply.text);
    const receipt = await verifyReceipt(reply.text, platformCertificate());
    assert.deepEqual([receipt.amountMinor, receipt.payee], ["700", h.b.msisdn]);
  });

  test("refusals: an unknown name, another device's key, an expired key, a retired key", async () => {
    const key = await obtain(alice);
    const unknown = await post(await sealed(alice, "wallet.balance", [], { name: "sk-AAAAAAAAAAAAAAAAAAAAAA", key: key.key }));
    assert.deepEqual([unknown.status, unknown.code], [401, "ERR_SESSION_KEY_UNKNOWN"]);
    const foreign = await post(await sealed(bob, "wallet.balance", [], key));
    assert.deepEqual([foreign.status, foreign.code], [403, "ERR_SESSION_KEY_FOREIGN"]);

    // Rotation: after sessionKeysPerDeviceMax newer keys, this one is retired.
    for (let i = 0; i < sessionKeysPerDeviceMax; i++) await obtain(alice);
    const retired = await post(await sealed(alice, "wallet.balance", [], key));
    assert.deepEqual([retired.status, retired.code], [401, "ERR_SESSION_KEY_EXPIRED"]);

    const fresh = await obtain(alice);
    h.clock.advance(sessionKeyLifetimeMs + 1);
    await h.relogin();
    const expired = await post(await sealed(alice, "wallet.balance", [], fresh));
    assert.deepEqual([expired.status, expired.code], [401, "ERR_SESSION_KEY_EXPIRED"]);
  });

  test("an AgreementKey that is not a P-256 point is refused and issues nothing", async () => {
    const before = (await h.platform.services.db.selectFrom("session_keys" as any).selectAll().execute()).length;
    const notOnCurve = Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString("base64");
    const xml = (await buildMessage({
      type: "wallet.session-key", body: [{ name: "SessionKeyRequest", children: [{ name: "AgreementKey", children: [notOnCurve] }] }],
      now: new Date(h.clock.now), random, signer: { privateKey: bob.key, keyName: bob.compactId },
    })).xml;
    const reply = await post(xml);
    assert.deepEqual([reply.status, reply.code], [400, "ERR_MESSAGE_MALFORMED"]);
    assert.equal((await h.platform.services.db.selectFrom("session_keys" as any).selectAll().execute()).length, before);
  });

  test("the KEK is derived, not stored: only its salt and a check value are kept, and another passphrase is refused at start", async () => {
    const db = h.platform.services.db;
    await assert.rejects(loadOrCreateSessionKek(db, "not the platform's key passphrase"), /does not open the session-key KEK/);
    const rows = (await db.selectFrom("session_key_kek" as any).selectAll().execute()) as any[];
    assert.deepEqual(Object.keys(rows[0]).sort(), ["check_value", "id", "salt"]);
  });
});
