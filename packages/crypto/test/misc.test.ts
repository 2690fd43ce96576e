import assert from "node:assert/strict";
import { test } from "node:test";
import { CryptoError, isCryptoError, randomBytes, randomBytesMax, timingSafeEqualBytes } from "../src/index.js";

test("CryptoError carries a stable code", () => {
  const error = new CryptoError("ERR_CRYPTO_ALGORITHM", "x");
  assert.ok(error instanceof Error);
  assert.equal(error.name, "CryptoError");
  assert.equal(error.code, "ERR_CRYPTO_ALGORITHM");
  assert.ok(isCryptoError(error) && isCryptoError(error, "ERR_CRYPTO_ALGORITHM"));
  assert.ok(!isCryptoError(error, "ERR_CRYPTO_INVALID_KEY") && !isCryptoError(new Error("x")));
});

test("randomBytes returns plain Uint8Arrays of the asked length and refuses bad lengths", () => {
  for (const n of [0, 1, 12, 32, randomBytesMax]) {
    const bytes = randomBytes(n);
    assert.equal(bytes.byteLength, n);
    assert.ok(!Buffer.isBuffer(bytes));
  }
  assert.notDeepEqual(randomBytes(32), randomBytes(32));
  for (const n of [-1, 1.5, Number.NaN, randomBytesMax + 1]) {
    assert.throws(() => randomBytes(n), (e) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"));
  }
});

test("timingSafeEqualBytes compares contents; different lengths are false", () => {
  const a = Uint8Array.of(1, 2, 3);
  assert.equal(timingSafeEqualBytes(a, Uint8Array.of(1, 2, 3)), true);
  assert.equal(timingSafeEqualBytes(a, Uint8Array.of(1, 2, 4)), false);
  assert.equal(timingSafeEqualBytes(a, Uint8Array.of(1, 2)), false);
  assert.equal(timingSafeEqualBytes(new Uint8Array(0), new Uint8Array(0)), true);
  assert.throws(() => timingSafeEqualBytes(a, "abc" as never), (e) => isCryptoError(e, "ERR_CRYPTO_INVALID_INPUT"));
});
