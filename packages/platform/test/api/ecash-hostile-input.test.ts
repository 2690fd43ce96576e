// Specification: hostile binary input to the e-cash routes (svs-protocol.md §2.0: length limits, no trailing
// bytes, invalid points, generic failure rule) is refused with ERR_ECASH_REJECTED, a body over the limit with
// 413 and a wrong media type with 415, and a refused message changes nothing: no money moves, no e-cash row
// appears or changes, nothing stays held. The malformed messages are derived from valid ones of each type.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { sql } from "kysely";
import { fromHex, merchant, messageBytesMax, toHex, wallet, type PublicParams } from "@obol/svs";
import { parseFrames } from "../../src/ecash/frames.js";
import { assertEveryResponseWellFormed, openHarness, wallet as balanceOf, type Harness } from "./harness.js";

const rng = (n: number) => new Uint8Array(randomBytes(n));

let h: Harness;
/** One valid, unsent message per route, with the caller that may send it. */
const valid: Record<string, { token: string; bytes: Uint8Array }> = {};

function ok<T extends { ok: boolean }>(outcome: T): Extract<T, { ok: true }> {
  assert.ok(outcome.ok, `expected ok: ${JSON.stringify((outcome as { failure?: unknown }).failure)}`);
  return outcome as Extract<T, { ok: true }>;
}

before(async () => {
  // A low withdrawal maximum keeps every altered amount either refused or coverable, so a flipped bit can only
  // ever give ERR_ECASH_REJECTED; a high rejection limit keeps the rate limit out of this file.
  h = await openHarness({ env: { OBOL_ECASH_WITHDRAW_AMOUNT_MAX: "1000", OBOL_ECASH_REJECTIONS_PER_MINUTE_MAX: "1000000" } });
  const merchantKey = h.demo.merchant.apiKey;
  const p = (await h.call("GET", "/v1/ecash/params")).body;
  const params: PublicParams = { idN: p.idN, qN: fromHex(p.qN), qNSig: fromHex(p.qNSig), freshnessWindowMs: p.freshnessWindowMs };
  const now = () => h.clock.now;
  const enrol = async <S>(token: string, start: (id: string) => { state: S; request: Uint8Array }, finish: (s: S, r3: Uint8Array) => S): Promise<S> => {
    const started = start((await h.call("GET", "/v1/ecash/registration", { token })).body.id);
    const r3 = await h.call("POST", "/v1/ecash/registrations", { token, binary: started.request });
    assert.equal(r3.status, 200, r3.text);
    return finish(started.state, r3.bytes);
  };
  let shop = await enrol(merchantKey, (id) => ok(merchant.startMerchantEnrolment(merchant.emptyMerchantState(), params, id, rng)),
    (s, r3) => ok(merchant.finishMerchantEnrolment(s, r3, now())).state);
  const descriptor = merchant.merchantDescriptor(shop)!;
  let u = await enrol(h.a.token, (id) => ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, id, rng)),
    (s, r3) => ok(wallet.finishWalletEnrolment(s, r3, now())).state);
  u = ok(wallet.addMerchant(u, descriptor)).state;

  const withdraw = async (): Promise<string> => {
    const withdrawal = ok(wallet.startWithdrawal(u, { amount: 100n, payee: descriptor.id }, now(), rng));
    const w2 = await h.call("POST", "/v1/ecash/withdrawals", { token: h.a.token, binary: withdrawal.request });
    const got = ok(wallet.handleW2(withdrawal.state, withdrawal.withdrawalId, w2.bytes, now()));
    u = got.state;
    return toHex(got.token.sn);
  };
  const catalogue: merchant.Catalogue = () => ({ price: 10n, goods: new Uint8Array(1) });
  const pay = (sn: string) => {
    const order = ok(wallet.pay(u, { sn, merchantId: descriptor.id, goodsInfo: Buffer.from("item"), price: 10n }, now(), rng));
    const handled = ok(merchant.handlePayment(shop, order.request, { now: now(), rng, catalogue }));
    shop = handled.state;
    u = ok(wallet.handlePaymentReply(order.state, order.sid, handled.reply, now())).state;
  };
  // Token 1 is deposited (its D2 waits for a D3); token 2 is paid, its D1 built and kept.
  pay(await withdraw());
  const first = ok(merchant.startDeposit(shop, now(), rng));
  shop = first.state;
  assert.equal((await h.call("POST", "/v1/ecash/deposits", { token: merchantKey, binary: first.request })).status, 200);
  const [d2] = parseFrames((await h.call("GET", "/v1/ecash/confirmations", { token: h.a.token })).bytes);
  pay(await withdraw());

  valid.registrations = { token: h.b.token, bytes: ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, `user:${h.b.id}`, rng)).request };
  valid.withdrawals = { token: h.a.token, bytes: ok(wallet.startWithdrawal(u, { amount: 100n, payee: descriptor.id }, now(), rng)).request };
  valid.deposits = { token: merchantKey, bytes: ok(merchant.startDeposit(shop, now(), rng)).request };
  valid.confirmations = { token: h.a.token, bytes: ok(wallet.answerConfirmation(u, d2!, "ACCEPT", now(), rng)).request };
});
after(async () => {
  await h?.stop();
});

