// Specification of the platform side (N) of self-verified e-cash (SVS1-M, shared/specs/svs-protocol.md) through
// its HTTP API: registration after platform authentication, withdrawal into the escrow account (idempotent),
// deposits the user confirms or refuses, the outbox of ledger moves, expiry refunds. The wallet (U) and the
// merchant (P) are the pure @obol/svs parties, driven in process. Hostile input: ecash-hostile-input.test.ts.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { fromHex, merchant, toHex, wallet, type PublicParams } from "@obol/svs";
import { parseFrames } from "../../src/ecash/frames.js";
import { assertEveryResponseWellFormed, ledgerTransferCount, openHarness, wallet as balanceOf, type Harness } from "./harness.js";

const rng = (n: number) => new Uint8Array(randomBytes(n));
const day = 86_400_000;

let h: Harness;
let params: PublicParams;
let merchantKey: string;
let shop: merchant.MerchantState;
/** User A's and user B's wallets. */
let walletA: wallet.WalletState;
let walletB: wallet.WalletState;

const prices: Record<string, bigint> = { coffee: 40n, tea: 30n, cake: 20n };
const catalogue: merchant.Catalogue = (gi) => {
  const price = prices[Buffer.from(gi).toString("utf8")];
  return price === undefined ? null : { price, goods: Buffer.from("goods") };
};

function ok<T extends { ok: boolean }>(outcome: T): Extract<T, { ok: true }> {
  assert.ok(outcome.ok, `expected ok: ${JSON.stringify((outcome as { failure?: unknown }).failure)}`);
  return outcome as Extract<T, { ok: true }>;
}

const shopId = () => merchant.merchantDescriptor(shop)!.id;

async function enrolWallet(token: string): Promise<wallet.WalletState> {
  const identity = await h.call("GET", "/v1/ecash/registration", { token });
  const started = ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, identity.body.id, rng));
  const r3 = await h.call("POST", "/v1/ecash/registrations", { token, binary: started.request });
  assert.equal(r3.status, 200, r3.text);
  assert.equal(r3.headers["content-type"], "application/octet-stream");
  const enrolled = ok(wallet.finishWalletEnrolment(started.state, r3.bytes, h.clock.now)).state;
  const found = await h.call("GET", `/v1/ecash/merchants/${encodeURIComponent(shopId())}`);
  assert.equal(found.status, 200, found.text);
  assert.equal(found.body.legalName, "Demo Coffee Ltd");
  return ok(wallet.addMerchant(enrolled, { id: found.body.id, v: fromHex(found.body.v), notAfterMs: found.body.notAfterMs })).state;
}

async function withdraw(state: wallet.WalletState, token: string, amount: bigint): Promise<{ state: wallet.WalletState; sn: string }> {
  const started = ok(wallet.startWithdrawal(state, { amount, payee: shopId() }, h.clock.now, rng));
  const w2 = await h.call("POST", "/v1/ecash/withdrawals", { token, binary: started.request });
  assert.equal(w2.status, 200, w2.text);
  const got = ok(wallet.handleW2(started.state, started.withdrawalId, w2.bytes, h.clock.now));
  return { state: got.state, sn: toHex(got.token.sn) };
}

function pay(state: wallet.WalletState, sn: string, item: string): wallet.WalletState {
  const order = ok(wallet.pay(state, { sn, merchantId: shopId(), goodsInfo: Buffer.from(item), price: prices[item]! }, h.clock.now, rng));
  const handled = ok(merchant.handlePayment(shop, order.request, { now: h.clock.now, rng, catalogue }));
  shop = handled.state;
  const replied = ok(wallet.handlePaymentReply(order.state, order.sid, handled.reply, h.clock.now));
  assert.equal(replied.outcome.accepted, true, `paying for ${item}`);
  return replied.state;
}

async function deposit(): Promise<string> {
  const started = ok(merchant.startDeposit(shop, h.clock.now, rng));
  shop = started.state;
  const d4 = await h.call("POST", "/v1/ecash/deposits", { token: merchantKey, binary: started.request });
  assert.equal(d4.status, 200, d4.text);
  shop = ok(merchant.handleD4(shop, d4.bytes, h.clock.now)).state;
  return started.depId;
}

