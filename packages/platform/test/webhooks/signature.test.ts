import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import fc from "fast-check";
import { Webhook, WebhookVerificationError } from "standardwebhooks";
import { eventBody, newEventId } from "../../src/modules/webhooks/events.js";
import { formatSecret, parseSecret, secretBytes, signatureHeader, signedContent } from "../../src/modules/webhooks/signature.js";
import { verifyStandardWebhook } from "../support/standard-webhooks-verifier.js";

const vectors = JSON.parse(readFileSync(new URL("../../../../../test/vectors/standard-webhooks/signatures.json", import.meta.url), "utf8")) as {
  vectors: Array<{ secret: string; msgId: string; timestamp: number; payload: string; signature: string }>;
};

test("the reference library's known answer: our signer gives it, the spec verifier accepts it", () => {
  assert.ok(vectors.vectors.length > 0);
  for (const v of vectors.vectors) {
    const key = parseSecret(v.secret);
    assert.ok(key, "the vector's secret parses");
    assert.equal(signatureHeader([key], v.msgId, v.timestamp, v.payload), v.signature);
    const headers = { "webhook-id": v.msgId, "webhook-timestamp": String(v.timestamp), "webhook-signature": v.signature };
    assert.deepEqual(verifyStandardWebhook({ secret: v.secret, headers, body: v.payload, nowMs: v.timestamp * 1000 }), { ok: true });
    assert.equal(verifyStandardWebhook({ secret: v.secret, headers, body: v.payload + " ", nowMs: v.timestamp * 1000 }).ok, false);
  }
});

test("a platform event verifies with the spec verifier and with the standardwebhooks package; tampering and stale timestamps do not", () => {
  const key = randomBytes(secretBytes);
  const secret = formatSecret(key);
  const id = newEventId();
  const now = Date.now();
  const body = eventBody({ id, type: "payment.succeeded", createdAt: new Date(now), data: { amount: 1250n, currency: "KES", paymentId: "p-1" } });
  const timestamp = Math.floor(now / 1000);
  const headers = { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signatureHeader([key], id, timestamp, body) };

  assert.deepEqual(verifyStandardWebhook({ secret, headers, body, nowMs: now }), { ok: true });
  const library = new Webhook(secret);
  assert.deepEqual(library.verify(body, headers), JSON.parse(body));
  assert.equal(library.sign(id, new Date(timestamp * 1000), body), headers["webhook-signature"]);

  const tampered = body.replace("1250", "9250");
  assert.notEqual(tampered, body);
  assert.equal(verifyStandardWebhook({ secret, headers, body: tampered, nowMs: now }).ok, false);
  assert.throws(() => library.verify(tampered, headers), WebhookVerificationError);
  const otherId = { ...headers, "webhook-id": newEventId() };
  assert.equal(verifyStandardWebhook({ secret, headers: otherId, body, nowMs: now }).ok, false);
  assert.throws(() => library.verify(body, otherId), WebhookVerificationError);
  const wrongSecret = formatSecret(randomBytes(secretBytes));
  assert.equal(verifyStandardWebhook({ secret: wrongSecret, headers, body, nowMs: now }).ok, false);
  assert.throws(() => new Webhook(wrongSecret).verify(body, headers), WebhookVerificationError);
  // A timestamp more than 5 minutes off is a replay (or a broken clock): both verifiers refuse it.
  const stale = Math.floor((now - 301_000) / 1000);
  const staleHeaders = { ...headers, "webhook-timestamp": String(stale), "webhook-signature": signatureHeader([key], id, stale, body) };
  assert.deepEqual(verifyStandardWebhook({ secret, headers: staleHeaders, body, nowMs: now }), { ok: false, reason: "timestamp outside tolerance" });
  assert.throws(() => library.verify(body, staleHeaders), WebhookVerificationError);
});

