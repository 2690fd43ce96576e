/**
 * The CLI as people meet it when something is wrong: every failure is one line, `obol: <sentence> (<CODE>)`,
 * exit 2 for usage errors and 1 otherwise, no stack trace unless OBOL_DEBUG=1; and every command has its own
 * --help. No platform runs here: an unreachable one is a closed port, a keystore is made locally.
 */
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { sealPrivateKey } from "@obol/pki";
import { commandHelp } from "../../src/cli/args.js";
import { commands, ecashConfirmWaitSecondsMax } from "../../src/cli/commands.js";
import { confirmationWaitMsMax } from "../../src/modules/ecash/service.js";
import { freePort, runCli, type CliResult } from "../support/platform-process.js";

let dir: string;
let deadUrl: string;
const passphrase = "a long enough keystore passphrase";

function obol(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { HOME: dir, OBOL_MERCHANT_API_KEY: "obol_sk_test", ...env });
}

/** One line on stderr with the code, no stack, nothing on stdout, the exit status. */
function assertOneLineFailure(result: CliResult, code: string, status: 1 | 2, sentence?: RegExp): void {
  assert.equal(result.code, status, `exit status: ${result.stderr}`);
  const lines = result.stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, `one line on stderr, got:\n${result.stderr}`);
  assert.match(lines[0]!, new RegExp(`^obol: .+ \\(${code}\\)$`));
  if (sentence !== undefined) assert.match(lines[0]!, sentence);
  assert.doesNotMatch(result.stderr, /\n\s+at |Error:|node:internal/, "no stack trace");
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "obol-cli-errors-"));
  deadUrl = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  await writeFile(join(dir, "wallet.json"), JSON.stringify({
    version: 1, url: deadUrl, msisdn: "+254700000001", serial: "01", compactId: "AAAAAAAAAAAAAAAAAAAAAA", certificate: "", chain: [],
    platform: { signing: "", encryption: "" }, sealedKey: sealPrivateKey(deviceKey, passphrase),
  }));
  await writeFile(join(dir, "broken.json"), "{ not json");
});
after(async () => { await rm(dir, { recursive: true, force: true }); });

