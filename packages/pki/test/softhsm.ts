// A throwaway SoftHSM 2 token for tests (Debian package softhsm2; CI installs it). Missing tools fail the test.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run, tempDir } from "./helpers.js";

/** Debian's SoftHSM 2 module. */
export const softHsmModulePath = "/usr/lib/softhsm/libsofthsm2.so";

export interface SoftHsmToken {
  readonly dir: string;
  readonly conf: string;
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly soPin: string;
  remove(): void;
}

/**
 * Initialises a token in a fresh directory and points SOFTHSM2_CONF at it, in this process and for children
 * started with `env: process.env`. Call before the first use of the module in the process: SoftHSM reads its
 * configuration in C_Initialize, which happens once per process.
 */
export async function softHsmToken(tokenLabel = "obol-test"): Promise<SoftHsmToken> {
  assert.ok(existsSync(softHsmModulePath), `${softHsmModulePath} is missing: apt-get install softhsm2`);
  const tmp = tempDir();
  const tokens = join(tmp.dir, "tokens");
  mkdirSync(tokens);
  const conf = tmp.write("softhsm2.conf", `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  const pin = "4242-user-pin";
  const soPin = "4242-so-pin";
  const r = await run("softhsm2-util", ["--init-token", "--free", "--label", tokenLabel, "--so-pin", soPin, "--pin", pin]);
  assert.equal(r.code, 0, `softhsm2-util --init-token failed (is softhsm2 installed?): ${r.stdout}${r.stderr}`);
  writeFileSync(join(tmp.dir, "README"), "throwaway SoftHSM token of an Obol test\n");
  return { dir: tmp.dir, conf, modulePath: softHsmModulePath, tokenLabel, pin, soPin, remove: () => tmp.remove() };
}

/** pkcs11js itself, for checks that must not go through the code under test. Absent: the test fails. */
export async function pkcs11js(): Promise<any> {
  const name = "pkcs11js";
  const imported = await import(name);
  return imported.default ?? imported;
}
