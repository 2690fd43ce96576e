/**
 * The world of the e-cash end-to-end tests (issue 5), with three kinds of real processes over loopback: the
 * platform (`obol start --demo`), the merchant's e-cash server (`obol merchant ecash serve`) and the wallet
 * (`obol wallet ecash …`, one process per command). `payAndDeposit` runs the shared first half: register both,
 * withdraw a token of 100, pay 40 and 40, see 30 refused, deposit.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliPath, freePort, spawnPlatform, startGuardMs, waitReady, type PlatformProcess } from "./platform-process.js";

export interface EcashWorld {
  platform: PlatformProcess;
  merchantKey: string;
  /** Register, withdraw 100, pay 40 + 40, 30 refused, deposit (PENDING): as the user would, through the CLI. */
  payAndDeposit(): Promise<{ wallet: (args: string[]) => Promise<string>; merchant: (args: string[]) => Promise<string> }>;
  merchantBalance(): Promise<string>;
  escrow(): Promise<{ escrowBalance: string; tokens: Record<string, { count: number; escrow: string }> }>;
  stop(): Promise<void>;
}

export async function startEcashWorld(): Promise<EcashWorld> {
  const dir = await mkdtemp(join(tmpdir(), "obol-ecash-e2e-"));
  const servers: ChildProcess[] = [];
  await writeFile(join(dir, "catalogue.json"), JSON.stringify({
    items: { coffee: { price: "40", goods: "one coffee, served" }, tea: { price: "30", goods: "one tea, served" } },
  }));
  const platform = spawnPlatform({ port: await freePort(), args: ["--demo"], env: { OBOL_DATA_DIR: join(dir, "platform"), OBOL_KEY_PASSPHRASE: "" } });
  await waitReady(platform);
  const amina = /\+254700000001\s+password (\S+)/.exec(platform.output())![1]!;
  const adminPassword = /operator\s+admin\s+password (\S+)/.exec(platform.output())![1]!;
  const merchantKey = /API key (obol_sk_\S+)/.exec(platform.output())![1]!;

  const obol = (args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> => new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH ?? "", HOME: dir, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c) => (stdout += c));
    child.stderr.on("data", (c) => (stderr += c));
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
  const ok = async (args: string[], env: Record<string, string>): Promise<string> => {
    const result = await obol(args, env);
    assert.equal(result.code, 0, `obol ${args.join(" ")}\n${result.stdout}\n${result.stderr}`);
    return result.stdout;
  };
  const json = async (method: string, path: string, body?: unknown, token?: string): Promise<any> => {
    const response = await fetch(platform.url + path, {
      method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return response.json();
  };
  /** `obol merchant ecash serve` until stop(); resolves with its URL. */
  const serve = (env: Record<string, string>, dataDir: string): Promise<string> => {
    const child = spawn(process.execPath, [cliPath, "merchant", "ecash", "serve", "--data-dir", dataDir, "--catalogue", join(dir, "catalogue.json")],
      { env: { PATH: process.env.PATH ?? "", HOME: dir, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    servers.push(child);
    let output = "";
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`merchant server did not start:\n${output}`)), startGuardMs);
      child.stdout!.on("data", (chunk) => {
        output += chunk;
        const url = /serving at (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        if (url !== undefined) { clearTimeout(timer); resolve(url); }
      });
      child.stderr!.on("data", (chunk) => (output += chunk));
      child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`merchant server exited ${code}:\n${output}`)); });
    });
  };

  const world: EcashWorld = {
    platform,
    merchantKey,
    async payAndDeposit() {
      const merchantEnv = { OBOL_MERCHANT_API_KEY: merchantKey, OBOL_MERCHANT_PASSPHRASE: "the coffee shop's passphrase" };
      const dataDir = join(dir, "merchant");
      assert.match(await ok(["merchant", "ecash", "register", "--url", platform.url, "--data-dir", dataDir], merchantEnv), /registered for e-cash as merchant:/);
      const merchantUrl = await serve(merchantEnv, dataDir);

      const walletEnv = { OBOL_WALLET_PASSWORD: amina, OBOL_WALLET_PASSPHRASE: "amina's wallet passphrase" };
      const keystore = join(dir, "amina-wallet.json");
      const wallet = (args: string[]) => ok(["wallet", "ecash", ...args, "--keystore", keystore], walletEnv);
      assert.match(await ok(["wallet", "ecash", "register", "--url", platform.url, "--msisdn", "+254700000001", "--keystore", keystore], walletEnv), /registered for e-cash as user:/);
      const token = (await json("POST", "/v1/auth/login", { msisdn: "+254700000001", password: amina })).token;
      const posted = async () => BigInt((await json("GET", "/v1/me/balance", undefined, token)).balances[0].posted);
      const balanceBefore = await posted();

      assert.match(await wallet(["withdraw", "--amount", "1.00", "--merchant", merchantUrl]), /withdrew token [0-9a-f]{8}… of 1\.00 KES for Demo Coffee Ltd/);
      assert.equal(await posted(), balanceBefore - 100n, "the wallet balance was debited into escrow");
      assert.match(await wallet(["pay", "--merchant", merchantUrl, "--item", "coffee"]), /paid 0\.40 KES .* 0\.60 KES left\ngoods: one coffee, served/);
      assert.match(await wallet(["pay", "--merchant", merchantUrl, "--item", "coffee"]), /paid 0\.40 KES .* 0\.20 KES left/);
      const third = await obol(["wallet", "ecash", "pay", "--merchant", merchantUrl, "--item", "tea", "--keystore", keystore], walletEnv);
      assert.equal(third.code, 1, third.stdout);
      assert.match(third.stderr, /cumulative 110 would exceed 100 \(ERR_SVS_TOKEN_EXHAUSTED\)/);
      assert.match(await wallet(["tokens"]), /amount 1\.00 KES .* spent 0\.80 KES {2}left 0\.20 KES/);

      const merchant = (args: string[]) => ok(["merchant", "ecash", ...args, "--data-dir", dataDir], merchantEnv);
      const records = await merchant(["records"]);
      assert.equal(records.match(/coffee {2}40/g)?.length, 2, records);
      assert.doesNotMatch(records, /tea/, "the refused payment left no record");
      assert.match(await merchant(["deposit"]), /deposit [0-9a-f]{32} sent\ndeposit [0-9a-f]{8}… {2}token [0-9a-f]{8}… {2}PENDING {2}80/);
      assert.equal(await world.merchantBalance(), "0", "nothing is credited before the user answers");
      return { wallet, merchant };
    },
    async merchantBalance() {
      return (await json("GET", "/v1/merchant", undefined, merchantKey)).balances[0].available;
    },
    async escrow() {
      const admin = await json("POST", "/v1/admin/login", { username: "admin", password: adminPassword });
      return json("GET", "/v1/admin/ecash", undefined, admin.token);
    },
    async stop() {
      for (const server of servers) if (server.exitCode === null) server.kill("SIGTERM");
      await platform.kill("SIGTERM");
      await rm(dir, { recursive: true, force: true });
    },
  };
  return world;
}