describe("obol: failures are one line with a stable code", { timeout: 120_000 }, () => {
  test("the platform not running: merchant (SDK) and wallet (XML channel) say where they looked", async () => {
    const merchant = await obol(["merchant", "list", "--url", deadUrl]);
    assertOneLineFailure(merchant, "ERR_PLATFORM_UNREACHABLE", 1, new RegExp(`^obol: cannot reach the platform at ${deadUrl}: is it running\\?`));
    const fromEnv = await obol(["merchant", "get", "--payment", "8d2b1f4e-0000-4000-8000-000000000000"], { OBOL_URL: deadUrl });
    assertOneLineFailure(fromEnv, "ERR_PLATFORM_UNREACHABLE", 1, new RegExp(deadUrl));
    const wallet = await obol(["wallet", "balance", "--keystore", join(dir, "wallet.json")], { OBOL_WALLET_PASSPHRASE: passphrase });
    assertOneLineFailure(wallet, "ERR_PLATFORM_UNREACHABLE", 1, new RegExp(deadUrl));
  });

  test("OBOL_DEBUG=1 adds the stack trace after the line", async () => {
    const debug = await obol(["merchant", "list", "--url", deadUrl], { OBOL_DEBUG: "1" });
    assert.equal(debug.code, 1);
    assert.match(debug.stderr, /^obol: cannot reach the platform .*\(ERR_PLATFORM_UNREACHABLE\)\n/);
    assert.match(debug.stderr, /\n\s+at /);
  });

  test("a wrong keystore passphrase; a missing or broken keystore", async () => {
    const wrong = await obol(["wallet", "pay", "--keystore", join(dir, "wallet.json"), "--to", "+254700000002", "--amount", "1.00"], { OBOL_WALLET_PASSPHRASE: "not the passphrase at all" });
    assertOneLineFailure(wrong, "ERR_KEYSTORE_PASSPHRASE", 1, /the keystore passphrase is wrong/);
    assertOneLineFailure(await obol(["wallet", "status", "--keystore", join(dir, "none.json")]), "ERR_KEYSTORE_MISSING", 1, /no wallet keystore at .*none\.json/);
    assertOneLineFailure(await obol(["wallet", "status", "--keystore", join(dir, "broken.json")]), "ERR_KEYSTORE_CORRUPT", 1);
  });

  test("amounts: negative, without the currency's decimals, garbage, both flags, zero: usage errors (exit 2)", async () => {
    const request = (...flags: string[]) => obol(["merchant", "request", "--url", deadUrl, ...flags]);
    assertOneLineFailure(await request("--amount", "-5.00"), "ERR_USAGE", 2, /--amount cannot be negative/);
    assertOneLineFailure(await request("--amount=-5.00"), "ERR_USAGE", 2, /--amount must be positive/);
    assertOneLineFailure(await request("--amount", "50"), "ERR_USAGE", 2, /--amount 50 is ambiguous: write 50\.00 \(KES has 2 decimal places\), or give minor units with --amount-minor/);
    assertOneLineFailure(await request("--amount", "50.5"), "ERR_USAGE", 2, /write 50\.50/);
    assertOneLineFailure(await request("--amount", "50.001"), "ERR_USAGE", 2, /more decimal places than KES has/);
    assertOneLineFailure(await request("--amount", "1e3"), "ERR_USAGE", 2, /must be a number such as 50\.00/);
    assertOneLineFailure(await request("--amount", "50.00", "--amount-minor", "5000"), "ERR_USAGE", 2, /not both/);
    assertOneLineFailure(await request("--amount-minor", "0"), "ERR_USAGE", 2, /more than zero/);
    assertOneLineFailure(await request("--amount-minor", "50.00"), "ERR_USAGE", 2, /whole number of minor units/);
    assertOneLineFailure(await request(), "ERR_USAGE", 2, /--amount AMOUNT .* or --amount-minor N is required/);
    // JPY has no minor digits: "500" is exact there, "500.00" is not.
    assertOneLineFailure(await request("--amount", "500.00", "--currency", "JPY"), "ERR_USAGE", 2, /more decimal places than JPY has \(0\)/);
    const wallet = await obol(["wallet", "pay", "--to", "+254700000002", "--amount", "12550", "--keystore", join(dir, "wallet.json")]);
    assertOneLineFailure(wallet, "ERR_USAGE", 2, /ambiguous/);
  });

  test("every flag with a wrong value, unknown flags and commands: usage errors (exit 2), before anything is sent", async () => {
    const cases: [string[], RegExp][] = [
      [["merchant", "request", "--amount", "1.00", "--bogus"], /unknown flag --bogus: see obol merchant request --help/],
      [["wallet", "confirm", "--yes", "--force"], /unknown flag --force: see obol wallet confirm --help/],
      [["merchant", "request", "--amount", "1.00", "--wait", "soon"], /--wait must be a whole number from 0 to 600 seconds, not 'soon'/],
      [["merchant", "request", "--amount", "1.00", "--wait", "601"], /--wait must be a whole number from 0 to 600/],
      [["merchant", "request", "--amount", "1.00", "--expires", "5"], /--expires must be a whole number from 10 to 86400/],
      [["merchant", "request", "--amount", "1.00", "--currency", "shillings"], /--currency must be a three-letter ISO 4217 code/],
      [["merchant", "list", "--url", "ftp://example.org"], /--url must be an http:\/\/ or https:\/\/ URL/],
      [["merchant", "list", "--url", "not a url"], /--url must be an http:\/\/ or https:\/\/ URL/],
      [["merchant", "list", "--state", "happy"], /--state must be one of awaiting_confirmation, /],
      [["merchant", "get", "--payment", "42"], /--payment must be a payment id/],
      [["merchant", "get"], /give the payment as --payment ID or --reference REF \(one of the two\)/],
      [["merchant", "cancel", "--payment", "8d2b1f4e-0000-4000-8000-000000000000", "--reference", "order-1"], /--payment ID or --reference REF \(one of the two\)/],
      [["merchant", "refund", "--payment", "8d2b1f4e-0000-4000-8000-000000000000"], /--amount AMOUNT or --amount-minor N is required/],
      [["wallet", "confirm", "--funding", "cash"], /--funding must be auto, wallet or bank, not 'cash'/],
      [["wallet", "enroll", "--msisdn", "+254700000001"], /--code CODE is required/],
      [["start", "--port", "70000"], /--port must be a whole number from 0 to 65535/],
      [["wallet", "ecash", "confirm", "--accept", "--reject"], /not both/],
      [["wallet", "pay", "extra", "--to", "+1", "--amount", "1.00"], /unexpected argument 'extra'/],
      [["fly"], /unknown command 'fly': see obol --help/],
      [["merchant", "frobnicate"], /unknown command 'merchant frobnicate'/],
    ];
    // In parallel: each is its own process, and none reaches a platform.
    const results = await Promise.all(cases.map(([args]) => obol(args)));
    cases.forEach(([, sentence], i) => assertOneLineFailure(results[i]!, "ERR_USAGE", 2, sentence));
  });
});

