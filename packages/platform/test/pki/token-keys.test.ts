// The key ceremony and the loading of an issuing CA key held in a real SoftHSM token, in process: what the
// platform refuses at start (wrong PIN, token, key; a token key without settings; settings without a token
// key), and the ceremony's own refusals and rollback. hsm-e2e.test.ts runs the same through the real CLI.
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { openPkcs11Signer, type Pkcs11Config } from "@obol/pki/pkcs11";
import { sql } from "kysely";
import { loadConfig } from "../../src/config.js";
import { moveIssuingKeyToToken } from "../../src/modules/pki/hsm-ceremony.js";
import { loadOrCreateKeys } from "../../src/modules/pki/keys.js";
import { createPlatform, type Platform } from "../../src/platform.js";
import { softHsmToken, type SoftHsmToken } from "../support/softhsm.js";

const passphrase = "token-keys-test-passphrase";
const urls = { ocspUrl: "http://127.0.0.1:1/pki/ocsp", crlUrl: "http://127.0.0.1:1/pki/crl" };
const withCode = (code: string, message?: RegExp) => (error: unknown) =>
  (error as { code?: string }).code === code && (message === undefined || message.test((error as Error).message));

describe("issuing CA key in a token: ceremony and loading", () => {
  let dir: string;
  let token: SoftHsmToken;
  let pkcs11: Pkcs11Config;
  let platform: Platform;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "obol-token-keys-"));
    token = await softHsmToken(dir);
    process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF; // read once, when this process initialises the module
    const config = loadConfig({ ...token.env, OBOL_KEY_PASSPHRASE: passphrase });
    pkcs11 = config.pkcs11!;
    await assert.rejects(createPlatform(config, { logger: false, memory: true }), withCode("ERR_CONFIG", /still sealed.*obol pki hsm-init/));
    platform = await createPlatform(config, { logger: false, memory: true, sealedIssuingKeyAllowed: true });
  });
  after(async () => {
    await platform?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const ceremony = (overrides: Partial<Pkcs11Config> = {}, keys = platform.services.pki.keys) =>
    moveIssuingKeyToToken({ db: platform.services.db, keys, pkcs11: { ...pkcs11, ...overrides }, now: new Date(), urls, audit: platform.services.audit });

  test("a wrong PIN stops the ceremony before anything is generated", async () => {
    await assert.rejects(ceremony({ pin: "wrong-pin-0000" }), withCode("ERR_PKI_PKCS11_PIN"));
    await assert.rejects(openPkcs11Signer(pkcs11), withCode("ERR_PKI_PKCS11_KEY"), "no key was left in the token");
  });

  test("the ceremony moves the issuing key into the token; loading then opens it there", async () => {
    const before = platform.services.pki.keys;
    const outcome = await ceremony();
    const stored = (await sql<{ name: string; sealed_private_key: string | null; token_key_uri: string | null; certificate: Uint8Array }>`
      SELECT name, sealed_private_key, token_key_uri, certificate FROM pki_keys ORDER BY name`.execute(platform.services.db)).rows;
    const issuing = stored.find((r) => r.name === "issuing_ca")!;
    assert.deepEqual([issuing.sealed_private_key, issuing.token_key_uri], [null, outcome.uri]);
    assert.deepEqual(new Uint8Array(issuing.certificate), outcome.issuingCertificateDer);
    for (const name of ["signing", "encryption"]) {
      const certificate = new X509Certificate(stored.find((r) => r.name === name)!.certificate);
      assert.ok(certificate.verify(new X509Certificate(outcome.issuingCertificateDer).publicKey), `${name} re-issued under the token CA`);
    }
    assert.ok(new X509Certificate(outcome.issuingCertificateDer).verify(new X509Certificate(before.root.certificateDer).publicKey));

    const keys = await loadOrCreateKeys(platform.services.db, passphrase, new Date(), urls, undefined, pkcs11);
    try {
      assert.equal(keys.issuingKeyLocation, "pkcs11:token=obol-test;object=obol-issuing-ca;type=private");
      assert.ok(keys.issuing.signer.publicKey.equals(new X509Certificate(outcome.issuingCertificateDer).publicKey));
    } finally {
      await keys.close();
    }
    const audit = await platform.services.audit.verify();
    assert.equal(audit.ok, true);
  });

  test("loading refuses a wrong PIN, token or key label, and a token key without PKCS#11 settings", async () => {
    const load = (settings: Pkcs11Config | undefined) => loadOrCreateKeys(platform.services.db, passphrase, new Date(), urls, undefined, settings);
    await assert.rejects(load({ ...pkcs11, pin: "wrong-pin-1111" }), withCode("ERR_PKI_PKCS11_PIN"));
    await assert.rejects(load({ ...pkcs11, tokenLabel: "elsewhere" }), withCode("ERR_PKI_PKCS11_TOKEN"));
    await assert.rejects(load({ ...pkcs11, keyLabel: "other-key" }), withCode("ERR_PKI_PKCS11_KEY"));
    await assert.rejects(load({ ...pkcs11, modulePath: "/nonexistent/libpkcs11.so" }), withCode("ERR_PKI_PKCS11_MODULE"));
    await assert.rejects(load(undefined), withCode("ERR_CONFIG", /held in a PKCS#11 token \(pkcs11:token=obol-test/));
  });

  test("the ceremony refuses a second run, and rolls a half-done one back (the token key is destroyed)", async () => {
    const moved = await loadOrCreateKeys(platform.services.db, passphrase, new Date(), urls, undefined, pkcs11);
    await moved.close();
    await assert.rejects(ceremony({}, moved), withCode("ERR_PKI_CEREMONY_REFUSED", /already in a token/));
    // Keys loaded before the first ceremony still say "sealed": generation succeeds, the database refuses.
    await assert.rejects(ceremony({ keyLabel: "obol-issuing-ca-2" }), withCode("ERR_PKI_CEREMONY_REFUSED", /changed meanwhile/));
    await assert.rejects(openPkcs11Signer({ ...pkcs11, keyLabel: "obol-issuing-ca-2" }), withCode("ERR_PKI_PKCS11_KEY"));
  });

  test("the ceremony refuses once device certificates exist", async () => {
    await sql`INSERT INTO pki_certificates (serial, compact_id, party_type, party_id, certificate, not_before, not_after)
              VALUES ('01', 'AAAAAAAAAAAAAAAAAAAAAA', 'user', gen_random_uuid(), '\\x00'::bytea, now(), now())`.execute(platform.services.db);
    await assert.rejects(ceremony({ keyLabel: "obol-issuing-ca-3" }), withCode("ERR_PKI_CEREMONY_REFUSED", /1 device certificates/));
  });
});
