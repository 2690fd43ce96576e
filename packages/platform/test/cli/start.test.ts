/**
 * `obol start` as a newcomer meets it (issue 9): the demo logins are never lost (a 0600 file under the data
 * directory whose values log in, pointed to on every later start, made all or nothing), and a start that
 * cannot work (busy port, unwritable or damaged data directory, wrong key passphrase) ends with one line and
 * exit status 1, and makes nothing. No timing is asserted: the start prints its own timing line.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, runCli, spawnPlatform, waitReady, type CliResult, type PlatformProcess } from "../support/platform-process.js";

const passphrase = "start-test-key-passphrase";
let root: string;
before(async () => { root = await mkdtemp(join(tmpdir(), "obol-start-")); });
after(async () => { await rm(root, { recursive: true, force: true }); });

function startOnce(dataDir: string, port: number, env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(["start", "--demo"], { HOME: process.env.HOME ?? "/tmp", PORT: String(port), OBOL_DATA_DIR: dataDir, OBOL_KEY_PASSPHRASE: passphrase, OBOL_BANK_EMBEDDED_PORT: "0", ...env });
}

/** The failure contract: exit 1, one line on stderr naming the code, no stack trace. */
function assertOneLineFailure(result: CliResult, code: RegExp): string {
  assert.equal(result.code, 1, `exit status 1\n${result.stderr}`);
  const lines = result.stderr.trim().split("\n").filter((line) => line.startsWith("obol: "));
  assert.equal(lines.length, 1, `one obol: line\n${result.stderr}`);
  assert.match(lines[0]!, code);
  assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
  return lines[0]!;
}

function parseEnvFile(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    assert.ok(match !== null, `KEY=value line: ${line}`);
    values.set(match[1]!, match[2]!);
  }
  return values;
}

async function stopPlatform(platform: PlatformProcess): Promise<void> {
  await platform.kill("SIGINT");
}