async function refreshDeposit(depId: string): Promise<merchant.MerchantDeposit> {
  const d4 = await h.call("GET", `/v1/ecash/deposits/${depId}`, { token: merchantKey });
  assert.equal(d4.status, 200, d4.text);
  shop = ok(merchant.handleD4(shop, d4.bytes, h.clock.now)).state;
  return shop.deposits[depId]!;
}

async function inbox(token: string, waitMs = 0): Promise<Uint8Array[]> {
  const reply = await h.call("GET", `/v1/ecash/confirmations?waitMs=${waitMs}`, { token });
  assert.equal(reply.status, 200, reply.text);
  return parseFrames(reply.bytes);
}

async function answer(state: wallet.WalletState, token: string, d2: Uint8Array, decision: "ACCEPT" | "REJECT"): Promise<{ state: wallet.WalletState; body: unknown; d3: Uint8Array }> {
  const answered = ok(wallet.answerConfirmation(state, d2, decision, h.clock.now, rng));
  const reply = await h.call("POST", "/v1/ecash/confirmations", { token, binary: answered.request });
  assert.equal(reply.status, 200, reply.text);
  return { state: answered.state, body: reply.body, d3: answered.request };
}

async function summary(): Promise<{ escrowBalance: bigint; tokens: Record<string, { count: number; escrow: string }>; pendingMoves: number }> {
  const reply = await h.call("GET", "/v1/admin/ecash", { token: h.adminToken });
  assert.equal(reply.status, 200, reply.text);
  return { ...reply.body, escrowBalance: BigInt(reply.body.escrowBalance) };
}

async function merchantAccount(token = merchantKey): Promise<{ accountId: string; available: bigint }> {
  const reply = await h.call("GET", "/v1/merchant", { token });
  const balance = reply.body.balances.find((b: { currency: string }) => b.currency === h.currency);
  return { accountId: balance.accountId, available: BigInt(balance.available) };
}

async function approvedMerchant(legalName: string): Promise<string> {
  const signup = await h.call("POST", "/v1/merchants", { json: { legalName, category: "5814" } });
  assert.equal((await h.call("POST", `/v1/admin/merchants/${signup.body.id}/approve`, { token: h.adminToken })).status, 200);
  return signup.body.apiKey as string;
}

before(async () => {
  h = await openHarness();
  merchantKey = h.demo.merchant.apiKey;
  const published = await h.call("GET", "/v1/ecash/params");
  assert.equal(published.status, 200, published.text);
  params = { idN: published.body.idN, qN: fromHex(published.body.qN), qNSig: fromHex(published.body.qNSig), freshnessWindowMs: published.body.freshnessWindowMs };
  const identity = await h.call("GET", "/v1/ecash/registration", { token: merchantKey });
  assert.equal(identity.body.role, "P");
  const started = ok(merchant.startMerchantEnrolment(merchant.emptyMerchantState(), params, identity.body.id, rng));
  const r3 = await h.call("POST", "/v1/ecash/registrations", { token: merchantKey, binary: started.request });
  assert.equal(r3.status, 200, r3.text);
  shop = ok(merchant.finishMerchantEnrolment(started.state, r3.bytes, h.clock.now)).state;
});
after(async () => {
  await h?.stop();
});

