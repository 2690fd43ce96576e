/**
 * The client library in a real browser (issue 3: "runs in Node and in browsers"): @obol/xml bundled by
 * esbuild for platform "browser", run in Debian's Chromium by playwright-core, against a live `obol start`
 * process over loopback HTTP. The page enrols a WebCrypto device key, obtains a named session key, reads its
 * balance and pays under it, and verifies the platform-signed answer and receipt. Chromium must be installed
 * (apt-get install chromium; .ci/run does): without it this test fails, it does not skip.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { after, before, test } from "node:test";
import { build } from "esbuild";
import { chromium, type Browser } from "playwright-core";
import { freePort, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";
import type { WalletRunInput, WalletRunResult } from "./wallet-page.js";

const run = promisify(execFile);
const chromiumPath = "/usr/bin/chromium";
// ecosystem-notes §8: Debian's chromium under playwright-core, never a downloaded browser.
const chromiumArgs = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const repositoryRoot = fileURLToPath(new URL("../../../../../", import.meta.url));

let dir: string;
let platform: PlatformProcess;
let browser: Browser;

/** The page script bundled the way a web wallet would ship @obol/xml (see packages/xml/README.md, "In browsers"). */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [join(repositoryRoot, "packages/platform/test/browser/wallet-page.ts")],
    bundle: true, platform: "browser", format: "iife", globalName: "obolWallet", write: false, logLevel: "silent",
    footer: { js: "globalThis.obolWallet = obolWallet;" },
    alias: { crypto: "@obol/xml/browser/node-crypto-unused.js" },
  });
  const text = new TextDecoder().decode(result.outputFiles[0]!.contents);
  assert.doesNotMatch(text, /["']node:[a-z_]+["']/, "the browser bundle must not import node: modules");
  return text;
}

async function json(method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(platform.url + path, {
    method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

before(async () => {
  assert.ok(existsSync(chromiumPath), `${chromiumPath} is missing: apt-get install -y chromium (the browser test needs the real browser)`);
  dir = await mkdtemp(join(tmpdir(), "obol-browser-"));
  platform = spawnPlatform({ port: await freePort(), args: ["--demo"], env: { OBOL_DATA_DIR: join(dir, "data"), OBOL_KEY_PASSPHRASE: "" } });
  await waitReady(platform);
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
});
after(async () => {
  await browser?.close();
  await platform?.kill("SIGTERM");
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

test("in Chromium: enrol, obtain a session key, read the balance and pay under it, verify answer and receipt", async () => {
  const aminaPassword = /\+254700000001\s+password (\S+)/.exec(platform.output())![1]!;
  const adminPassword = /operator\s+admin\s+password (\S+)/.exec(platform.output())![1]!;
  const token = (await json("POST", "/v1/auth/login", { msisdn: "+254700000001", password: aminaPassword })).token as string;
  const admin = (await json("POST", "/v1/admin/login", { username: "admin", password: adminPassword })).token as string;
  const code = (await json("POST", "/v1/admin/enrolment-codes", { msisdn: "+254700000001" }, admin)).code as string;
  assert.ok(token && admin && code, "demo logins and an enrolment code");

  const script = await bundle();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(`${platform.url}/health`); // the page's origin is the platform's: same-origin fetches
  await page.evaluate(script);
  const input: WalletRunInput = { token, code, payee: "+254700000002" };
  const result = await page.evaluate((args) => (globalThis as unknown as { obolWallet: { run(a: WalletRunInput): Promise<WalletRunResult> } }).obolWallet.run(args), input);
  assert.deepEqual(errors, []);

  assert.equal(result.hasBuffer, false, "no Node Buffer in the page: the library ran on the browser's own APIs");
  assert.match(result.sessionKeyName, /^sk-[A-Za-z0-9_-]{22}$/);
  assert.equal(result.sessionKeyExtractable, false);
  assert.match(result.balanceAnswerXml, new RegExp(`<ds:KeyName>${result.sessionKeyName}</ds:KeyName>`), "the balance answer was encrypted under the session key");
  assert.doesNotMatch(result.balanceAnswerXml, /Available=/, "and its content is not in clear");
  assert.equal(result.balances[0]?.Currency, "KES");
  assert.deepEqual([result.receipt.amountMinor, result.receipt.currency, result.receipt.payee], ["1999", "KES", "+254700000002"]);
  assert.match(result.receipt.requestDigest ?? "", /^[A-Za-z0-9+/]{43}=$/);

  // The receipt the browser verified is the platform's: xmlsec1 checks it chains to the platform root.
  const ca = await json("GET", "/pki/ca");
  await writeFile(join(dir, "root.pem"), ca.root);
  await writeFile(join(dir, "issuing.pem"), ca.issuing);
  await writeFile(join(dir, "receipt.xml"), result.receiptXml);
  const verified = await run("xmlsec1", ["--verify", "--trusted-pem", join(dir, "root.pem"), "--untrusted-pem", join(dir, "issuing.pem"), "--id-attr:Id", "urn:obol:msg:1:Message", join(dir, "receipt.xml")]).then(
    (r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
  assert.match(verified, /^OK/m, verified);

  // The payment moved money: the payee's balance shows it.
  const payeePassword = /\+254700000002\s+password (\S+)/.exec(platform.output())![1]!;
  const payee = (await json("POST", "/v1/auth/login", { msisdn: "+254700000002", password: payeePassword })).token as string;
  const history = await json("GET", "/v1/me/history", undefined, payee);
  assert.ok(JSON.stringify(history).includes(result.receipt.transactionId), JSON.stringify(history).slice(0, 500));
});
