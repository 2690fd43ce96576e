import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { describe, it } from "node:test";
import { isPkiError, openPrivateKey, openPrivateKeyAsync, sealPrivateKey, sealPrivateKeyAsync, sealPassphraseCharsMin } from "../src/index.js";

const PASSPHRASE = "correct horse battery staple";

describe("sealed private keys", () => {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const sealed = sealPrivateKey(key, PASSPHRASE);

  it("round-trips a P-256 key and the format is the documented v1 line", () => {
    assert.match(
      sealed,
      /^obol-sealed-key:v1:scrypt-aes-256-gcm:ln=15,r=8,p=1:[A-Za-z0-9_-]{22}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/,
    );
    const opened = openPrivateKey(sealed, PASSPHRASE);
    assert.deepEqual(opened.export({ format: "jwk" }), key.export({ format: "jwk" }));
    const signature = sign("sha256", Buffer.from("x"), opened);
    assert.equal(verify("sha256", Buffer.from("x"), key, signature), true);
  });

  it("the async variants write and read the same format: each opens what the other sealed, with the same errors", async () => {
    const sealedAsync = await sealPrivateKeyAsync(key, PASSPHRASE);
    assert.match(sealedAsync, /^obol-sealed-key:v1:scrypt-aes-256-gcm:ln=15,r=8,p=1:/);
    assert.deepEqual(openPrivateKey(sealedAsync, PASSPHRASE).export({ format: "jwk" }), key.export({ format: "jwk" }));
    assert.deepEqual((await openPrivateKeyAsync(sealed, PASSPHRASE)).export({ format: "jwk" }), key.export({ format: "jwk" }));
    await assert.rejects(openPrivateKeyAsync(sealed, `${PASSPHRASE}!`), (e) => isPkiError(e, "ERR_PKI_BAD_PASSPHRASE"));
    await assert.rejects(openPrivateKeyAsync(sealed.slice(0, -4), PASSPHRASE), (e) => isPkiError(e));
    await assert.rejects(sealPrivateKeyAsync(key, "elevenchars"), (e) => isPkiError(e, "ERR_PKI_WEAK_PASSPHRASE"));
  });

  it("uses a fresh salt and IV each time", () => {
    assert.notEqual(sealPrivateKey(key, PASSPHRASE), sealed);
  });

  it("wrong passphrase → ERR_PKI_BAD_PASSPHRASE; NFC and NFD spellings are the same passphrase", () => {
    assert.throws(() => openPrivateKey(sealed, `${PASSPHRASE}!`), (e) => isPkiError(e, "ERR_PKI_BAD_PASSPHRASE"));
    assert.throws(() => openPrivateKey(sealed, "short"), (e) => isPkiError(e, "ERR_PKI_BAD_PASSPHRASE"));
    const nfc = "caf\u00e9 au lait noir";
    const s = sealPrivateKey(key, nfc);
    assert.ok(openPrivateKey(s, "cafe\u0301 au lait noir"));
  });

  it("refuses passphrases shorter than 12 characters", () => {
    assert.equal(sealPassphraseCharsMin, 12);
    assert.throws(() => sealPrivateKey(key, "elevenchars"), (e) => isPkiError(e, "ERR_PKI_WEAK_PASSPHRASE"));
    assert.ok(sealPrivateKey(key, "twelve chars").startsWith("obol-sealed-key:v1:"));
  });

  it("tampering anywhere is detected; format damage is ERR_PKI_SEALED_FORMAT", () => {
    const parts = sealed.split(":");
    const body = parts[6]!;
    const flipped = [...parts.slice(0, 6), (body[0] === "A" ? "B" : "A") + body.slice(1)].join(":");
    assert.throws(() => openPrivateKey(flipped, PASSPHRASE), (e) => isPkiError(e, "ERR_PKI_BAD_PASSPHRASE"));
    // header is authenticated: a different (still allowed) N gives a different key and fails the tag
    assert.throws(() => openPrivateKey(sealed.replace("ln=15", "ln=16"), PASSPHRASE), (e) => isPkiError(e, "ERR_PKI_BAD_PASSPHRASE"));
    for (const bad of [
      "",
      "hello",
      sealed.replace(":v1:", ":v2:"),
      sealed.replace("ln=15", "ln=14"),
      sealed.replace("ln=15", "ln=30"),
      sealed.replace("r=8", "r=1"),
      `${sealed}=`,
      sealed.replace(parts[4]!, parts[4]!.slice(2)),
      "x".repeat(20_000),
    ]) {
      assert.throws(() => openPrivateKey(bad, PASSPHRASE), (e) => isPkiError(e, "ERR_PKI_SEALED_FORMAT"), bad.slice(0, 60));
    }
  });

  it("round-trips an RSA key", () => {
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const opened = openPrivateKey(sealPrivateKey(rsa, PASSPHRASE), PASSPHRASE);
    assert.equal(opened.asymmetricKeyDetails?.modulusLength, 2048);
  });
});