test("during a rotation both signatures are sent, current first; a receiver with either secret verifies", () => {
  const current = randomBytes(secretBytes);
  const previous = randomBytes(secretBytes);
  const id = newEventId();
  const now = Date.now();
  const timestamp = Math.floor(now / 1000);
  const body = eventBody({ id, type: "webhook.test", createdAt: new Date(now), data: {} });
  const header = signatureHeader([current, previous], id, timestamp, body);
  const parts = header.split(" ");
  assert.equal(parts.length, 2);
  assert.equal(parts[0], signatureHeader([current], id, timestamp, body));
  assert.equal(parts[1], signatureHeader([previous], id, timestamp, body));
  const headers = { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": header };
  for (const key of [current, previous]) {
    assert.deepEqual(verifyStandardWebhook({ secret: formatSecret(key), headers, body, nowMs: now }), { ok: true });
    new Webhook(formatSecret(key)).verify(body, headers);
  }
  assert.equal(verifyStandardWebhook({ secret: formatSecret(randomBytes(secretBytes)), headers, body, nowMs: now }).ok, false);
});

test("event bodies: canonical JSON { createdAt, data, id, type }, amounts as strings, same bytes for the same event", () => {
  const id = "evt_0123456789abcdef0123456789abcdef";
  const createdAt = new Date("2026-01-02T03:04:05.678Z");
  const body = eventBody({ id, type: "payment.refunded", createdAt, data: { refund: { amount: 500n }, currency: "KES", count: 2 } });
  assert.equal(body, `{"createdAt":"2026-01-02T03:04:05.678Z","data":{"count":2,"currency":"KES","refund":{"amount":"500"}},"id":"${id}","type":"payment.refunded"}`);
  assert.equal(eventBody({ id, type: "payment.refunded", createdAt, data: { currency: "KES", count: 2, refund: { amount: 500n } } }), body);
  assert.throws(() => eventBody({ id, type: "payment.refunded", createdAt, data: { amount: 0.1 } }), /safe integers/);
  assert.throws(() => eventBody({ id, type: "payment.refunded", createdAt, data: { blob: "x".repeat(16_384) } }), /larger than/);
  assert.match(newEventId(), /^evt_[0-9a-f]{32}$/);
});

test("secrets: whsec_ + base64 of 24..64 bytes; anything else is refused", () => {
  const key = randomBytes(secretBytes);
  assert.deepEqual(parseSecret(formatSecret(key)), new Uint8Array(key));
  for (const bad of ["", "whsec_", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", `whsec_${Buffer.alloc(23).toString("base64")}`, `whsec_${Buffer.alloc(65).toString("base64")}`,
    "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", "whsec_MfKQ9r8GKYqrTwjU PD8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjU-D8ILPZIo2LaLaSw"]) {
    assert.equal(parseSecret(bad), undefined, bad);
  }
  assert.throws(() => formatSecret(new Uint8Array(16)), RangeError);
  // An id or timestamp with a full stop would make the signed content ambiguous (spec, "Signature scheme").
  assert.throws(() => signedContent("evt.1", 1, "{}"), TypeError);
  assert.throws(() => signedContent("evt_1", 1.5, "{}"), TypeError);
  assert.throws(() => signatureHeader([], "evt_1", 1, "{}"), TypeError);
});

test("property: for any body, id and timestamp, the spec verifier and the package accept our signature and refuse any one-byte change", () => {
  const key = randomBytes(secretBytes);
  const secret = formatSecret(key);
  const library = new Webhook(secret);
  fc.assert(fc.property(
    fc.string({ maxLength: 200 }), fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.integer({ min: 0, max: 4_000_000_000 }), fc.nat(),
    (body, id, timestamp, position) => {
      const headers = { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signatureHeader([key], id, timestamp, body) };
      assert.deepEqual(verifyStandardWebhook({ secret, headers, body, nowMs: timestamp * 1000 }), { ok: true });
      assert.equal(library.sign(id, new Date(timestamp * 1000), body), headers["webhook-signature"]);
      if (body.length > 0) {
        const at = position % body.length;
        const changed = body.slice(0, at) + String.fromCharCode(body.charCodeAt(at) ^ 1) + body.slice(at + 1);
        assert.equal(verifyStandardWebhook({ secret, headers, body: changed, nowMs: timestamp * 1000 }).ok, false);
      }
    },
  ), { numRuns: 300, seed: 4242 });
});