describe("registration", () => {
  test("needs a platform login; the identity is the caller's own; a retried R1 gets the same R3; an identity registers once", async () => {
    const identity = await h.call("GET", "/v1/ecash/registration", { token: h.b.token });
    assert.deepEqual(identity.body, { id: `user:${h.b.id}`, role: "U", registered: false, notAfterMs: null });
    const mine = ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, identity.body.id, rng));
    assert.equal((await h.call("POST", "/v1/ecash/registrations", { binary: mine.request })).status, 401);
    assert.equal((await h.call("POST", "/v1/ecash/registrations", { token: h.adminToken, binary: mine.request })).body.error.code, "ERR_FORBIDDEN");
    const impostor = ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, `user:${h.a.id}`, rng));
    const refused = await h.call("POST", "/v1/ecash/registrations", { token: h.b.token, binary: impostor.request });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, "ERR_ECASH_REJECTED");

    const first = await h.call("POST", "/v1/ecash/registrations", { token: h.b.token, binary: mine.request });
    const again = await h.call("POST", "/v1/ecash/registrations", { token: h.b.token, binary: mine.request });
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(again.bytes, first.bytes, "a retried R1 gets the stored R3");
    walletB = ok(wallet.finishWalletEnrolment(mine.state, first.bytes, h.clock.now)).state;
    const second = ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, identity.body.id, rng));
    assert.equal((await h.call("POST", "/v1/ecash/registrations", { token: h.b.token, binary: second.request })).body.error.code, "ERR_ECASH_REJECTED");
    const registered = (await h.call("GET", "/v1/ecash/registration", { token: h.b.token })).body;
    assert.equal(registered.registered, true);
    assert.ok(registered.notAfterMs > h.clock.now + 300 * day);
    const found = await h.call("GET", `/v1/ecash/merchants/${encodeURIComponent(shopId())}`);
    walletB = ok(wallet.addMerchant(walletB, { id: found.body.id, v: fromHex(found.body.v), notAfterMs: found.body.notAfterMs })).state;
  });

  test("a merchant that is not approved cannot register; an unknown merchant is not in the directory", async () => {
    const signup = await h.call("POST", "/v1/merchants", { json: { legalName: "Pending Tea", category: "5814" } });
    const identity = await h.call("GET", "/v1/ecash/registration", { token: signup.body.apiKey });
    const started = ok(merchant.startMerchantEnrolment(merchant.emptyMerchantState(), params, identity.body.id, rng));
    const refused = await h.call("POST", "/v1/ecash/registrations", { token: signup.body.apiKey, binary: started.request });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, "ERR_MERCHANT_NOT_APPROVED");
    const unknown = await h.call("GET", `/v1/ecash/merchants/${encodeURIComponent(identity.body.id)}`);
    assert.equal(unknown.body.error.code, "ERR_MERCHANT_NOT_FOUND");
  });
});