/** Everything a refused message must leave as it was. */
async function state(): Promise<unknown> {
  const count = async (table: string, where = sql`true`) =>
    Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM ${sql.table(table)} WHERE ${where}`.execute(h.platform.services.db)).rows[0]!.n);
  const escrow = (await h.call("GET", "/v1/admin/ecash", { token: h.adminToken })).body;
  return {
    a: await balanceOf(h, h.a.id), b: await balanceOf(h, h.b.id), escrow: escrow.escrowBalance, tokens: escrow.tokens,
    registry: await count("ecash_registry"), replay: await count("ecash_replay"), responses: await count("ecash_withdrawal_responses"),
    deposits: await count("ecash_deposits"), pendingConfirmations: await count("ecash_confirmations", sql`state = 'PENDING'`),
    moves: await count("ecash_ledger_moves"), posted: await count("ledger_transfers", sql`kind IN ('posted', 'post_pending')`),
  };
}

async function refused(route: string, body: Uint8Array, label: string): Promise<void> {
  const reply = await h.call("POST", `/v1/ecash/${route}`, { token: valid[route]!.token, binary: body });
  assert.equal(reply.status, 400, `${route}, ${label}: ${reply.text}`);
  assert.equal(reply.body?.error?.code, "ERR_ECASH_REJECTED", `${route}, ${label}`);
}

const routes = ["registrations", "withdrawals", "deposits", "confirmations"] as const;

test("malformed messages of every type are refused and change nothing", async () => {
  const before = await state();
  for (const route of routes) {
    const m = valid[route]!.bytes;
    const withByte = (index: number, value: number) => { const copy = Uint8Array.from(m); copy[index] = value; return copy; };
    const cases: [string, Uint8Array][] = [
      ["an empty body", new Uint8Array(0)],
      ["one byte", Uint8Array.of(1)],
      ["the last byte cut off", m.subarray(0, m.length - 1)],
      ["the header only", m.subarray(0, 2)],
      ["a trailing byte", Uint8Array.of(...m, 0)],
      ["version 2", withByte(0, 2)],
      ["an unknown type", withByte(1, 0xff)],
      ["a first field longer than the message", withByte(2, 0xff)],
      ["another route's message", valid[routes[(routes.indexOf(route) + 1) % routes.length]!]!.bytes],
    ];
    for (const [label, body] of cases) await refused(route, body, label);
  }
  assert.deepEqual(await state(), before);
});

test("random bytes and single flipped bits are refused and change nothing", async () => {
  const before = await state();
  for (const route of routes) {
    const m = valid[route]!.bytes;
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 400 }), async (body) => refused(route, body, "random bytes")), { numRuns: 20 });
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: m.length * 8 - 1 }), async (bit) => {
      const flipped = Uint8Array.from(m);
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      await refused(route, flipped, `bit ${bit} flipped`);
    }), { numRuns: 25 });
  }
  assert.deepEqual(await state(), before);
});

test("bodies over the SVS message limit are refused with 413, other media types with 415", async () => {
  const before = await state();
  for (const route of routes) {
    // Above the JSON body limit (16 KiB) but within an SVS message's: parsed, then refused as a message.
    await refused(route, new Uint8Array(messageBytesMax), "a body of exactly messageBytesMax zero bytes");
    const big = await h.call("POST", `/v1/ecash/${route}`, { token: valid[route]!.token, binary: new Uint8Array(messageBytesMax + 1) });
    assert.equal(big.status, 413, big.text);
    assert.equal(big.body.error.code, "ERR_BODY_TOO_LARGE");
    const text = await h.call("POST", `/v1/ecash/${route}`, { token: valid[route]!.token, raw: "hello", headers: { "content-type": "text/plain" } });
    assert.equal(text.status, 415, text.text);
    const json = await h.call("POST", `/v1/ecash/${route}`, { token: valid[route]!.token, json: { message: toHex(valid[route]!.bytes) } });
    assert.equal(json.status, 415, json.text);
    assert.equal(json.body.error.code, "ERR_UNSUPPORTED_MEDIA_TYPE");
  }
  const wait = await h.call("GET", "/v1/ecash/confirmations?waitMs=999999", { token: h.a.token });
  assert.equal(wait.status, 400);
  const depId = await h.call("GET", "/v1/ecash/deposits/not-hex", { token: h.demo.merchant.apiKey });
  assert.equal(depId.status, 400);
  assert.deepEqual(await state(), before);
});

test("the valid messages the hostile ones were made from are still accepted", async () => {
  for (const route of routes) {
    const reply = await h.call("POST", `/v1/ecash/${route}`, { token: valid[route]!.token, binary: valid[route]!.bytes });
    assert.equal(reply.status, 200, `${route}: ${reply.text}`);
  }
});

test("every response was well formed", () => {
  assertEveryResponseWellFormed(h);
});
