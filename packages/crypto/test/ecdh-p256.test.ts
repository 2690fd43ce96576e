import assert from "node:assert/strict";
import { ECDH, diffieHellman, generateKeyPairSync } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { test } from "node:test";
import { decodeP256Point, ecdhP256, ecdhP256Spki, isCryptoError, p256, p256PointFromJwk, p256PointFromSpki } from "../src/index.js";

const alice = generateKeyPairSync("ec", { namedCurve: "P-256" });
const bob = generateKeyPairSync("ec", { namedCurve: "P-256" });

function spki(key: KeyObject): Uint8Array {
  return Uint8Array.from(key.export({ format: "der", type: "spki" }));
}
function uncompressed(key: KeyObject): Uint8Array {
  return spki(key).subarray(26);
}
function compressed(key: KeyObject): Uint8Array {
  return Uint8Array.from(ECDH.convertKey(Buffer.from(uncompressed(key)), "prime256v1", undefined, undefined, "compressed") as Buffer);
}
const invalidInput = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT");
const invalidKey = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_INVALID_KEY");

test("ECDH P-256: both sides agree, match node:crypto, for every peer key format", () => {
  const expected = diffieHellman({ privateKey: alice.privateKey, publicKey: bob.publicKey });
  const fromPoint = ecdhP256(alice.privateKey, uncompressed(bob.publicKey));
  assert.equal(fromPoint.byteLength, 32);
  assert.deepEqual(Buffer.from(fromPoint), expected);
  assert.deepEqual(ecdhP256(bob.privateKey, uncompressed(alice.publicKey)), fromPoint);
  assert.deepEqual(ecdhP256(alice.privateKey, compressed(bob.publicKey)), fromPoint);
  assert.deepEqual(ecdhP256Spki(alice.privateKey, spki(bob.publicKey)), fromPoint);
  const jwk = bob.publicKey.export({ format: "jwk" });
  assert.deepEqual(ecdhP256(alice.privateKey, p256PointFromJwk(jwk)), fromPoint);
});

test("ECDH P-256: compressed points decompress to the same point, both parities", () => {
  for (let i = 0; i < 16; i++) {
    const { publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const full = decodeP256Point(uncompressed(publicKey));
    const fromCompressed = decodeP256Point(compressed(publicKey));
    assert.deepEqual(fromCompressed, full);
  }
});

test("ECDH P-256: identity, hybrid, off-curve and out-of-range points are rejected", () => {
  const point = uncompressed(bob.publicKey);
  const offCurve = Uint8Array.from(point);
  offCurve[64]! ^= 1;
  const hybrid = Uint8Array.from(point);
  hybrid[0] = 0x06 | (point[64]! & 1);
  const pBytes = Uint8Array.from(Buffer.from(p256.p.toString(16), "hex"));
  const xEqualsP = Uint8Array.of(0x04, ...pBytes, ...point.subarray(33));
  const compressedXEqualsP = Uint8Array.of(0x02, ...pBytes);
  for (const bad of [
    Uint8Array.of(0x00),
    new Uint8Array(65),
    offCurve,
    hybrid,
    xEqualsP,
    compressedXEqualsP,
    point.subarray(0, 64),
    Uint8Array.of(...point, 0),
    new Uint8Array(0),
  ]) {
    assert.throws(() => ecdhP256(alice.privateKey, bad), invalidInput, Buffer.from(bad).toString("hex"));
  }
  // x = 1: 1 - 3 + b is not a square mod p, so no P-256 point has this abscissa (an invalid-curve point).
  const xOne = new Uint8Array(32);
  xOne[31] = 1;
  for (const prefix of [0x02, 0x03]) {
    assert.throws(() => decodeP256Point(Uint8Array.of(prefix, ...xOne)), invalidInput);
  }
  // x = 0 is on the curve (b is a square mod p): both parities decode, to y and p - y.
  const even = decodeP256Point(Uint8Array.of(0x02, ...new Uint8Array(32)));
  const odd = decodeP256Point(Uint8Array.of(0x03, ...new Uint8Array(32)));
  assert.equal(even.y[31]! & 1, 0);
  assert.equal(odd.y[31]! & 1, 1);
  assert.throws(() => ecdhP256(alice.privateKey, "04" as never), invalidInput);
});

test("ECDH P-256: SPKI of other curves, explicit parameters or non-DER encodings is rejected", () => {
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const good = spki(bob.publicKey);
  const longForm = Uint8Array.of(0x30, 0x81, ...good.subarray(1));
  for (const bad of [spki(p384.publicKey), longForm, Uint8Array.of(...good, 0), good.subarray(0, good.length - 1)]) {
    assert.throws(() => ecdhP256Spki(alice.privateKey, bad), invalidInput);
    assert.throws(() => p256PointFromSpki(bad), invalidInput);
  }
});

test("ECDH P-256: JWK peer keys must be public P-256 keys with exact base64url coordinates", () => {
  const jwk = bob.publicKey.export({ format: "jwk" });
  const privateJwk = bob.privateKey.export({ format: "jwk" });
  for (const bad of [
    privateJwk,
    { ...jwk, crv: "P-384" },
    { ...jwk, kty: "RSA" },
    { ...jwk, x: `${jwk.x}=` },
    { ...jwk, x: jwk.x?.replace(/-/g, "+") + "+" },
    { ...jwk, y: jwk.y?.slice(1) },
    { ...jwk, x: jwk.y },
    null,
    "jwk",
  ]) {
    assert.throws(() => p256PointFromJwk(bad), invalidInput);
  }
});

test("ECDH P-256: own keys that are not P-256 private keys throw ERR_CRYPTO_INVALID_KEY", () => {
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const x25519 = generateKeyPairSync("x25519");
  const peer = uncompressed(bob.publicKey);
  for (const key of [alice.publicKey, p384.privateKey, x25519.privateKey]) {
    assert.throws(() => ecdhP256(key, peer), invalidKey);
    assert.throws(() => ecdhP256Spki(key, spki(bob.publicKey)), invalidKey);
  }
});
