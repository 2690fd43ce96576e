/**
 * Issue 3 end to end, as a user would: a real `obol start` process (embedded storage), and the
 * `obol wallet` CLI enrolling, paying by signed XML message, revoking, and being refused.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { promisify } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, spawnPlatform, waitReady, type PlatformProcess, runCli, type CliResult } from "../support/platform-process.js";

const run = promisify(execFile);
let dir: string;

/** The real OpenSSL asks the live platform: OCSP (RFC 6960) and a CRL check (RFC 5280). */
async function opensslStatus(): Promise<{ ocsp: string; verify: string }> {
  const keystore = JSON.parse(await readFile(join(dir, "amina-wallet.json"), "utf8"));
  await writeFile(join(dir, "device.pem"), keystore.certificate);
  await writeFile(join(dir, "issuing.pem"), keystore.chain[0]);
  await writeFile(join(dir, "root.pem"), keystore.chain[1]);
  const crl = Buffer.from(await (await fetch(`${platform.url}/pki/crl`)).arrayBuffer());
  await writeFile(join(dir, "crl.der"), crl);
  await run("openssl", ["crl", "-inform", "DER", "-in", join(dir, "crl.der"), "-out", join(dir, "crl.pem")]);
  const ocsp = await run("openssl", ["ocsp", "-sha256", "-issuer", join(dir, "issuing.pem"), "-cert", join(dir, "device.pem"), "-url", `${platform.url}/pki/ocsp`, "-CAfile", join(dir, "root.pem")]);
  const verify = await run("openssl", ["verify", "-CAfile", join(dir, "root.pem"), "-untrusted", join(dir, "issuing.pem"), "-crl_check", "-CRLfile", join(dir, "crl.pem"), join(dir, "device.pem")]).then(
    (r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
  return { ocsp: ocsp.stdout + ocsp.stderr, verify };
}
let platform: PlatformProcess;
const logins: { amina: string; admin: string } = { amina: "", admin: "" };

function obol(args: string[], env: Record<string, string>): Promise<CliResult> {
  return runCli(args, { HOME: dir, ...env });
}

async function json(method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(platform.url + path, {
    method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "obol-wallet-e2e-"));
  platform = spawnPlatform({ port: await freePort(), args: ["--demo"], env: { OBOL_DATA_DIR: join(dir, "data"), OBOL_KEY_PASSPHRASE: "" } });
  await waitReady(platform);
  logins.amina = /\+254700000001\s+password (\S+)/.exec(platform.output())![1]!;
  logins.admin = /operator\s+admin\s+password (\S+)/.exec(platform.output())![1]!;
});
after(async () => {
  await platform?.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

describe("obol wallet, end to end", () => {
  const keystore = () => join(dir, "amina-wallet.json");
  const env = () => ({ OBOL_WALLET_PASSWORD: logins.amina, OBOL_WALLET_PASSPHRASE: "amina's long keystore passphrase" });

  test("enrol with an operator's code; the keystore is private to the user", async () => {
    const admin = await json("POST", "/v1/admin/login", { username: "admin", password: logins.admin });
    const { code } = await json("POST", "/v1/admin/enrolment-codes", { msisdn: "+254700000001" }, admin.token);
    const enrolled = await obol(["wallet", "enroll", "--url", platform.url, "--msisdn", "+254700000001", "--code", code, "--keystore", keystore()], env());
    assert.equal(enrolled.code, 0, enrolled.stderr);
    assert.match(enrolled.stdout, /enrolled: certificate [0-9a-f]+ \(compact id [A-Za-z0-9_-]{22}\)/);
    assert.equal((await stat(keystore())).mode & 0o777, 0o600);
    const status = await obol(["wallet", "status", "--keystore", keystore()], env());
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /status at the platform: good/);
    const checked = await opensslStatus();
    assert.match(checked.ocsp, /Response verify OK/);
    assert.match(checked.ocsp, /device\.pem: good/);
    assert.match(checked.verify, /device\.pem: OK/);
  });

  test("pay by signed XML message; the platform-signed receipt verifies", async () => {
    const paid = await obol(["wallet", "pay", "--keystore", keystore(), "--to", "+254700000002", "--amount", "125.50"], env());
    assert.equal(paid.code, 0, paid.stderr + paid.stdout);
    assert.match(paid.stdout, /paid 125\.50 KES to \+254700000002: transaction [0-9a-f-]{36}, receipt verified/);
    const balance = await obol(["wallet", "balance", "--keystore", keystore()], env());
    assert.match(balance.stdout, /4,874\.50 KES available/);
    const history = await obol(["wallet", "history", "--keystore", keystore()], env());
    assert.match(history.stdout, /-125\.50 KES/);
  });

  test("a named session key: obtained by key agreement, then requests and answers travel under it", async () => {
    const obtained = await obol(["wallet", "session-key", "--keystore", keystore()], env());
    assert.equal(obtained.code, 0, obtained.stderr + obtained.stdout);
    const name = /session key (sk-[A-Za-z0-9_-]{22}), valid until/.exec(obtained.stdout)?.[1];
    assert.ok(name !== undefined, obtained.stdout);
    const stored = JSON.parse(await readFile(keystore(), "utf8"));
    assert.equal(stored.sessionKey.name, name);
    const status = await obol(["wallet", "status", "--keystore", keystore()], env());
    assert.match(status.stdout, new RegExp(`session key ${name}, valid until`));
    const paid = await obol(["wallet", "pay", "--keystore", keystore(), "--to", "+254700000002", "--amount-minor", "450"], env());
    assert.equal(paid.code, 0, paid.stderr + paid.stdout);
    const balance = await obol(["wallet", "balance", "--keystore", keystore()], env());
    assert.match(balance.stdout, /4,870\.00 KES available/);
    // Rotation: a second request replaces the key the keystore holds.
    const rotated = await obol(["wallet", "session-key", "--keystore", keystore()], env());
    assert.equal(rotated.code, 0, rotated.stderr);
    assert.notEqual(JSON.parse(await readFile(keystore(), "utf8")).sessionKey.name, name);
  });

  test("a wrong keystore passphrase cannot sign", async () => {
    const wrong = await obol(["wallet", "pay", "--keystore", keystore(), "--to", "+254700000002", "--amount", "1.00"], { ...env(), OBOL_WALLET_PASSPHRASE: "not the right passphrase" });
    assert.equal(wrong.code, 1);
    assert.equal(wrong.stderr, "obol: the keystore passphrase is wrong (OBOL_WALLET_PASSPHRASE) (ERR_KEYSTORE_PASSPHRASE)\n");
  });

  test("after revoking the certificate, the next message is refused", async () => {
    const revoked = await obol(["wallet", "revoke", "--keystore", keystore()], env());
    assert.equal(revoked.code, 0, revoked.stderr);
    const refused = await obol(["wallet", "pay", "--keystore", keystore(), "--to", "+254700000002", "--amount", "1.00"], env());
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /ERR_CERTIFICATE_REJECTED/);
    const status = await obol(["wallet", "status", "--keystore", keystore()], env());
    assert.match(status.stdout, /status at the platform: revoked/);
    const checked = await opensslStatus();
    assert.match(checked.ocsp, /device\.pem: revoked/);
    assert.match(checked.verify, /certificate revoked/);
  });
});
