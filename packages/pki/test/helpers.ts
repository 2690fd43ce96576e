import { execFile } from "node:child_process";
import { generateKeyPairSync, webcrypto } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createIssuingCa, createRootCa } from "../src/index.js";
import type { CaKeyPair } from "../src/index.js";
import { x509 } from "../src/internal/x509.js";

export const NOW = new Date("2026-03-01T12:00:00Z");
export const DAY_MS = 86_400_000;
export const OCSP_URL = "http://127.0.0.1:1/ocsp";
export const CRL_URL = "http://127.0.0.1:1/crl/issuing-1.crl";

export interface TestPki {
  readonly root: CaKeyPair;
  readonly issuing: CaKeyPair;
}

export async function makePki(now: Date = NOW): Promise<TestPki> {
  const root = await createRootCa({ subject: { commonName: "Obol Test Root CA", organization: "Obol", country: "KE" }, now, validityDays: 3650 });
  const issuing = await createIssuingCa({ root, subject: { commonName: "Obol Test Issuing CA", organization: "Obol" }, now, validityDays: 1825 });
  return { root, issuing };
}

/** A PKCS#10 request made in-process (for tests that do not need openssl). */
export async function makeCsr(
  curve: "P-256" | "P-384" = "P-256",
): Promise<{ csrDer: Uint8Array; keys: webcrypto.CryptoKeyPair }> {
  const keys = await webcrypto.subtle.generateKey({ name: "ECDSA", namedCurve: curve }, true, ["sign", "verify"]);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=device",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: curve === "P-256" ? "SHA-256" : "SHA-384" } as webcrypto.EcdsaParams,
  });
  return { csrDer: new Uint8Array(csr.rawData), keys };
}

export function p256PrivateKey() {
  return generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
}

export function pem(der: Uint8Array, label = "CERTIFICATE"): string {
  const body = Buffer.from(der).toString("base64").replace(/.{1,64}/g, "$&\n");
  return `-----BEGIN ${label}-----\n${body}-----END ${label}-----\n`;
}

export function tempDir(): { dir: string; write(name: string, data: string | Uint8Array): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "obol-pki-"));
  return {
    dir,
    write(name, data) {
      const path = join(dir, name);
      writeFileSync(path, data);
      return path;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command without a shell; never rejects, so tests can assert on failures. */
export function run(command: string, args: readonly string[], options: { input?: Uint8Array; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      { timeout: options.timeoutMs ?? 15_000, encoding: "utf8", maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}
