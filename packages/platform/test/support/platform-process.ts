/**
 * Runs the real `obol start` as a child process (the compiled CLI), for tests that kill it,
 * restart it or run several of it against one PostgreSQL.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { emptyClusterTemplate } from "./snapshot.js";

export const cliPath = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface PlatformProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * Gives a data directory that has no databases yet the run's empty, initdb'd PGlite cluster for the platform
 * and for the embedded bank: initdb is PGlite's own (about 5 CPU seconds a cluster), not what these tests
 * are about. Everything Obol does on a first start (migrations, keys, demo data) still happens. Without
 * OBOL_TEST_CACHE_DIR (a file run by hand) nothing is copied and the processes run initdb themselves.
 */
export function seedDataDir(dataDir: string): void {
  const cacheDir = process.env.OBOL_TEST_CACHE_DIR;
  if (cacheDir === undefined || cacheDir === "" || !existsSync(emptyClusterTemplate(cacheDir))) return;
  for (const target of [join(dataDir, "pglite"), join(dataDir, "bank", "pglite")]) {
    if (!existsSync(target)) cpSync(emptyClusterTemplate(cacheDir), target, { recursive: true });
  }
}

export function spawnPlatform(options: { databaseUrl?: string; port: number; args?: string[]; env?: Record<string, string> }): PlatformProcess {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", LOG_LEVEL: "warn", PORT: String(options.port),
    OBOL_SESSION_TTL_SECONDS: "3600", OBOL_KEY_PASSPHRASE: "integration-test-key-passphrase",
    // The embedded reference bank's admin endpoint: any free port, so platforms of parallel test files never collide.
    OBOL_BANK_EMBEDDED_PORT: "0", ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}), ...options.env,
  };
  if (!options.databaseUrl && env.OBOL_DATA_DIR) seedDataDir(env.OBOL_DATA_DIR);
  const child = spawn(process.execPath, [cliPath, "start", ...(options.args ?? [])], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    url: `http://127.0.0.1:${options.port}`, child, output: () => output, exited,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/**
 * How long a start may take before a test gives up: a deadlock guard, not a speed limit (a first start on a
 * busy 2-core machine took over 90 s). Below the run's per-file guard, so the failure shows the output.
 */
export const startGuardMs = 300_000;

/** Waits until /ready answers 200, or fails with the process output when it exits or hangs past the guard. */
export async function waitReady(platform: PlatformProcess, timeoutMs = startGuardMs): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void platform.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    try {
      const response = await fetch(`${platform.url}/ready`);
      if (response.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`platform did not become ready:\n${platform.output()}`);
}

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs the compiled `obol` CLI with exactly the given environment (plus PATH), and its stdin (empty unless given). */
export function runCli(args: string[], env: Record<string, string>, stdin = ""): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { PATH: process.env.PATH ?? "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.stdin.end(stdin);
    child.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}
