// OBOL_PKCS11_*: all or nothing, the PIN never in a message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { loadConfig } from "../../src/config.js";

const pin = "secret-user-pin-9876";
const full = { OBOL_PKCS11_MODULE: "/usr/lib/softhsm/libsofthsm2.so", OBOL_PKCS11_TOKEN_LABEL: "obol", OBOL_PKCS11_PIN: pin };

function refusal(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.equal((error as { code?: string }).code, "ERR_CONFIG");
    const message = (error as Error).message;
    assert.ok(!message.includes(pin), "the PIN is not in the message");
    return message;
  }
  assert.fail("accepted");
}

describe("PKCS#11 settings", () => {
  test("unset: the issuing key stays sealed in the database", () => {
    assert.equal(loadConfig({}).pkcs11, undefined);
  });

  test("complete: module, token, PIN, and the default key label", () => {
    assert.deepEqual(loadConfig(full).pkcs11, { modulePath: full.OBOL_PKCS11_MODULE, tokenLabel: "obol", pin, keyLabel: "obol-issuing-ca" });
    assert.equal(loadConfig({ ...full, OBOL_PKCS11_KEY_LABEL: "ca-2" }).pkcs11?.keyLabel, "ca-2");
  });

  test("half-configured or malformed settings are refused with ERR_CONFIG", () => {
    assert.match(refusal({ OBOL_PKCS11_PIN: pin }), /OBOL_PKCS11_PIN set without OBOL_PKCS11_MODULE/);
    assert.match(refusal({ OBOL_PKCS11_TOKEN_LABEL: "obol", OBOL_PKCS11_KEY_LABEL: "k" }), /OBOL_PKCS11_TOKEN_LABEL, OBOL_PKCS11_KEY_LABEL set without/);
    assert.match(refusal({ ...full, OBOL_PKCS11_MODULE: "libsofthsm2.so" }), /absolute path/);
    assert.match(refusal({ ...full, OBOL_PKCS11_PIN: "" }), /OBOL_PKCS11_PIN is required/);
    assert.match(refusal({ ...full, OBOL_PKCS11_TOKEN_LABEL: "" }), /OBOL_PKCS11_TOKEN_LABEL is required/);
    assert.match(refusal({ ...full, OBOL_PKCS11_TOKEN_LABEL: "x".repeat(33) }), /1 to 32 bytes/);
    assert.match(refusal({ ...full, OBOL_PKCS11_KEY_LABEL: "bad label" }), /OBOL_PKCS11_KEY_LABEL/);
  });
});
