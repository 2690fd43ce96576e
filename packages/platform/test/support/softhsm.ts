/**
 * A throwaway SoftHSM 2 token (Debian package softhsm2; CI installs it) for tests of the issuing CA key in a
 * PKCS#11 token. Missing tools fail the test: it never skips.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

export const softHsmModulePath = "/usr/lib/softhsm/libsofthsm2.so";

export interface SoftHsmToken {
  /** Environment for the platform (and SOFTHSM2_CONF for SoftHSM itself). */
  env: Record<string, string>;
  modulePath: string;
  tokenLabel: string;
  pin: string;
}

/** Initialises a token under `dir` (softhsm2-util --init-token --free). */
export async function softHsmToken(dir: string, tokenLabel = "obol-test"): Promise<SoftHsmToken> {
  assert.ok(existsSync(softHsmModulePath), `${softHsmModulePath} is missing: apt-get install softhsm2`);
  await mkdir(join(dir, "tokens"), { recursive: true });
  const conf = join(dir, "softhsm2.conf");
  await writeFile(conf, `directories.tokendir = ${join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const pin = "7311-user-pin";
  await promisify(execFile)("softhsm2-util", ["--init-token", "--free", "--label", tokenLabel, "--so-pin", "7311-so-pin", "--pin", pin], { env: { ...process.env, SOFTHSM2_CONF: conf } });
  return {
    env: { SOFTHSM2_CONF: conf, OBOL_PKCS11_MODULE: softHsmModulePath, OBOL_PKCS11_TOKEN_LABEL: tokenLabel, OBOL_PKCS11_PIN: pin },
    modulePath: softHsmModulePath, tokenLabel, pin,
  };
}

/** pkcs11js itself (imported by a name in a variable: the build does not need it), for independent checks. */
export async function pkcs11js(): Promise<any> {
  const name = "pkcs11js";
  const imported = await import(name);
  return imported.default ?? imported;
}
