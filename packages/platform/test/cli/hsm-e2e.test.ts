/**
 * Issue 3, "a PKCS#11 token (SoftHSM) can hold the issuing key": the key ceremony through the real CLI
 * (`obol pki hsm-init`), then a real `obol start` that signs certificates, the CRL and OCSP answers in the
 * token, checked by openssl verify -crl_check and openssl ocsp over loopback HTTP; and the refusal of a wrong
 * PIN. Needs softhsm2 and the pkcs11js build (CI installs both): fails without them, never skips.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, X509Certificate } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { createCsr } from "@obol/pki";
import { freePort, spawnPlatform, waitReady, type PlatformProcess, runCli, seedDataDir, type CliResult } from "../support/platform-process.js";
import { pkcs11js, softHsmToken, type SoftHsmToken } from "../support/softhsm.js";

const run = promisify(execFile);
const passphrase = "hsm-e2e-test-key-passphrase";
let dir: string;
let token: SoftHsmToken;
let platform: PlatformProcess | undefined;

function obol(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli(args, { HOME: dir, ...env });
}

const baseEnv = () => ({ ...token.env, OBOL_DATA_DIR: join(dir, "data"), OBOL_KEY_PASSPHRASE: passphrase });

async function json(method: string, path: string, body?: unknown, bearer?: string): Promise<any> {
  const response = await fetch(platform!.url + path, {
    method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "obol-hsm-e2e-"));
  seedDataDir(join(dir, "data"));
  token = await softHsmToken(join(dir, "softhsm"));
  process.env.SOFTHSM2_CONF = token.env.SOFTHSM2_CONF; // for the direct pkcs11js checks in this process
});
after(async () => {
  await platform?.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

describe("the issuing CA key in a SoftHSM token, end to end", () => {
  let issuingPem: string;

  test("obol pki hsm-init: the key ceremony generates the key in the token and the root certifies it", async () => {
    const ceremony = await obol(["pki", "hsm-init"], baseEnv());
    assert.equal(ceremony.code, 0, ceremony.stderr + ceremony.stdout);
    assert.match(ceremony.stdout, /issuing CA key generated in the token: pkcs11:token=obol-test;object=obol-issuing-ca;type=private/);
    issuingPem = /-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.exec(ceremony.stdout)![0];
    assert.match(new X509Certificate(issuingPem).subject, /CN=Obol Issuing CA 2/);
    assert.ok(!(ceremony.stdout + ceremony.stderr).includes(token.pin), "the PIN is never printed");
    const again = await obol(["pki", "hsm-init"], baseEnv());
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ERR_PKI_CEREMONY_REFUSED/);
  });

  test("in the token: the private key is sensitive and never extractable, the public key is the certified one", async () => {
    const p11 = await pkcs11js();
    const module = new p11.PKCS11();
    module.load(token.modulePath);
    module.C_Initialize();
    try {
      const slot = module.C_GetSlotList(true).find((s: Buffer) => module.C_GetTokenInfo(s).label.trim() === token.tokenLabel);
      const session = module.C_OpenSession(slot, p11.CKF_SERIAL_SESSION);
      module.C_Login(session, p11.CKU_USER, token.pin);
      const find = (objectClass: number) => {
        module.C_FindObjectsInit(session, [{ type: p11.CKA_CLASS, value: objectClass }, { type: p11.CKA_LABEL, value: "obol-issuing-ca" }]);
        const found = module.C_FindObjects(session, 10);
        module.C_FindObjectsFinal(session);
        assert.equal(found.length, 1);
        return found[0];
      };
      const privateKey = find(p11.CKO_PRIVATE_KEY);
      const flags = module.C_GetAttributeValue(session, privateKey, [{ type: p11.CKA_SENSITIVE }, { type: p11.CKA_EXTRACTABLE }, { type: p11.CKA_NEVER_EXTRACTABLE }, { type: p11.CKA_TOKEN }]);
      assert.deepEqual(flags.map((a: { value: Buffer }) => a.value[0]), [1, 0, 1, 1]);
      assert.throws(() => module.C_GetAttributeValue(session, privateKey, [{ type: p11.CKA_VALUE }]), /CKR_ATTRIBUTE_SENSITIVE/);
      const [point] = module.C_GetAttributeValue(session, find(p11.CKO_PUBLIC_KEY), [{ type: p11.CKA_EC_POINT }]);
      const spki = Buffer.concat([Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex"), point.value.subarray(2)]);
      assert.deepEqual(new X509Certificate(issuingPem).publicKey.export({ format: "der", type: "spki" }), spki);
      module.C_CloseSession(session);
    } finally {
      module.C_Finalize();
    }
  });

  test("obol start signs in the token: enrolment, openssl verify -crl_check and openssl ocsp, before and after revocation", async () => {
    platform = spawnPlatform({ port: await freePort(), args: ["--demo"], env: baseEnv() });
    await waitReady(platform);
    const adminPassword = /operator\s+admin\s+password (\S+)/.exec(platform.output())![1]!;
    const userPassword = /\+254700000001\s+password (\S+)/.exec(platform.output())![1]!;
    assert.ok(!platform.output().includes(token.pin), "the PIN is never logged");
    const ca = await json("GET", "/pki/ca");
    assert.equal(ca.issuing.trim(), issuingPem.trim());

    const admin = await json("POST", "/v1/admin/login", { username: "admin", password: adminPassword });
    const { code } = await json("POST", "/v1/admin/enrolment-codes", { msisdn: "+254700000001" }, admin.token);
    const user = await json("POST", "/v1/auth/login", { msisdn: "+254700000001", password: userPassword });
    const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const enrolled = await json("POST", "/v1/pki/enrol", { code, csr: Buffer.from(await createCsr(deviceKey, "phone")).toString("base64") }, user.token);
    assert.ok(enrolled.serial, JSON.stringify(enrolled));
    const paths = {
      root: join(dir, "root.pem"), issuing: join(dir, "issuing.pem"), device: join(dir, "device.pem"), signing: join(dir, "signing.pem"),
      crlDer: join(dir, "crl.der"), crl: join(dir, "crl.pem"),
    };
    await writeFile(paths.root, ca.root);
    await writeFile(paths.issuing, enrolled.chain[0]);
    await writeFile(paths.device, enrolled.certificate);
    await writeFile(paths.signing, ca.signing);
    assert.equal(enrolled.chain[0].trim(), issuingPem.trim());

    const check = async () => {
      await writeFile(paths.crlDer, Buffer.from(await (await fetch(`${platform!.url}/pki/crl`)).arrayBuffer()));
      await run("openssl", ["crl", "-inform", "DER", "-in", paths.crlDer, "-out", paths.crl]);
      const ocsp = await run("openssl", ["ocsp", "-sha256", "-issuer", paths.issuing, "-cert", paths.device, "-url", `${platform!.url}/pki/ocsp`, "-CAfile", paths.root]);
      const verify = await run("openssl", ["verify", "-CAfile", paths.root, "-untrusted", paths.issuing, "-crl_check", "-CRLfile", paths.crl, paths.device]).then(
        (r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
      return { ocsp: ocsp.stdout + ocsp.stderr, verify };
    };
    const live = await check();
    assert.match(live.ocsp, /Response verify OK/);
    assert.match(live.ocsp, /device\.pem: good/);
    assert.match(live.verify, /device\.pem: OK/);
    // the platform's signing certificate was re-issued under the token CA
    const signing = await run("openssl", ["verify", "-CAfile", paths.root, "-untrusted", paths.issuing, paths.signing]);
    assert.match(signing.stdout, /signing\.pem: OK/);

    const revoked = await json("POST", `/v1/me/certificates/${enrolled.serial}/revoke`, {}, user.token);
    assert.ok(!revoked.error, JSON.stringify(revoked));
    const after = await check();
    assert.match(after.ocsp, /Response verify OK/);
    assert.match(after.ocsp, /device\.pem: revoked/);
    assert.match(after.verify, /certificate revoked/);
    assert.equal(await platform.kill("SIGTERM"), 0);
    platform = undefined;
  });

  test("refused at start with a wrong or missing PIN; the PIN is shown nowhere (token-keys.test.ts has the other refusals)", async () => {
    const wrongPin = "not-the-user-pin";
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ OBOL_PKCS11_PIN: wrongPin }, /obol: PKCS#11: C_Login failed \(CKR_PIN_INCORRECT\) \(ERR_PKI_PKCS11_PIN\)/],
      [{ OBOL_PKCS11_PIN: "" }, /OBOL_PKCS11_PIN is required .*\(ERR_CONFIG\)/],
    ];
    for (const [env, expected] of cases) {
      const started = await obol(["start", "--port", String(await freePort())], { ...baseEnv(), ...env });
      assert.equal(started.code, 1, started.stdout + started.stderr);
      assert.match(started.stderr, expected);
      assert.ok(!(started.stdout + started.stderr).includes(token.pin) && !started.stderr.includes(wrongPin));
    }
  });
});
