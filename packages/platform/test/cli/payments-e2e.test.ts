/**
 * Issue 4 from the command line, as a merchant and a user would: a real `obol start` process, the
 * merchant's `obol merchant` commands over the HTTP API, and the user's `obol wallet` confirming
 * with a signed XML message in another process.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { freePort, spawnPlatform, waitReady, type PlatformProcess, runCli, type CliResult } from "../support/platform-process.js";

let dir: string;
let platform: PlatformProcess;
const logins = { amina: "", admin: "", apiKey: "" };

function obol(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, {
    HOME: dir, OBOL_URL: platform.url, OBOL_MERCHANT_API_KEY: logins.apiKey, OBOL_WALLET_PASSWORD: logins.amina, OBOL_WALLET_PASSPHRASE: "amina's long keystore passphrase", ...env,
  });
}

async function json(method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(platform.url + path, {
    method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

const paymentIdOf = (stdout: string) => /requested: ([0-9a-f-]{36})/.exec(stdout)![1]!;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "obol-payments-e2e-"));
  platform = spawnPlatform({ port: await freePort(), args: ["--demo"], env: { OBOL_DATA_DIR: join(dir, "data") } });
  await waitReady(platform);
  logins.amina = /\+254700000001\s+password (\S+)/.exec(platform.output())![1]!;
  logins.admin = /operator\s+admin\s+password (\S+)/.exec(platform.output())![1]!;
  logins.apiKey = /API key (obol_sk_\S+)/.exec(platform.output())![1]!;
  const admin = await json("POST", "/v1/admin/login", { username: "admin", password: logins.admin });
  const { code } = await json("POST", "/v1/admin/enrolment-codes", { msisdn: "+254700000001" }, admin.token);
  const enrolled = await obol(["wallet", "enroll", "--url", platform.url, "--msisdn", "+254700000001", "--code", code]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
});
after(async () => {
  await platform?.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

describe("obol merchant + obol wallet: a user-confirmed payment", () => {
  test("the merchant requests, the wallet (another process) sees and confirms it, the merchant sees it succeed, then refunds part", async () => {
    const waiting = obol(["merchant", "request", "--amount", "250.00", "--payer", "+254700000001", "--reference", "order-42", "--description", "Two lattes", "--wait", "600"]);
    const confirmed = await obol(["wallet", "confirm", "--wait", "20", "--yes"]);
    assert.equal(confirmed.code, 0, confirmed.stdout + confirmed.stderr);
    assert.match(confirmed.stdout, /request: 250\.00 KES to Demo Coffee Ltd \(reference order-42\)/);
    assert.match(confirmed.stdout, /paid 250\.00 KES to Demo Coffee Ltd: payment [0-9a-f-]{36}, receipt verified/);
    const merchant = await waiting;
    assert.equal(merchant.code, 0, merchant.stdout + merchant.stderr);
    assert.match(merchant.stdout, /now: [0-9a-f-]{36}  succeeded/);
    const id = paymentIdOf(merchant.stdout);

    const refunded = await obol(["merchant", "refund", "--payment", id, "--amount", "50.00", "--reason", "one latte"]);
    assert.equal(refunded.code, 0, refunded.stderr);
    assert.match(refunded.stdout, /refund [0-9a-f-]{36}: 50\.00 KES succeeded/);
    const tooMuch = await obol(["merchant", "refund", "--payment", id, "--amount-minor", "20001"]);
    assert.equal(tooMuch.code, 1);
    assert.match(tooMuch.stderr, /^obol: .+ \(ERR_REFUND_EXCEEDS_CAPTURE\)\n$/, "one line with the code");
    const detail = await obol(["merchant", "get", "--payment", id]);
    assert.match(detail.stdout, /create .* - → awaiting_confirmation/);
    assert.match(detail.stdout, /captured .* funding → succeeded/);
    const mine = await obol(["wallet", "payments"]);
    assert.match(mine.stdout, new RegExp(`succeeded .*250\\.00 KES  order-42  ${id}`));
  });

  test("wallet confirm with no terminal and no --yes shows the request, refuses, and signs nothing", async () => {
    const requested = await obol(["merchant", "request", "--amount", "12.34", "--payer", "+254700000001", "--reference", "order-tty"]);
    assert.equal(requested.code, 0, requested.stderr);
    assert.match(requested.stdout, /awaiting_confirmation\s+12\.34 KES  order-tty/);
    const id = paymentIdOf(requested.stdout);
    const refused = await obol(["wallet", "confirm", "--payment", id]); // runCli's stdin is a pipe, not a terminal
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stdout, /request: 12\.34 KES to Demo Coffee Ltd \(reference order-tty\)/, "it shows merchant, amount and reference");
    assert.match(refused.stderr, /^obol: not confirmed: there is no terminal to ask in; to pay 12\.34 KES to Demo Coffee Ltd .*run again with --yes \(ERR_CONFIRMATION_REQUIRED\)\n$/);
    const detail = await obol(["merchant", "get", "--payment", id]);
    assert.match(detail.stdout, new RegExp(`^${id}  awaiting_confirmation\\s+12\\.34 KES  order-tty`), "the payment is still waiting");
    assert.doesNotMatch(detail.stdout, /funding|succeeded/);
    const waiting = await obol(["wallet", "inbox"]);
    assert.match(waiting.stdout, new RegExp(`payment ${id}`), "and still in the payer's inbox");
    assert.equal((await obol(["merchant", "cancel", "--payment", id])).code, 0);
  });

  test("declining from the wallet ends the request as declined", async () => {
    const requested = await obol(["merchant", "request", "--amount", "10.00", "--payer", "+254700000001"]);
    const id = paymentIdOf(requested.stdout);
    const declined = await obol(["wallet", "decline", "--payment", id]);
    assert.equal(declined.code, 0, declined.stderr);
    assert.match(declined.stdout, new RegExp(`payment ${id}: declined \\(ERR_PAYMENT_DECLINED\\)`));
    const listed = await obol(["merchant", "list", "--state", "declined"]);
    assert.match(listed.stdout, new RegExp(id));
  });

  test("escrow: confirm into escrow, the merchant ships, the user confirms receipt and the funds are released", async () => {
    const requested = await obol(["merchant", "request", "--amount-minor", "40000", "--payer", "+254700000001", "--escrow"]);
    const id = paymentIdOf(requested.stdout);
    const confirmed = await obol(["wallet", "confirm", "--payment", id, "--yes"]);
    assert.match(confirmed.stdout, /paid into escrow 400\.00 KES/);
    assert.match((await obol(["merchant", "ship", "--payment", id])).stdout, /shipped/);
    const received = await obol(["wallet", "received", "--payment", id]);
    assert.match(received.stdout, new RegExp(`payment ${id}: released`));
  });

  test("nothing waiting: confirm says so; a merchant without a key is told what to set", async () => {
    const none = await obol(["wallet", "confirm"]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no payment request is waiting/);
    const noKey = await obol(["merchant", "list"], { OBOL_MERCHANT_API_KEY: "" });
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /set OBOL_MERCHANT_API_KEY/);
  });
});
