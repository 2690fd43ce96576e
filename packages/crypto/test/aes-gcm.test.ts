import assert from "node:assert/strict";
import { createCipheriv } from "node:crypto";
import { test } from "node:test";
import { aesGcmDecrypt, aesGcmEncrypt, isCryptoError, randomBytes } from "../src/index.js";

const plaintext = new TextEncoder().encode("<CipherData>transfer 42</CipherData>");
const aad = new TextEncoder().encode("header");
const decryptFailed = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_DECRYPT_FAILED");
const algorithm = (e: unknown) => isCryptoError(e, "ERR_CRYPTO_ALGORITHM");

test("AES-GCM: round trip for AES-128 and AES-256, with and without AAD, empty plaintext", () => {
  for (const keyBytes of [16, 32]) {
    const key = randomBytes(keyBytes);
    const iv = randomBytes(12);
    for (const message of [plaintext, new Uint8Array(0)]) {
      const sealed = aesGcmEncrypt(key, iv, message, aad);
      assert.equal(sealed.byteLength, message.byteLength + 16);
      assert.deepEqual(aesGcmDecrypt(key, iv, sealed, aad), message);
      // No AAD and empty AAD are the same thing in GCM (SP 800-38D §7.1: A may be empty).
      const noAad = aesGcmEncrypt(key, iv, message);
      assert.deepEqual(aesGcmEncrypt(key, iv, message, new Uint8Array(0)), noAad);
      assert.deepEqual(aesGcmDecrypt(key, iv, noAad), message);
    }
  }
});

test("AES-GCM: output is ciphertext || tag exactly as node:crypto computes it", () => {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(aad);
  const expected = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  assert.deepEqual(Buffer.from(aesGcmEncrypt(key, iv, plaintext, aad)), expected);
});

test("AES-GCM: any modification, wrong key, IV or AAD is ERR_CRYPTO_DECRYPT_FAILED", () => {
  const key = randomBytes(16);
  const iv = randomBytes(12);
  const sealed = aesGcmEncrypt(key, iv, plaintext, aad);
  for (let i = 0; i < sealed.byteLength; i++) {
    const tampered = Uint8Array.from(sealed);
    tampered[i]! ^= 0x01;
    assert.throws(() => aesGcmDecrypt(key, iv, tampered, aad), decryptFailed, `byte ${i}`);
  }
  assert.throws(() => aesGcmDecrypt(randomBytes(16), iv, sealed, aad), decryptFailed);
  assert.throws(() => aesGcmDecrypt(key, randomBytes(12), sealed, aad), decryptFailed);
  assert.throws(() => aesGcmDecrypt(key, iv, sealed), decryptFailed);
  assert.throws(() => aesGcmDecrypt(key, iv, sealed.subarray(0, sealed.length - 1), aad), decryptFailed);
  assert.throws(() => aesGcmDecrypt(key, iv, sealed.subarray(0, 15), aad), decryptFailed);
  assert.throws(() => aesGcmDecrypt(key, iv, new Uint8Array(0)), decryptFailed);
});

test("AES-GCM: parameters outside the allow-list are ERR_CRYPTO_ALGORITHM", () => {
  for (const [keyBytes, ivBytes] of [
    [24, 12],
    [8, 12],
    [0, 12],
    [16, 16],
    [16, 8],
    [32, 0],
  ] as const) {
    const key = new Uint8Array(keyBytes);
    const iv = new Uint8Array(ivBytes);
    assert.throws(() => aesGcmEncrypt(key, iv, plaintext), algorithm);
    assert.throws(() => aesGcmDecrypt(key, iv, new Uint8Array(32)), algorithm);
  }
  assert.throws(() => aesGcmEncrypt(new Uint8Array(16), new Uint8Array(12), "text" as never), (e) =>
    isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"),
  );
});
