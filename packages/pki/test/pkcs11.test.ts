// The issuing CA key in a real PKCS#11 token (SoftHSM 2) through the optional pkcs11js binding. Both must be
// installed (CI: apt-get install softhsm2; npm ci builds pkcs11js): without them this file fails, it never skips.
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { verifyEcdsaP256 } from "@obol/crypto";
import {
  buildCrl, buildOcspRequest, buildOcspResponse, certifyIssuingCa, isPkiError, issueDeviceCertificate,
  issueServiceCertificate, validateCertificate,
} from "../src/index.js";
import type { IssuedCertificate, PkiErrorCode, SigningCa } from "../src/index.js";
import { destroyPkcs11KeyPair, generatePkcs11KeyPair, openPkcs11Signer, tokenKeyUri } from "../src/pkcs11/index.js";
import type { Pkcs11Config, Pkcs11Signer } from "../src/pkcs11/index.js";
import { CRL_URL, DAY_MS, OCSP_URL, makeCsr, makePki, pem, run, tempDir } from "./helpers.js";
import type { TestPki } from "./helpers.js";
import { pkcs11js, softHsmToken, type SoftHsmToken } from "./softhsm.js";

const now = new Date(); // openssl checks validity against the system clock
/**
 * A session straight through pkcs11js, beside the code under test. Same process, same library: C_Initialize
 * and the login state are shared with it, so "already" answers are expected.
 */
async function rawSession(token: SoftHsmToken, readWrite: boolean) {
  const p11 = await pkcs11js();
  const module = new p11.PKCS11();
  module.load(token.modulePath);
  const tolerate = (name: string, call: () => void) => {
    try { call(); } catch (error) { if ((error as Error).message !== name) throw error; }
  };
  tolerate("CKR_CRYPTOKI_ALREADY_INITIALIZED", () => module.C_Initialize({ flags: p11.CKF_OS_LOCKING_OK }));
  const slot = module.C_GetSlotList(true).find((s: Buffer) => module.C_GetTokenInfo(s).label.trim() === token.tokenLabel);
  const session = module.C_OpenSession(slot, p11.CKF_SERIAL_SESSION | (readWrite ? p11.CKF_RW_SESSION : 0));
  tolerate("CKR_USER_ALREADY_LOGGED_IN", () => module.C_Login(session, p11.CKU_USER, token.pin));
  return { p11, module, session };
}

const failsWith = (code: PkiErrorCode) => (error: unknown) => isPkiError(error, code);

