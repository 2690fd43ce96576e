import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../src/config.js";
import { parseFailpoints } from "../src/failpoints.js";

test("OBOL_FAILPOINTS: names are module.place, at most 16, refused in production", () => {
  assert.deepEqual(parseFailpoints(undefined), []);
  assert.deepEqual(parseFailpoints(" payments.after_bank_debit , webhooks.before_send"), ["payments.after_bank_debit", "webhooks.before_send"]);
  assert.throws(() => parseFailpoints("nodot"), /bad failpoint name/);
  assert.throws(() => parseFailpoints("a.b;rm"), /bad failpoint name/);
  assert.throws(() => parseFailpoints(Array.from({ length: 17 }, (_, i) => `m.p${i}`).join(",")), /at most 16/);
  assert.deepEqual(loadConfig({ OBOL_FAILPOINTS: "m.p" }).failpoints, ["m.p"]);
  assert.throws(() => loadConfig({ NODE_ENV: "production", OBOL_KEY_PASSPHRASE: "a-long-passphrase", OBOL_FAILPOINTS: "m.p" }), /refused in production/);
});

test("an armed failpoint kills the process with SIGKILL; an unarmed one does nothing", () => {
  const module = fileURLToPath(new URL("../src/failpoints.js", import.meta.url));
  const script = (names: string) => `import("${module}").then((f) => { f.armFailpoints(${JSON.stringify([names])}); f.failpoint("m.here"); console.log("survived"); })`;
  const killed = spawnSync(process.execPath, ["-e", script("m.here")], { encoding: "utf8" });
  assert.equal(killed.signal, "SIGKILL");
  assert.equal(killed.stdout, "");
  const alive = spawnSync(process.execPath, ["-e", script("m.elsewhere")], { encoding: "utf8" });
  assert.equal(alive.status, 0);
  assert.equal(alive.stdout.trim(), "survived");
});
