import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { test } from "node:test";
import {
  ecdsaP256DerToP1363,
  ecdsaP256P1363ToDer,
  isCryptoError,
  p256,
  signEcdsaP256,
  verifyEcdsaP256,
} from "../src/index.js";
import type { EcdsaSignatureEncoding } from "../src/index.js";

const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
const data = new TextEncoder().encode("pay 12.50 EUR to wallet 42");
const encodings: EcdsaSignatureEncoding[] = ["p1363", "der"];

function p1363(r: bigint, s: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(r.toString(16).padStart(64, "0") + s.toString(16).padStart(64, "0"), "hex"));
}

test("ECDSA P-256: sign/verify round trip in both encodings, cross-checked with node:crypto", () => {
  for (const encoding of encodings) {
    const dsaEncoding = encoding === "p1363" ? "ieee-p1363" : "der";
    const signature = signEcdsaP256(privateKey, data, encoding);
    assert.ok(signature instanceof Uint8Array && !Buffer.isBuffer(signature));
    if (encoding === "p1363") assert.equal(signature.byteLength, 64);
    assert.equal(verifyEcdsaP256(publicKey, data, signature, encoding), true);
    assert.equal(verify("sha256", data, { key: publicKey, dsaEncoding }, signature), true);
    const nodeSignature = sign("sha256", data, { key: privateKey, dsaEncoding });
    assert.equal(verifyEcdsaP256(publicKey, data, nodeSignature, encoding), true);
  }
});

test("ECDSA P-256: p1363 <-> DER conversion agrees with node:crypto", () => {
  for (let i = 0; i < 32; i++) {
    const der = sign("sha256", data, { key: privateKey, dsaEncoding: "der" });
    const raw = ecdsaP256DerToP1363(der);
    assert.equal(raw.byteLength, 64);
    assert.equal(verify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, raw), true);
    assert.deepEqual(Buffer.from(ecdsaP256P1363ToDer(raw)), der);
    assert.equal(verifyEcdsaP256(publicKey, data, raw, "p1363"), true);
  }
  // Small r and s need no padding in DER and must get their 0x00 sign byte when the top bit is set.
  assert.equal(Buffer.from(ecdsaP256P1363ToDer(p1363(1n, 0x80n))).toString("hex"), "300702010102020080");
  assert.deepEqual(ecdsaP256DerToP1363(ecdsaP256P1363ToDer(p1363(1n, 0x80n))), p1363(1n, 0x80n));
});

test("ECDSA P-256: wrong data or a modified signature is false", () => {
  for (const encoding of encodings) {
    const signature = signEcdsaP256(privateKey, data, encoding);
    assert.equal(verifyEcdsaP256(publicKey, Uint8Array.of(...data, 0), signature, encoding), false);
    const flipped = Uint8Array.from(signature);
    flipped[flipped.length - 1]! ^= 1;
    assert.equal(verifyEcdsaP256(publicKey, data, flipped, encoding), false);
    assert.equal(verifyEcdsaP256(publicKey, data, new Uint8Array(0), encoding), false);
    assert.equal(verifyEcdsaP256(publicKey, data, Uint8Array.of(...signature, 0), encoding), false);
    assert.equal(verifyEcdsaP256(publicKey, data, "not bytes" as unknown as Uint8Array, encoding), false);
  }
});

test("ECDSA P-256: r or s outside [1, n-1] is false, never an exception", () => {
  const good = signEcdsaP256(privateKey, data, "p1363");
  const r = BigInt(`0x${Buffer.from(good.subarray(0, 32)).toString("hex")}`);
  const s = BigInt(`0x${Buffer.from(good.subarray(32)).toString("hex")}`);
  for (const [rr, ss] of [
    [0n, s],
    [r, 0n],
    [0n, 0n],
    [p256.n, s],
    [r, p256.n],
    [p256.n + 1n, s],
    [(1n << 256n) - 1n, s],
    [r, (1n << 256n) - 1n],
  ] as const) {
    assert.equal(verifyEcdsaP256(publicKey, data, p1363(rr, ss), "p1363"), false);
  }
  // s and n - s both verify mathematically (ECDSA malleability); both are accepted, as FIPS 186-5 requires.
  assert.equal(verifyEcdsaP256(publicKey, data, p1363(r, p256.n - s), "p1363"), true);
});

