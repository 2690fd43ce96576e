import assert from "node:assert/strict";
import { generateKeyPairSync, randomUUID, sign, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { requestSigningPayload } from "../../src/modules/auth/request-signing.js";
import { assertEveryResponseWellFormed, openHarness, type Harness } from "./harness.js";

let h: Harness;
let key: KeyObject;
before(async () => {
  h = await openHarness();
  key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
});
after(async () => {
  assertEveryResponseWellFormed(h);
  await h.stop();
});

function signed(method: string, url: string, body: unknown, o: { at?: number; with?: KeyObject } = {}): Record<string, string> {
  const timestamp = Math.floor((o.at ?? h.clock.now) / 1000);
  const signature = sign("sha256", requestSigningPayload(timestamp, method, url, body), o.with ?? key).toString("base64");
  return { "obol-timestamp": String(timestamp), "obol-signature": signature };
}

const payment = () => ({ amount: "1000", currency: "KES", merchantReference: `sig-${randomUUID()}`, payerMsisdn: h.a.msisdn });

describe("optional signing of merchant API requests", () => {
  test("register a P-256 key; signed requests pass, also with the body serialised differently; a bad key is refused", async () => {
    const apiKey = h.demo.merchant.apiKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ type: "spki", format: "pem" }).toString();
    assert.equal((await h.call("PUT", "/v1/merchant/request-signing-key", { token: apiKey, json: { publicKey: rsa } })).body.error.code, "ERR_REQUEST_KEY_INVALID");
    const pem = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    assert.equal((await h.call("PUT", "/v1/merchant/request-signing-key", { token: apiKey, json: { publicKey: pem } })).status, 200);
    // Replace it with the key this test signs with.
    const mine = (await import("node:crypto")).createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
    assert.deepEqual((await h.call("PUT", "/v1/merchant/request-signing-key", { token: apiKey, json: { publicKey: mine } })).body, { required: false });

    const body = payment();
    const ok = await h.call("POST", "/v1/payments", { token: apiKey, idem: true, json: body, headers: signed("POST", "/v1/payments", body) });
    assert.equal(ok.status, 201, ok.text);
    const reordered = payment();
    const raw = JSON.stringify({ payerMsisdn: reordered.payerMsisdn, merchantReference: reordered.merchantReference, currency: "KES", amount: "1000" }, null, 2);
    const again = await h.call("POST", "/v1/payments", { token: apiKey, idem: true, raw, headers: signed("POST", "/v1/payments", reordered) });
    assert.equal(again.status, 201, again.text);
    assert.equal((await h.call("GET", `/v1/payments/${ok.body.id}`, { token: apiKey, headers: signed("GET", `/v1/payments/${ok.body.id}`, undefined) })).status, 200);
    assert.equal((await h.call("GET", "/v1/payments?limit=1", { token: apiKey })).status, 200, "unsigned still allowed while not required");
  });

  test("a changed body, another path, another key, a stale or missing timestamp: 401 ERR_REQUEST_SIGNATURE, nothing created", async () => {
    const apiKey = h.demo.merchant.apiKey;
    const body = payment();
    const cases: Record<string, string>[] = [
      signed("POST", "/v1/payments", { ...body, amount: "1" }),
      signed("POST", "/v1/payments?x=1", body),
      signed("POST", "/v1/payments", body, { with: generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey }),
      signed("POST", "/v1/payments", body, { at: h.clock.now - 301_000 }),
      { "obol-signature": signed("POST", "/v1/payments", body)["obol-signature"]! },
      { ...signed("POST", "/v1/payments", body), "obol-signature": "not base64 !" },
    ];
    for (const headers of cases) {
      const refused = await h.call("POST", "/v1/payments", { token: apiKey, idem: true, json: body, headers });
      assert.equal(refused.status, 401, JSON.stringify(headers));
      assert.equal(refused.body.error.code, "ERR_REQUEST_SIGNATURE");
    }
    assert.equal((await h.call("GET", `/v1/payments/by-reference/${body.merchantReference}`, { token: apiKey })).body.error.code, "ERR_PAYMENT_NOT_FOUND");
  });

  test("required: unsigned requests are refused; a signed request removes the key; a merchant without a key cannot send signatures", async () => {
    const apiKey = h.demo.merchant.apiKey;
    const mine = (await import("node:crypto")).createPublicKey(key).export({ type: "spki", format: "pem" }).toString();
    const put = { publicKey: mine, required: true };
    assert.equal((await h.call("PUT", "/v1/merchant/request-signing-key", { token: apiKey, json: put })).body.required, true);
    assert.equal((await h.call("GET", "/v1/payments?limit=1", { token: apiKey })).body.error.code, "ERR_REQUEST_SIGNATURE_REQUIRED");
    assert.equal((await h.call("GET", "/v1/payments?limit=1", { token: apiKey, headers: signed("GET", "/v1/payments?limit=1", undefined) })).status, 200);
    assert.equal((await h.call("DELETE", "/v1/merchant/request-signing-key", { token: apiKey })).body.error.code, "ERR_REQUEST_SIGNATURE_REQUIRED");
    assert.equal((await h.call("DELETE", "/v1/merchant/request-signing-key", { token: apiKey, headers: signed("DELETE", "/v1/merchant/request-signing-key", undefined) })).status, 204);
    assert.equal((await h.call("GET", "/v1/payments?limit=1", { token: apiKey })).status, 200);
    assert.equal((await h.call("GET", "/v1/payments?limit=1", { token: apiKey, headers: signed("GET", "/v1/payments?limit=1", undefined) })).body.error.code, "ERR_REQUEST_SIGNATURE");
  });
});
