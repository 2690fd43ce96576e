import assert from "node:assert/strict";
import { constants, generateKeyPairSync, publicEncrypt } from "node:crypto";
import { test } from "node:test";
import { CryptoError, isCryptoError, rsaOaepDecrypt, rsaOaepEncrypt } from "../src/index.js";
import type { RsaOaepHash } from "../src/index.js";

const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const key = new Uint8Array(32).fill(7);
const label = new TextEncoder().encode("label");
const hashes: RsaOaepHash[] = ["sha1", "sha256"];

function decryptError(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (error) {
    assert.ok(isCryptoError(error, "ERR_CRYPTO_DECRYPT_FAILED"), String(error));
    return error;
  }
  assert.fail("decryption did not fail");
}

test("RSA-OAEP: round trip with SHA-1 and SHA-256, with and without label, node interop", () => {
  for (const hash of hashes) {
    const ct = rsaOaepEncrypt(publicKey, key, hash);
    assert.equal(ct.byteLength, 256);
    assert.deepEqual(rsaOaepDecrypt(privateKey, ct, hash), key);
    assert.deepEqual(rsaOaepDecrypt(privateKey, rsaOaepEncrypt(publicKey, key, hash, label), hash, label), key);
    const nodeCt = publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, key);
    assert.deepEqual(rsaOaepDecrypt(privateKey, nodeCt, hash), key);
    // The longest message that fits: k - 2hLen - 2 (RFC 8017 §7.1.1).
    const max = new Uint8Array(256 - 2 * (hash === "sha1" ? 20 : 32) - 2);
    assert.deepEqual(rsaOaepDecrypt(privateKey, rsaOaepEncrypt(publicKey, max, hash), hash), max);
    assert.throws(() => rsaOaepEncrypt(publicKey, new Uint8Array(max.length + 1), hash), (e) =>
      isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"),
    );
  }
});

test("RSA-OAEP: every failure is the same ERR_CRYPTO_DECRYPT_FAILED with the same message", () => {
  const ct = rsaOaepEncrypt(publicKey, key, "sha256", label);
  const tampered = Uint8Array.from(ct);
  tampered[100]! ^= 1;
  const errors = [
    decryptError(() => rsaOaepDecrypt(privateKey, tampered, "sha256", label)),
    decryptError(() => rsaOaepDecrypt(privateKey, ct, "sha256")), // label missing
    decryptError(() => rsaOaepDecrypt(privateKey, ct, "sha1", label)), // wrong hash
    decryptError(() => rsaOaepDecrypt(privateKey, ct.subarray(1), "sha256", label)), // k - 1 bytes
    decryptError(() => rsaOaepDecrypt(privateKey, Uint8Array.of(0, ...ct), "sha256", label)), // k + 1 bytes
    decryptError(() => rsaOaepDecrypt(privateKey, new Uint8Array(256).fill(0xff), "sha256")), // >= n
    decryptError(() => rsaOaepDecrypt(privateKey, new Uint8Array(256), "sha256")),
  ];
  assert.equal(new Set(errors.map((e) => e.message)).size, 1);
});

test("RSA-OAEP: small, non-RSA or wrong-kind keys throw ERR_CRYPTO_INVALID_KEY; unknown hashes ERR_CRYPTO_ALGORITHM", () => {
  const small = generateKeyPairSync("rsa", { modulusLength: 1024 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const pss = generateKeyPairSync("rsa-pss", { modulusLength: 2048 });
  const invalidKey = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_INVALID_KEY");
  for (const pub of [small.publicKey, ec.publicKey, pss.publicKey, privateKey]) {
    assert.throws(() => rsaOaepEncrypt(pub, key, "sha256"), invalidKey);
  }
  const ct = new Uint8Array(256);
  for (const priv of [small.privateKey, ec.privateKey, pss.privateKey, publicKey]) {
    assert.throws(() => rsaOaepDecrypt(priv, ct, "sha256"), invalidKey);
  }
  for (const hash of ["md5", "sha384", "SHA-256"]) {
    assert.throws(() => rsaOaepEncrypt(publicKey, key, hash as never), (e) => isCryptoError(e, "ERR_CRYPTO_ALGORITHM"));
    assert.throws(() => rsaOaepDecrypt(privateKey, ct, hash as never), (e) => isCryptoError(e, "ERR_CRYPTO_ALGORITHM"));
  }
});