test("ECDSA P-256: BER variants of a valid DER signature are false", () => {
  const der = Buffer.from(signEcdsaP256(privateKey, data, "der"));
  const body = der.subarray(2);
  const variants: Buffer[] = [
    Buffer.concat([Buffer.from([0x30, 0x81, body.length]), body]), // long-form length
    Buffer.concat([der, Buffer.from([0x00])]), // trailing byte
    Buffer.concat([Buffer.from([0x30, 0x80]), body, Buffer.from([0, 0])]), // indefinite length
    Buffer.from([0x31, ...der.subarray(1)]), // SET instead of SEQUENCE
  ];
  // r with a superfluous leading 0x00
  const rLength = der[3]!;
  const r = der.subarray(4, 4 + rLength);
  const rest = der.subarray(4 + rLength);
  const paddedR = Buffer.concat([Buffer.from([0x02, rLength + 1, 0x00]), r, rest]);
  variants.push(Buffer.concat([Buffer.from([0x30, paddedR.length]), paddedR]));
  // r negated (top bit set without a sign byte) when r has a sign byte to drop
  if (r[0] === 0x00) {
    const negR = Buffer.concat([Buffer.from([0x02, rLength - 1]), r.subarray(1), rest]);
    variants.push(Buffer.concat([Buffer.from([0x30, negR.length]), negR]));
  }
  for (const variant of variants) {
    assert.equal(verifyEcdsaP256(publicKey, data, variant, "der"), false, variant.toString("hex"));
    assert.throws(() => ecdsaP256DerToP1363(variant), (e) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"));
  }
});

test("ECDSA P-256: DER integers must be minimal and non-negative (X.690 §8.3.2)", () => {
  const refused = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT");
  const der = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
  assert.deepEqual(ecdsaP256DerToP1363(der("3006020101020101")), p1363(1n, 1n));
  for (const bad of [
    "300702020001020101", // r = 1 with a superfluous 0x00
    "300702010102020001", // s likewise
    "3006020181020101", // r = -127
    "30060201ff020101", // r = -1
    "3006020100020101", // r = 0
    "30050200020101", // empty INTEGER
    "3006020101020101" + "00", // trailing byte
    "308106020101020101", // long-form sequence length
    "30070281010102 0101".replace(" ", ""), // long-form integer length
  ]) {
    assert.throws(() => ecdsaP256DerToP1363(der(bad)), refused, bad);
  }
  // A real signature whose r has its top bit clear, re-sent with a superfluous 0x00: verify must say false.
  for (let i = 0; i < 256; i++) {
    const sig = Buffer.from(signEcdsaP256(privateKey, data, "der"));
    if (sig[3] !== 32 || (sig[4]! & 0x80) !== 0) continue;
    const body = Buffer.concat([Buffer.from([0x02, 33, 0x00]), sig.subarray(4)]);
    const padded = Buffer.concat([Buffer.from([0x30, body.length]), body]);
    assert.equal(verifyEcdsaP256(publicKey, data, sig, "der"), true);
    assert.equal(verifyEcdsaP256(publicKey, data, padded, "der"), false);
    return;
  }
  assert.fail("no signature with a 32-byte r in 256 tries");
});

test("ECDSA P-256: keys that are not P-256 of the right kind throw ERR_CRYPTO_INVALID_KEY", () => {
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" });
  const ed = generateKeyPairSync("ed25519");
  const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const sig = signEcdsaP256(privateKey, data, "p1363");
  const invalidKey = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_INVALID_KEY");
  for (const key of [p384.privateKey, ed.privateKey, rsa.privateKey, publicKey]) {
    assert.throws(() => signEcdsaP256(key, data, "p1363"), invalidKey);
  }
  for (const key of [p384.publicKey, ed.publicKey, rsa.publicKey, privateKey]) {
    assert.throws(() => verifyEcdsaP256(key, data, sig, "p1363"), invalidKey);
  }
  assert.throws(() => verifyEcdsaP256(null as never, data, sig, "p1363"), invalidKey);
});

test("ECDSA P-256: unknown encodings and non-byte data are refused", () => {
  const sig = signEcdsaP256(privateKey, data, "p1363");
  assert.throws(() => signEcdsaP256(privateKey, data, "ieee-p1363" as never), (e) => isCryptoError(e, "ERR_CRYPTO_ALGORITHM"));
  assert.throws(() => verifyEcdsaP256(publicKey, data, sig, "raw" as never), (e) => isCryptoError(e, "ERR_CRYPTO_ALGORITHM"));
  assert.throws(() => signEcdsaP256(privateKey, "text" as never, "der"), (e) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"));
  assert.throws(() => ecdsaP256P1363ToDer(p1363(0n, 1n)), (e) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"));
});