describe("obol start", { timeout: 1_200_000 }, () => {
  test("a first demo start saves the logins (0600, sourceable) and they log in; a second start says where they are", async () => {
    const dataDir = join(root, "demo");
    const port = await freePort();
    const first = spawnPlatform({ port, args: ["--demo"], env: { OBOL_DATA_DIR: dataDir, OBOL_KEY_PASSPHRASE: passphrase } });
    try {
      await waitReady(first, 240_000);
      const file = join(dataDir, "demo-logins.env");
      assert.equal((await stat(file)).mode & 0o777, 0o600, "the logins file is readable by its owner only");
      const logins = parseEnvFile(await readFile(file, "utf8"));
      for (const name of ["OBOL_DEMO_USER1_MSISDN", "OBOL_DEMO_USER1_PASSWORD", "OBOL_DEMO_USER2_MSISDN", "OBOL_DEMO_USER2_PASSWORD", "OBOL_DEMO_ADMIN_USERNAME",
        "OBOL_DEMO_ADMIN_PASSWORD", "OBOL_DEMO_MERCHANT_API_KEY", "OBOL_DEMO_USER1_BANK_ACCOUNT", "OBOL_DEMO_USER2_BANK_ACCOUNT"]) {
        assert.ok((logins.get(name) ?? "") !== "", `${name} is set`);
      }
      assert.match(first.output(), new RegExp(`saved in ${dataDir.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}/demo-logins\\.env`), "the banner names the file");
      assert.match(first.output(), /started in [0-9.]+ s: loading [0-9.]+ s, database [0-9.]+ s, keys [0-9.]+ s/, "the timing line");

      const post = (path: string, json: unknown) => fetch(`${first.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(json) });
      for (const user of ["USER1", "USER2"]) {
        const login = await post("/v1/auth/login", { msisdn: logins.get(`OBOL_DEMO_${user}_MSISDN`), password: logins.get(`OBOL_DEMO_${user}_PASSWORD`) });
        assert.equal(login.status, 200, `${user} logs in`);
        const token = ((await login.json()) as { token: string }).token;
        const { links } = (await (await fetch(`${first.url}/v1/me/bank-accounts`, { headers: { authorization: `Bearer ${token}` } })).json()) as { links: Array<{ accountMasked: string; status: string }> };
        const number = logins.get(`OBOL_DEMO_${user}_BANK_ACCOUNT`)!;
        assert.ok(links.some((link) => link.status === "active" && link.accountMasked.endsWith(number.slice(-4))), `${user}'s linked bank account is the one in the file`);
      }
      const wrong = await post("/v1/auth/login", { msisdn: logins.get("OBOL_DEMO_USER1_MSISDN"), password: `${logins.get("OBOL_DEMO_USER1_PASSWORD")}x` });
      assert.equal(wrong.status, 401, "and a wrong password does not: the check is real");
      const admin = await post("/v1/admin/login", { username: logins.get("OBOL_DEMO_ADMIN_USERNAME"), password: logins.get("OBOL_DEMO_ADMIN_PASSWORD") });
      assert.equal(admin.status, 200, "the operator logs in");
      const merchant = await fetch(`${first.url}/v1/payments`, { headers: { authorization: `Bearer ${logins.get("OBOL_DEMO_MERCHANT_API_KEY")}` } });
      assert.equal(merchant.status, 200, "the merchant API key is accepted");
    } finally {
      await stopPlatform(first);
    }

    const before = await readFile(join(dataDir, "demo-logins.env"), "utf8");
    const second = spawnPlatform({ port, args: ["--demo"], env: { OBOL_DATA_DIR: dataDir, OBOL_KEY_PASSPHRASE: passphrase } });
    try {
      await waitReady(second, 240_000);
      assert.match(second.output(), /Demo logins: in .*demo-logins\.env/, "a later start points to the file");
      assert.equal(await readFile(join(dataDir, "demo-logins.env"), "utf8"), before, "and leaves it as it was");
    } finally {
      await stopPlatform(second);
    }

    // The same data with another passphrase: one line, nothing changed.
    const wrongPassphrase = await startOnce(dataDir, await freePort(), { OBOL_KEY_PASSPHRASE: "not-the-passphrase-it-was-made-with" });
    assertOneLineFailure(wrongPassphrase, /OBOL_KEY_PASSPHRASE does not open the platform's keys.*ERR_KEY_PASSPHRASE/);
    assert.equal(await readFile(join(dataDir, "demo-logins.env"), "utf8"), before);
  });

  test("a busy port: exit 1 with one line naming the port and what to do, and no data directory made", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const dataDir = join(root, "busy");
      const result = await startOnce(dataDir, port);
      const line = assertOneLineFailure(result, /ERR_PORT_IN_USE/);
      assert.match(line, new RegExp(`port ${port} .*in use.*PORT=[0-9]+ npm start`));
      assert.equal(existsSync(dataDir), false, "nothing was made");
    } finally {
      blocker.close();
    }
  });

  test("an unwritable data directory: exit 1 with one line", async () => {
    const file = join(root, "a-file");
    await writeFile(file, "not a directory\n");
    const result = await startOnce(join(file, "data"), await freePort());
    assertOneLineFailure(result, /cannot write to the data directory .*a-file\/data.*OBOL_DATA_DIR.*\(ERR_DATA_DIR\)/);
  });

  test("a damaged data directory: exit 1 with one line, and it is left as it was", async () => {
    const dataDir = join(root, "damaged");
    await mkdir(join(dataDir, "pglite"), { recursive: true });
    await writeFile(join(dataDir, "pglite", "PG_VERSION"), "not a version\n");
    const result = await startOnce(dataDir, await freePort());
    assertOneLineFailure(result, /the database in .*damaged\/pglite does not open.*\(ERR_DATA_DIR\)/);
    assert.deepEqual((await readdir(join(dataDir, "pglite"))).sort(), ["PG_VERSION"]);
    assert.equal(await readFile(join(dataDir, "pglite", "PG_VERSION"), "utf8"), "not a version\n");
  });

  test("a first start killed half way through the demo data is made again, whole, by the next start", async () => {
    const dataDir = join(root, "killed");
    const crashed = await startOnce(dataDir, await freePort(), { OBOL_FAILPOINTS: "demo.after_users" });
    assert.equal(crashed.code, null, `killed by the failpoint\n${crashed.stderr}`);
    assert.equal(existsSync(join(dataDir, "demo-logins.env")), false, "no logins were saved (nor shown)");
    assert.equal(existsSync(join(dataDir, "first-start-incomplete")), true, "the directory says its first start did not finish");

    const port = await freePort();
    const again = spawnPlatform({ port, args: ["--demo"], env: { OBOL_DATA_DIR: dataDir, OBOL_KEY_PASSPHRASE: passphrase } });
    try {
      await waitReady(again, 240_000);
      assert.match(again.output(), /did not finish .*starting it over/);
      assert.equal(existsSync(join(dataDir, "first-start-incomplete")), false);
      const logins = parseEnvFile(await readFile(join(dataDir, "demo-logins.env"), "utf8"));
      const login = await fetch(`${again.url}/v1/auth/login`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ msisdn: logins.get("OBOL_DEMO_USER2_MSISDN"), password: logins.get("OBOL_DEMO_USER2_PASSWORD") }),
      });
      assert.equal(login.status, 200, "the logins of the remade demo data work");
    } finally {
      await stopPlatform(again);
    }
  });
});
