/**
 * The platform dies (SIGKILL, at a failpoint) between the commit of N's state and the ledger move it implies;
 * after a restart the system converges on exactly one move (svs-protocol.md property 26):
 *  - withdrawal: the token is stored and the reservation not yet posted. The wallet resends the same W1 and
 *    gets its W2; the wallet is debited 100 once.
 *  - confirmation: the D3 is stored as ACCEPT and the settlement not yet applied. The sweeper applies it after
 *    the restart; a resent D3 is ignored; the merchant is credited 80 once.
 * The platform is a real process on a PGlite directory; the wallet is the client library, the merchant @obol/svs.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { merchant, wallet } from "@obol/svs";
import { EcashPlatformClient, toPublicParams } from "../../src/ecash/platform-client.js";
import { EcashWallet } from "../../src/ecash/wallet.js";
import { freePort, spawnPlatform, startGuardMs, waitReady, type PlatformProcess } from "../support/platform-process.js";

const rng = (n: number) => new Uint8Array(randomBytes(n));
let dir: string;
let port: number;
let platform: PlatformProcess;
const logins = { amina: "", admin: "", merchantKey: "" };

async function startPlatform(failpoints: string[]): Promise<void> {
  platform = spawnPlatform({
    port, args: ["--demo"],
    env: { OBOL_DATA_DIR: join(dir, "platform"), OBOL_KEY_PASSPHRASE: "", OBOL_ECASH_SWEEP_SECONDS: "1", OBOL_FAILPOINTS: failpoints.join(",") },
  });
  await waitReady(platform);
}

async function json(method: string, path: string, body?: unknown, token?: string): Promise<any> {
  const response = await fetch(platform.url + path, {
    method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return response.json();
}

const userToken = async () => (await json("POST", "/v1/auth/login", { msisdn: "+254700000001", password: logins.amina })).token as string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "obol-ecash-crash-"));
  port = await freePort();
  await startPlatform(["ecash.withdraw_after_commit"]);
  logins.amina = /\+254700000001\s+password (\S+)/.exec(platform.output())![1]!;
  logins.admin = /operator\s+admin\s+password (\S+)/.exec(platform.output())![1]!;
  logins.merchantKey = /API key (obol_sk_\S+)/.exec(platform.output())![1]!;
});
after(async () => {
  await platform?.kill("SIGTERM");
  await rm(dir, { recursive: true, force: true });
});

test("a crash between the state commit and the ledger move converges on exactly one move, for withdrawals and confirmations", async () => {
  const platformFor = (token: () => Promise<string>) => new EcashPlatformClient(platform.url, token);
  const shopPlatform = platformFor(async () => logins.merchantKey);
  const params = toPublicParams(await shopPlatform.params());
  const enrolling = merchant.startMerchantEnrolment(merchant.emptyMerchantState(), params, (await shopPlatform.registration()).id, rng);
  assert.ok(enrolling.ok);
  const enrolled = merchant.finishMerchantEnrolment(enrolling.state, await shopPlatform.register(enrolling.request), Date.now());
  assert.ok(enrolled.ok);
  let shop = enrolled.state;
  const offer = merchant.merchantDescriptor(shop)!;

  let saved = wallet.emptyWalletState();
  const store = { save: async (state: wallet.WalletState) => { saved = state; } };
  let ecash = new EcashWallet(saved, store, platformFor(userToken));
  await ecash.register();
  const posted = async () => BigInt((await json("GET", "/v1/me/balance", undefined, await userToken())).balances[0].posted);
  const before = await posted();

  await assert.rejects(ecash.withdraw(100n, offer.id), { code: "ERR_ECASH_UNREACHABLE" }, "the platform died before answering");
  assert.equal(await platform.exited, null, "killed by a signal");
  assert.match(platform.output(), /failpoint ecash.withdraw_after_commit: SIGKILL/);
  assert.equal(Object.keys(saved.withdrawals).length, 1, "the wallet kept its W1");

  await startPlatform(["ecash.confirm_after_commit"]);
  ecash = new EcashWallet(saved, store, platformFor(userToken));
  const { recovered } = await ecash.finishPendingWithdrawals();
  assert.equal(recovered.length, 1);
  assert.equal(recovered[0]!.amount, 100n);
  assert.equal(await posted(), before - 100n, "debited once");
  assert.equal((await json("GET", "/v1/me/balance", undefined, await userToken())).balances[0].held, "0");

  // Two payments of 40 at the merchant, a deposit, and the user's ACCEPT, at which the platform dies.
  const known = wallet.addMerchant(saved, offer);
  assert.ok(known.ok);
  let u = known.state;
  const catalogue: merchant.Catalogue = () => ({ price: 40n, goods: new Uint8Array(0) });
  for (let i = 0; i < 2; i++) {
    const order = wallet.pay(u, { sn: recovered[0]!.sn, merchantId: offer.id, goodsInfo: Buffer.from("coffee"), price: 40n }, Date.now(), rng);
    assert.ok(order.ok);
    const handled = merchant.handlePayment(shop, order.request, { now: Date.now(), rng, catalogue });
    assert.ok(handled.ok);
    shop = handled.state;
    const replied = wallet.handlePaymentReply(order.state, order.sid, handled.reply, Date.now());
    assert.ok(replied.ok && replied.outcome.accepted);
    u = replied.state;
  }
  const deposit = merchant.startDeposit(shop, Date.now(), rng);
  assert.ok(deposit.ok);
  shop = merchant.handleD4(deposit.state, await shopPlatform.deposit(deposit.request), Date.now()).state;
  ecash = new EcashWallet(u, store, platformFor(userToken));
  const [request] = await ecash.confirmations(0);
  assert.equal(request!.view.total, 80n);
  await assert.rejects(ecash.confirm(request!.d2, "ACCEPT"), { code: "ERR_ECASH_UNREACHABLE" });
  assert.equal(await platform.exited, null);
  assert.match(platform.output(), /failpoint ecash.confirm_after_commit: SIGKILL/);

  await startPlatform([]);
  const merchantBalance = async () => (await json("GET", "/v1/merchant", undefined, logins.merchantKey)).balances[0].available as string;
  const deadline = Date.now() + startGuardMs; // a deadlock guard: the sweeper runs every second
  while ((await merchantBalance()) === "0" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
  assert.equal(await merchantBalance(), "80", "the sweeper applied the stored settlement");
  ecash = new EcashWallet(saved, store, platformFor(userToken));
  assert.deepEqual(await ecash.confirm(request!.d2, "ACCEPT"), { decision: "ACCEPT", ignored: true }, "the resent D3 is ignored");
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  assert.equal(await merchantBalance(), "80", "credited once");
  const admin = (await json("POST", "/v1/admin/login", { username: "admin", password: logins.admin })).token;
  const summary = await json("GET", "/v1/admin/ecash", undefined, admin);
  assert.equal(summary.escrowBalance, "20");
  assert.equal(summary.pendingMoves, 0);
  assert.equal((await json("GET", "/v1/admin/ledger/verify", undefined, admin)).balanced, true, "every balance equals its postings");
  const d4 = await shopPlatform.depositResult(deposit.depId);
  shop = merchant.handleD4(shop, d4!, Date.now()).state;
  assert.deepEqual(shop.deposits[deposit.depId]!.results[recovered[0]!.sn], { status: "SETTLED", amount: 80n });
});