describe("withdraw, pay, deposit, confirm", () => {
  let sn: string;

  test("a withdrawal debits the wallet into the escrow account once, however often its W1 is retried", async () => {
    walletA = await enrolWallet(h.a.token);
    const before = await balanceOf(h, h.a.id);
    const escrowBefore = (await summary()).escrowBalance;
    const started = ok(wallet.startWithdrawal(walletA, { amount: 100n, payee: shopId() }, h.clock.now, rng));
    const first = await h.call("POST", "/v1/ecash/withdrawals", { token: h.a.token, binary: started.request });
    assert.equal(first.status, 200, first.text);
    const transfers = await ledgerTransferCount(h);
    const retried = await h.call("POST", "/v1/ecash/withdrawals", { token: h.a.token, binary: started.request });
    assert.equal(retried.status, 200, retried.text);
    assert.deepEqual(retried.bytes, first.bytes, "the retried W1 gets the cached W2 (§2.4 N step 4)");
    assert.equal(await ledgerTransferCount(h), transfers, "a retry moves no money");
    const got = ok(wallet.handleW2(started.state, started.withdrawalId, first.bytes, h.clock.now));
    walletA = got.state;
    sn = toHex(got.token.sn);
    const after = await balanceOf(h, h.a.id);
    assert.equal(BigInt(after.posted), BigInt(before.posted) - 100n);
    assert.equal(after.held, "0", "the reservation was posted, not left pending");
    assert.equal((await summary()).escrowBalance, escrowBefore + 100n);
  });

  test("40 and 40 are paid, 30 is refused; the deposit waits for the user, who accepts: 80 to the merchant, 20 stays in escrow", async () => {
    walletA = pay(pay(walletA, sn, "coffee"), sn, "coffee");
    const third = wallet.pay(walletA, { sn, merchantId: shopId(), goodsInfo: Buffer.from("tea"), price: 30n }, h.clock.now, rng);
    assert.equal(!third.ok && third.failure.code, "ERR_SVS_TOKEN_EXHAUSTED");

    const merchantBefore = (await merchantAccount()).available;
    const escrowBefore = (await summary()).escrowBalance;
    const depId = await deposit();
    assert.equal(shop.deposits[depId]!.results[sn]!.status, "PENDING");
    assert.equal((await merchantAccount()).available, merchantBefore, "nothing is credited before the user confirms");

    const [d2, ...more] = await inbox(h.a.token);
    assert.equal(more.length, 0);
    const view = ok(wallet.inspectConfirmation(walletA, d2!)).request;
    assert.equal(view.matchesLog, true);
    assert.equal(view.total, 80n);
    assert.deepEqual(await inbox(h.b.token), [], "another user's inbox stays empty");
    const accepted = await answer(walletA, h.a.token, d2!, "ACCEPT");
    walletA = accepted.state;
    assert.deepEqual(accepted.body, { decision: "ACCEPT", ignored: false });
    const again = await h.call("POST", "/v1/ecash/confirmations", { token: h.a.token, binary: accepted.d3 });
    assert.deepEqual(again.body, { decision: null, ignored: true }, "one D3 per dep_id");

    assert.equal((await merchantAccount()).available, merchantBefore + 80n);
    const after = await summary();
    assert.equal(after.escrowBalance, escrowBefore - 80n);
    assert.deepEqual(after.tokens.PARTIAL, { count: 1, escrow: "20" });
    assert.deepEqual(await inbox(h.a.token), [], "an answered request leaves the inbox");
    const result = await refreshDeposit(depId);
    assert.deepEqual(result.results[sn], { status: "SETTLED", amount: 80n });
    assert.deepEqual(shop.tokens[sn]!.records.map((r) => r.status), ["SETTLED", "SETTLED"]);
  });

  test("a D3 for another user's deposit, a foreign D4 and a replayed D1 are refused", async () => {
    walletA = pay(walletA, sn, "cake");
    const depId = await deposit();
    const [d2] = await inbox(h.a.token);
    const answered = ok(wallet.answerConfirmation(walletA, d2!, "ACCEPT", h.clock.now, rng));
    const stolen = await h.call("POST", "/v1/ecash/confirmations", { token: h.b.token, binary: answered.request });
    assert.equal(stolen.body.error.code, "ERR_ECASH_REJECTED");
    assert.equal((await inbox(h.a.token)).length, 1, "the request still waits for its user");

    const other = await approvedMerchant("Other Shop");
    const foreign = await h.call("GET", `/v1/ecash/deposits/${depId}`, { token: other });
    assert.equal(foreign.status, 404);
    assert.equal(foreign.body.error.code, "ERR_NOT_FOUND");
    const d1 = merchant.resendDeposit(shop, depId)!;
    assert.equal((await h.call("POST", "/v1/ecash/deposits", { token: merchantKey, binary: d1 })).body.error.code, "ERR_ECASH_REJECTED", "a D1 counts once");
    assert.equal((await h.call("POST", "/v1/ecash/deposits", { token: other, binary: d1 })).body.error.code, "ERR_ECASH_REJECTED", "another merchant's D1");
  });

  test("a settlement the ledger cannot apply yet stays in the outbox; the sweeper applies it exactly once", async () => {
    const [d2] = await inbox(h.a.token);
    const { accountId, available: before } = await merchantAccount();
    assert.equal((await h.call("POST", `/v1/admin/accounts/${accountId}/freeze`, { token: h.adminToken })).status, 200);
    const accepted = await answer(walletA, h.a.token, d2!, "ACCEPT");
    walletA = accepted.state;
    assert.deepEqual(accepted.body, { decision: "ACCEPT", ignored: false });
    assert.equal((await merchantAccount()).available, before, "the merchant's account is frozen: the move waits");
    assert.equal((await summary()).pendingMoves, 1);
    assert.equal((await h.call("POST", `/v1/admin/accounts/${accountId}/unfreeze`, { token: h.adminToken })).status, 200);
    h.clock.advance(5_000);
    assert.deepEqual(await h.platform.services.ecash.sweep(), { moves: 1, refunded: 0 });
    assert.deepEqual(await h.platform.services.ecash.sweep(), { moves: 0, refunded: 0 });
    assert.equal((await merchantAccount()).available, before + 20n);
    assert.equal((await summary()).pendingMoves, 0);
  });

  test("a wallet waiting for confirmations is woken by the deposit; the user refuses: nothing credited, records disputed", async () => {
    const withdrawn = await withdraw(walletA, h.a.token, 50n);
    walletA = pay(withdrawn.state, withdrawn.sn, "tea");
    const merchantBefore = (await merchantAccount()).available;
    // No stopwatch: the poll must still be waiting when the deposit is made, and come back with its request.
    let answered = false;
    const waiting = inbox(h.a.token, 25_000).finally(() => { answered = true; });
    const depId = await deposit();
    assert.equal(answered, false, "the long poll was still waiting when the deposit came");
    const [d2] = await waiting;
    assert.ok(d2 !== undefined, "the long poll returned the deposit's confirmation request");
    const refused = await answer(walletA, h.a.token, d2!, "REJECT");
    walletA = refused.state;
    assert.deepEqual(refused.body, { decision: "REJECT", ignored: false });
    assert.equal((await merchantAccount()).available, merchantBefore);
    assert.deepEqual((await summary()).tokens.DISPUTED, { count: 1, escrow: "50" }, "the token's money stays in escrow");
    assert.equal((await refreshDeposit(depId)).results[withdrawn.sn]!.status, "DISPUTED");
    assert.deepEqual(shop.tokens[withdrawn.sn]!.records.map((r) => r.status), ["DISPUTED"]);
  });
});