describe("obol: help for each command", { timeout: 120_000 }, () => {
  test("obol --help lists every command; obol alone prints it and exits 2", async () => {
    const help = await obol(["--help"]);
    assert.equal(help.code, 0);
    for (const command of commands) assert.match(help.stdout, new RegExp(`^  ${command.name} `, "m"), command.name);
    assert.equal((await obol([])).code, 2);
  });

  test("obol <command> --help and obol help <command> print that command's help: synopsis, flags, examples", async () => {
    for (const name of ["wallet confirm", "merchant request", "wallet pay", "merchant ecash register"]) {
      const viaFlag = await obol([...name.split(" "), "--help"]);
      const viaHelp = await obol(["help", ...name.split(" ")]);
      assert.equal(viaFlag.code, 0, viaFlag.stderr);
      assert.equal(viaHelp.stdout, viaFlag.stdout);
      assert.match(viaFlag.stdout, new RegExp(`^obol ${name} `));
      assert.match(viaFlag.stdout, /\nFlags:\n/);
      assert.match(viaFlag.stdout, /\nExamples:\n/);
      assert.doesNotMatch(viaFlag.stdout, /Commands:/, "not the global help");
    }
    const confirm = await obol(["wallet", "confirm", "-h"]);
    assert.match(confirm.stdout, /--yes\s+confirm without asking/);
    assert.match(confirm.stdout, /With no terminal .* and no --yes it refuses/);
    const request = await obol(["merchant", "request", "--help"]);
    assert.match(request.stdout, /--amount AMOUNT\s+the amount in major units/);
    assert.match(request.stdout, /--amount-minor N/);
    assert.match(request.stdout, /--url URL\s+the platform's URL \(default \$OBOL_URL, else http:\/\/127\.0\.0\.1:3000\)/);
    assert.match((await obol(["merchant", "ecash", "register", "--help"])).stdout, /--platform is a deprecated alias/);
    assert.match((await obol(["help", "wallet"])).stdout, /obol wallet confirm/);
  });

  test("the e-cash confirm --wait limit is the platform's", () => {
    assert.equal(ecashConfirmWaitSecondsMax * 1000, confirmationWaitMsMax);
  });

  test("every command's help explains each of its flags and shows an example", () => {
    for (const command of commands) {
      const help = commandHelp(command);
      for (const [flag, spec] of Object.entries(command.flags)) {
        assert.match(help, new RegExp(`\\n  --${flag}\\b.*\\S`), `${command.name} --${flag}`);
        assert.ok(spec.description.length > 3, `${command.name} --${flag} is explained`);
      }
      assert.ok(command.examples.length > 0, `${command.name} has an example`);
      for (const example of command.examples) assert.ok(example.includes(`obol ${command.name}`), `${command.name}: ${example}`);
    }
  });
});
