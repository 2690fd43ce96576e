import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { runCli, seedDataDir, type CliResult } from "../support/platform-process.js";

function obol(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<CliResult> {
  return runCli(args, { HOME: process.env.HOME ?? "/tmp", ...env }, stdin);
}

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "obol-cli-"));
  seedDataDir(dataDir);
});
after(async () => { await rm(dataDir, { recursive: true, force: true }); });

describe("obol CLI", () => {
  test("obol demo makes a P2P transfer and a bank-funded, user-confirmed payment over HTTP, and proves the ledger", async () => {
    const { code, stdout } = await obol(["demo"]);
    assert.equal(code, 0, stdout);
    assert.match(stdout, /Amina Otieno\s+\+254700000001\s+5,000\.00 KES/);
    assert.match(stdout, /Amina Otieno\s+\+254700000001\s+3,749\.50 KES/);
    assert.match(stdout, /Brian Kamau\s+\+254700000002\s+6,250\.50 KES/);
    assert.match(stdout, /Her wallet shows \(platform-signed\): pay 450\.00 KES to Demo Coffee Ltd \(approved\)/);
    assert.match(stdout, /receipt \(signature verified\): completed 450\.00 KES \+254700000001 → merchant:[0-9a-f-]{36}/);
    assert.match(stdout, /succeeded, funded from bank, fee 4\.50 KES; transitions awaiting_confirmation → funding → succeeded/);
    const bank = /reference bank: ([0-9,.]+) KES → ([0-9,.]+) KES/.exec(stdout);
    assert.ok(bank !== null, stdout);
    assert.equal(Number(bank[1]!.replaceAll(",", "")) - Number(bank[2]!.replaceAll(",", "")), 450, "her bank account was debited 450.00 once");
    assert.match(stdout, /Demo Coffee Ltd's balance: 445\.50 KES/);
    assert.match(stdout, /Webhook events queued for the merchant: payment\.succeeded/);
    assert.match(stdout, /every balance equals its postings/);
  });

  test("obol admin create generates a password once, refuses a duplicate and a bad role", async () => {
    const env = { OBOL_DATA_DIR: dataDir };
    const first = await obol(["admin", "create", "--username", "root-admin"], env);
    assert.equal(first.code, 0, first.stderr);
    const password = /password: (\S+)/.exec(first.stdout)?.[1];
    assert.ok(password !== undefined && password.length >= 20, "a strong generated password is printed");
    const again = await obol(["admin", "create", "--username", "root-admin"], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /ERR_USERNAME_TAKEN/);
    const badRole = await obol(["admin", "create", "--username", "x-admin", "--role", "god"], env);
    assert.equal(badRole.code, 2);
    const fromStdin = await obol(["admin", "create", "--username", "risk-1", "--role", "risk", "--password-stdin"], env, "short\n");
    assert.equal(fromStdin.code, 2, "a too-short password from stdin is refused");
  });

  test("obol migrate, then obol ledger verify on the same data", async () => {
    const env = { OBOL_DATA_DIR: dataDir };
    assert.equal((await obol(["migrate"], env)).code, 0);
    const verify = await obol(["ledger", "verify"], env);
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /mismatches: 0/);
  });

  test("obol audit verify checks the chain that admin create wrote to", async () => {
    const report = await obol(["audit", "verify"], { OBOL_DATA_DIR: dataDir });
    assert.equal(report.code, 0, report.stderr);
    assert.match(report.stdout, /audit chain intact: 1 entries/);
  });

  test("usage errors exit 2 with help", async () => {
    const unknown = await obol(["fly"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'fly'/);
    assert.equal((await obol(["--help"])).code, 0);
  });
});