describe("expiry", () => {
  test("after exp + grace the sweeper refunds the rest to the user once, and later deposits of the token are refused", async () => {
    const withdrawn = await withdraw(walletB, h.b.token, 60n);
    walletB = pay(withdrawn.state, withdrawn.sn, "cake");
    const depId = await deposit();
    const [d2] = await inbox(h.b.token);
    walletB = (await answer(walletB, h.b.token, d2!, "ACCEPT")).state;
    walletB = pay(walletB, withdrawn.sn, "cake");
    const before = await balanceOf(h, h.b.id);
    assert.equal((await refreshDeposit(depId)).results[withdrawn.sn]!.status, "SETTLED");

    h.clock.advance(29 * day);
    assert.deepEqual(await h.platform.services.ecash.sweep(), { moves: 0, refunded: 0 }, "not yet due");
    h.clock.advance(8 * day + 1_000);
    const aBefore = await balanceOf(h, h.a.id);
    assert.deepEqual(await h.platform.services.ecash.sweep(), { moves: 0, refunded: 2 }, "B's token and A's disputed one have money to give back");
    assert.deepEqual(await h.platform.services.ecash.sweep(), { moves: 0, refunded: 0 }, "a refund happens once");
    await h.relogin();
    const after = await balanceOf(h, h.b.id);
    assert.equal(BigInt(after.posted), BigInt(before.posted) + 40n, "60 − 20 settled: the undeposited 20 is refunded too");
    assert.equal(BigInt((await balanceOf(h, h.a.id)).posted), BigInt(aBefore.posted) + 20n, "50 − 30 disputed: the unspent 20 goes back");

    const late = await deposit();
    assert.equal(shop.deposits[late]!.results[withdrawn.sn]!.status, "REJECTED", "N refuses deposits after expiry (property 20)");
    assert.deepEqual((await summary()).tokens.EXPIRED, { count: 2, escrow: "30" },
      "the disputed 30 stays in escrow for the dispute process; B's token holds nothing");
    assert.equal((await h.call("GET", "/v1/admin/ledger/verify", { token: h.adminToken })).body.balanced, true);
  });
});

test("a caller whose messages keep failing is refused outright for a while (§2.0 rate limit)", async () => {
  await h.call("POST", "/v1/users", { json: { msisdn: "+254700000099", displayName: "Guesser", password: "guesser-password" } });
  const token = await h.login("+254700000099", "guesser-password");
  const identity = (await h.call("GET", "/v1/ecash/registration", { token })).body.id;
  for (let i = 0; i < 20; i++) {
    assert.equal((await h.call("POST", "/v1/ecash/registrations", { token, binary: randomBytes(40) })).body.error.code, "ERR_ECASH_REJECTED");
  }
  const valid = ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, identity, rng));
  const limited = await h.call("POST", "/v1/ecash/registrations", { token, binary: valid.request });
  assert.equal(limited.status, 429);
  assert.equal(limited.body.error.code, "ERR_ECASH_RATE_LIMITED");
  assert.equal((await h.call("GET", "/v1/ecash/registration", { token })).body.registered, false, "refused before any work");
  h.clock.advance(61_000);
  assert.equal((await h.call("POST", "/v1/ecash/registrations", { token, binary: valid.request })).status, 200);
});

test("every response was well formed", () => {
  assertEveryResponseWellFormed(h);
});