describe("PKCS#11 (SoftHSM 2): the issuing CA key in a token", () => {
  const tmp = tempDir();
  let token: SoftHsmToken;
  let config: Pkcs11Config;
  let pki: TestPki;
  let signer: Pkcs11Signer;
  let ca: SigningCa;

  before(async () => {
    token = await softHsmToken();
    config = { modulePath: token.modulePath, tokenLabel: token.tokenLabel, pin: token.pin, keyLabel: "obol-issuing-ca" };
    pki = await makePki(new Date(now.getTime() - DAY_MS));
  });
  after(async () => {
    await signer?.close();
    token?.remove();
    tmp.remove();
  });

  it("key ceremony: the pair is generated in the token and the root certifies its public key", async () => {
    const generated = await generatePkcs11KeyPair(config);
    assert.equal(generated.uri, "pkcs11:token=obol-test;object=obol-issuing-ca;type=private");
    signer = await openPkcs11Signer(config);
    assert.ok(signer.publicKey.equals(generated.publicKey));
    const certificateDer = await certifyIssuingCa({ root: pki.root, subject: { commonName: "Obol Issuing CA (PKCS#11)", organization: "Obol" }, now, validityDays: 365, publicKey: signer.publicKey });
    ca = { certificateDer, signer };
  });

  it("the private key is a token object, sensitive, never extractable: its value cannot be read", async () => {
    const { p11, module, session } = await rawSession(token, false);
    try {
      module.C_FindObjectsInit(session, [{ type: p11.CKA_CLASS, value: p11.CKO_PRIVATE_KEY }, { type: p11.CKA_LABEL, value: config.keyLabel }]);
      const [key, ...others] = module.C_FindObjects(session, 10);
      module.C_FindObjectsFinal(session);
      assert.ok(key);
      assert.equal(others.length, 0);
      const flags = module.C_GetAttributeValue(session, key, [
        { type: p11.CKA_TOKEN }, { type: p11.CKA_SENSITIVE }, { type: p11.CKA_EXTRACTABLE }, { type: p11.CKA_ALWAYS_SENSITIVE }, { type: p11.CKA_NEVER_EXTRACTABLE },
      ]);
      assert.deepEqual(flags.map((a: { value: Buffer }) => a.value[0]), [1, 1, 0, 1, 1]);
      assert.throws(() => module.C_GetAttributeValue(session, key, [{ type: p11.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
    } finally {
      module.C_CloseSession(session);
    }
  });

  it("certificates, a CRL and OCSP responses signed in the token verify with openssl verify -crl_check and openssl ocsp", async () => {
    const base = { issuer: ca, partyType: "user" as const, now, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    const live: IssuedCertificate = await issueDeviceCertificate({ ...base, csrDer: (await makeCsr()).csrDer, partyId: "u-live" });
    const revoked: IssuedCertificate = await issueDeviceCertificate({ ...base, csrDer: (await makeCsr()).csrDer, partyId: "u-revoked" });
    const validation = validateCertificate({ certificateDer: live.certificateDer, trustedRootDer: pki.root.certificateDer, intermediatesDer: [ca.certificateDer], now, requiredKeyUsage: ["digitalSignature", "nonRepudiation"] });
    assert.equal(validation.ok, true);
    const crl = await buildCrl({ issuer: ca, revoked: [{ serialHex: revoked.serialHex, revokedAt: new Date(now.getTime() - 60_000), reason: "keyCompromise" }], crlNumber: 1, thisUpdate: new Date(now.getTime() - 60_000), nextUpdate: new Date(now.getTime() + DAY_MS) });
    const paths = {
      root: tmp.write("root.pem", pem(pki.root.certificateDer)),
      issuing: tmp.write("issuing.pem", pem(ca.certificateDer)),
      live: tmp.write("live.pem", pem(live.certificateDer)),
      revoked: tmp.write("revoked.pem", pem(revoked.certificateDer)),
      crl: tmp.write("crl.pem", pem(crl, "X509 CRL")),
    };
    const verify = (leaf: string) => run("openssl", ["verify", "-CAfile", paths.root, "-untrusted", paths.issuing, "-crl_check", "-CRLfile", paths.crl, leaf]);
    const ok = await verify(paths.live);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /live\.pem: OK/);
    const refused = await verify(paths.revoked);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /error 23 at 0 depth lookup: certificate revoked/);

    for (const [cert, expected] of [[live, "good"], [revoked, "revoked"]] as const) {
      const nonce = new Uint8Array(randomBytes(16));
      const request = buildOcspRequest(cert.certificateDer, ca.certificateDer, nonce);
      const response = await buildOcspResponse({
        issuer: ca, request,
        statusOf: (serial) => (serial === revoked.serialHex ? { revokedAt: new Date(now.getTime() - 60_000), reason: "keyCompromise" } : "good"),
        now, nextUpdate: new Date(now.getTime() + DAY_MS),
      });
      const certPath = expected === "good" ? paths.live : paths.revoked;
      // openssl reads our request (-no_nonce: add no second nonce to it) and the response, checks nonce and signature
      const r = await run("openssl", ["ocsp", "-sha256", "-reqin", tmp.write(`${expected}.req`, request), "-no_nonce", "-respin", tmp.write(`${expected}.resp`, response), "-issuer", paths.issuing, "-cert", certPath, "-CAfile", paths.root]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stderr + r.stdout, /Response verify OK/);
      assert.match(r.stdout, new RegExp(`${expected === "good" ? "live" : "revoked"}\\.pem: ${expected}`));
    }
  });

  it("signs concurrently requested data one at a time, every signature valid", async () => {
    const messages = Array.from({ length: 40 }, (_, i) => new Uint8Array(randomBytes(10 + i)));
    const signatures = await Promise.all(messages.map((m) => signer.sign(m)));
    signatures.forEach((signature, i) => assert.ok(verifyEcdsaP256(signer.publicKey, messages[i]!, signature, "p1363")));
    // service certificates too (the platform re-issues its own under the token CA after the ceremony)
    const serviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const service = await issueServiceCertificate({ issuer: ca, purpose: "signing", serviceName: "svc", publicKey: serviceKey, now, validityDays: 30 });
    const validation = validateCertificate({ certificateDer: service.certificateDer, trustedRootDer: pki.root.certificateDer, intermediatesDer: [ca.certificateDer], now, requiredKeyUsage: ["digitalSignature"] });
    assert.equal(validation.ok, true);
  });

  it("a wrong PIN is ERR_PKI_PKCS11_PIN, and the PIN appears in no message", async () => {
    await signer.close();
    await assert.rejects(signer.sign(Uint8Array.of(1)), failsWith("ERR_PKI_PKCS11_FAILED"));
    const wrongPin = "not-the-pin-1234";
    const error = await openPkcs11Signer({ ...config, pin: wrongPin }).then(() => undefined, (e: unknown) => e);
    assert.ok(isPkiError(error, "ERR_PKI_PKCS11_PIN"), String(error));
    for (const text of [error.message, String(error.cause), JSON.stringify(error)]) assert.ok(!text.includes(wrongPin) && !text.includes(token.pin));
    // the right PIN still works afterwards
    signer = await openPkcs11Signer(config);
  });

  it("missing token, missing key, an existing label, a bad module path: each its own code", async () => {
    await signer.close();
    await assert.rejects(openPkcs11Signer({ ...config, tokenLabel: "no-such-token" }), failsWith("ERR_PKI_PKCS11_TOKEN"));
    await assert.rejects(openPkcs11Signer({ ...config, keyLabel: "no-such-key" }), failsWith("ERR_PKI_PKCS11_KEY"));
    await assert.rejects(generatePkcs11KeyPair(config), failsWith("ERR_PKI_PKCS11_KEY"));
    await assert.rejects(openPkcs11Signer({ ...config, modulePath: tmp.write("not-a-module.so", "not an ELF file") }), failsWith("ERR_PKI_PKCS11_MODULE"));
    await assert.rejects(openPkcs11Signer({ ...config, modulePath: "relative/path.so" }), failsWith("ERR_PKI_INVALID_INPUT"));
    assert.equal(tokenKeyUri({ ...config, tokenLabel: "a;b=c d" }), "pkcs11:token=a%3Bb%3Dc%20d;object=obol-issuing-ca;type=private");
  });

  it("a key that could leave the token (extractable, not sensitive) is refused as a CA key", async () => {
    const { p11, module, session } = await rawSession(token, true);
    try {
      module.C_GenerateKeyPair(session, { mechanism: p11.CKM_EC_KEY_PAIR_GEN },
        [{ type: p11.CKA_TOKEN, value: true }, { type: p11.CKA_LABEL, value: "weak" }, { type: p11.CKA_EC_PARAMS, value: Buffer.from("06082a8648ce3d030107", "hex") }, { type: p11.CKA_VERIFY, value: true }],
        [{ type: p11.CKA_TOKEN, value: true }, { type: p11.CKA_LABEL, value: "weak" }, { type: p11.CKA_PRIVATE, value: true }, { type: p11.CKA_SENSITIVE, value: false }, { type: p11.CKA_EXTRACTABLE, value: true }, { type: p11.CKA_SIGN, value: true }]);
    } finally {
      module.C_CloseSession(session);
    }
    await assert.rejects(openPkcs11Signer({ ...config, keyLabel: "weak" }), (e) => isPkiError(e, "ERR_PKI_PKCS11_KEY") && /sensitive and not extractable/.test(e.message));
  });

  it("destroyPkcs11KeyPair removes both objects (the undo of a failed ceremony)", async () => {
    assert.equal(await destroyPkcs11KeyPair({ ...config, keyLabel: "weak" }), 2);
    await assert.rejects(openPkcs11Signer({ ...config, keyLabel: "weak" }), failsWith("ERR_PKI_PKCS11_KEY"));
    signer = await openPkcs11Signer(config); // the CA key is untouched
  });
});
