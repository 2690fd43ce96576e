/**
 * Runs the real `obol bank start` as a child process (the reference bank), and drives its admin
 * endpoint: open and fund accounts, register the platform, read the codes the bank sends holders,
 * set fault switches. Used by the end-to-end tests with the platform as a second process.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cliPath } from "./platform-process.js";

export interface BankProcess {
  url: string;
  dataDir: string;
  certificateFile: string;
  adminToken: string;
  child: ChildProcess;
  output: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  admin(method: string, path: string, body?: unknown): Promise<any>;
}

export async function bankDataDir(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "obol-bank-"));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export function spawnBank(options: { port: number; dataDir: string; databaseUrl?: string; adminToken?: string; env?: Record<string, string> }): BankProcess {
  const adminToken = options.adminToken ?? randomBytes(24).toString("hex");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn",
    OBOL_BANK_PORT: String(options.port), OBOL_BANK_DATA_DIR: options.dataDir, OBOL_BANK_ADMIN_TOKEN: adminToken,
    OBOL_BANK_KEY_PASSPHRASE: "integration-test-bank-passphrase",
    ...(options.databaseUrl ? { OBOL_BANK_DATABASE_URL: options.databaseUrl } : {}), ...options.env,
  };
  const child = spawn(process.execPath, [cliPath, "bank", "start"], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${options.port}`;
  return {
    url, dataDir: options.dataDir, certificateFile: join(options.dataDir, "bank-certificates.pem"), adminToken, child, output: () => output,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    async admin(method, path, body) {
      const response = await fetch(url + path, {
        method, headers: { authorization: `Bearer ${adminToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`bank admin ${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    },
  };
}

export async function waitBankReady(bank: BankProcess, timeoutMs = 300_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && bank.child.exitCode === null) {
    try {
      if ((await fetch(`${bank.url}/health`)).ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the bank did not become ready:\n${bank.output()}`);
}

/** Registers the platform at the bank: its signing and encryption certificates from GET /pki/ca. */
export async function registerPlatform(bank: BankProcess, platformUrl: string, clientId = "obol"): Promise<void> {
  const ca = await (await fetch(`${platformUrl}/pki/ca`)).json() as { signing: string; encryption: string };
  await bank.admin("POST", "/admin/clients", { id: clientId, certificates: ca.signing + ca.encryption });
}
