/** svs-protocol.md §6.2 properties 13-17 (replay). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as svs1a from "../src/svs1a/index.js";
import { merchant, platform, wallet, toHex } from "../src/index.js";
import { encodeP1, parseP1 } from "../src/encoding/messages.js";
import { expectRejected, flipBit } from "./support/tamper.js";
import { ID_P, ID_U, T0, catalogue, depositAndConfirm, gi, makeWorld, payOnce, seededRng, unwrap, withdraw } from "./support/world.js";

const DELTA = 120_000;

describe("§6.2 replay", () => {
  it("property 13: a W1 replayed within Δ returns the cached W2 and creates no second token; a W1 older than Δ is rejected", () => {
    const world = makeWorld("p13");
    const start = unwrap(wallet.startWithdrawal(world.u, { amount: 100n, payee: ID_P }, T0, world.rng));
    const io = { now: T0, rng: world.rng, availableBalance: 150n };
    const first = unwrap(platform.handleW1(world.config, world.n, start.request, io));
    // the balance the adapter reads after the debit is 50: a replay must not need (or take) another 100
    const again = unwrap(platform.handleW1(world.config, first.state, start.request, { ...io, now: T0 + DELTA, availableBalance: 50n }));
    assert.deepEqual(again.reply, first.reply);
    assert.deepEqual(again.ledger, []);
    assert.deepEqual(again.state, first.state);
    assert.equal(Object.keys(again.state.tokens).length, 1);
    const retried = unwrap(wallet.resendWithdrawal(start.state, start.withdrawalId, T0 + DELTA));
    assert.deepEqual(retried.request, start.request);

    expectRejected(platform.handleW1(world.config, first.state, start.request, { ...io, now: T0 + DELTA + 1 }), "stale");
    expectRejected(platform.handleW1(world.config, world.n, start.request, { ...io, now: T0 + DELTA + 1 }), "stale");
    const late = wallet.resendWithdrawal(start.state, start.withdrawalId, T0 + DELTA + 1);
    assert.equal(!late.ok && late.failure.code, "ERR_SVS_RETRY_EXPIRED");
  });

  it("property 14: a replayed P1 (same R) is rejected with no double charge, a byte-identical one only gets the cached P2, and a stale T_0 is rejected", () => {
    let { world, sn } = withdraw(makeWorld("p14"), 100n);
    const paid = payOnce(world, sn, 40n, T0 + 1);
    world = paid.world;
    const io = { now: T0 + 2, rng: world.rng, catalogue };
    const retransmit = unwrap(merchant.handlePayment(world.p, paid.request, io));
    assert.deepEqual(retransmit.payment, { accepted: null, retransmit: true });
    assert.deepEqual(retransmit.reply, paid.reply);
    assert.deepEqual(retransmit.state, world.p);
    // same R, another C_1 (e.g. an attacker re-encrypting with a different nonce field)
    const p1 = parseP1(paid.request);
    const altered = encodeP1({ ...p1, aeadNonce: flipBit(p1.aeadNonce, 0) });
    const replay = merchant.handlePayment(world.p, altered, io);
    expectRejected(replay, "replay");
    assert.deepEqual(replay.state, world.p);
    assert.equal(world.p.tokens[sn]!.spent, 40n);

    // a P1 whose T_0 is older than Δ, with a fresh R
    const stale = unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n, newSession: true }, T0, world.rng));
    const staleAtP = merchant.handlePayment(world.p, stale.request, { ...io, now: T0 + DELTA + 1 });
    expectRejected(staleAtP, "stale");
    assert.equal(staleAtP.state.tokens[sn]!.spent, 40n);
    assert.equal(Object.keys(staleAtP.state.sessions).length, 1);
  });

  it("property 15: a Pj with a lower j is rejected, a byte-identical retransmit gets the cached reply without a charge, and j_last + 2 is rejected", () => {
    let { world, sn } = withdraw(makeWorld("p15"), 100n);
    const first = payOnce(world, sn, 10n, T0 + 1);
    const second = payOnce(first.world, sn, 10n, T0 + 2); // j = 1
    const third = payOnce(second.world, sn, 10n, T0 + 3); // j = 2
    world = third.world;
    const io = { now: T0 + 4, rng: world.rng, catalogue };
    expectRejected(merchant.handlePayment(world.p, second.request, io), "out-of-order");
    const resent = unwrap(merchant.handlePayment(world.p, third.request, io));
    assert.deepEqual(resent.payment, { accepted: null, retransmit: true });
    assert.deepEqual(resent.reply, third.reply);
    assert.deepEqual(resent.state, world.p);
    assert.equal(world.p.tokens[sn]!.spent, 30n);
    // U builds j = 3, then (as if it were lost) j = 4 with the ratchet one step ahead: P refuses a skip
    const j3 = unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, T0 + 4, world.rng));
    const ahead = { ...j3.state, sessions: { ...j3.state.sessions } };
    const session = ahead.sessions[j3.sid]!;
    const skipped = { ...ahead, sessions: { ...ahead.sessions, [j3.sid]: { ...session, key: session.key, j: 4, inFlight: null } } };
    const j4 = unwrap(wallet.pay(skipped, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, T0 + 4, world.rng));
    expectRejected(merchant.handlePayment(world.p, j4.request, io), "out-of-order");
    assert.equal(unwrap(merchant.handlePayment(world.p, j3.request, io)).payment.accepted, true);
  });

  it("property 16: a replayed D1 (same nonceD) is rejected, a second D3 for a dep_id is ignored, and a settled record deposited again is rejected", () => {
    let { world, sn } = withdraw(makeWorld("p16"), 100n);
    world = payOnce(world, sn, 25n, T0 + 1).world;
    const deposit = depositAndConfirm(world, T0 + 2, "ACCEPT");
    expectRejected(platform.handleD1(world.config, deposit.world.n, deposit.d1, T0 + 3, world.rng), "replay");
    // a second D3: U answers the same D2 again (gets the same D3) and N ignores it
    const d2 = deposit.confirmations[0]!.d2;
    const again = unwrap(wallet.answerConfirmation(deposit.world.u, d2, "REJECT", T0 + 3, world.rng));
    assert.equal(again.decision, "ACCEPT");
    const ignored = unwrap(platform.handleD3(world.config, deposit.world.n, again.request, T0 + 3));
    assert.equal(ignored.ignored, true);
    assert.deepEqual(ignored.ledger, []);
    assert.deepEqual(ignored.state, deposit.world.n);
    // P marks its settled record undeposited again and sends it
    const pToken = deposit.world.p.tokens[sn]!;
    const replaying = {
      ...deposit.world.p,
      tokens: { ...deposit.world.p.tokens, [sn]: { ...pToken, records: pToken.records.map((r) => ({ ...r, status: "UNDEPOSITED" as const, depId: null })) } },
    };
    const d1 = unwrap(merchant.startDeposit(replaying, T0 + 4, world.rng));
    const handled = unwrap(platform.handleD1(world.config, deposit.world.n, d1.request, T0 + 4, world.rng));
    assert.equal(handled.confirmations.length, 0);
    const item = Object.values(handled.state.deposits[d1.depId]!.items)[0]!;
    assert.equal(item.status, "REJECTED");
    assert.equal(handled.state.tokens[sn]!.settled, 25n);
  });

  it("property 17: SVS1-A (as published) accepts a replayed C_j under the reused K^j and charges twice; SVS1-M does not", () => {
    const rng = seededRng("p17");
    const n = svs1a.setup("N", rng);
    const user = svs1a.register(n, ID_U, rng);
    const shop = svs1a.register(n, ID_P, rng);
    const { login, zx } = svs1a.login(user, n.q, T0);
    const issued = svs1a.issue(n, { ...login, amount: 100n }, T0, DELTA, rng)!;
    const { token } = svs1a.receiveToken(n, ID_U, zx, T0, issued.sealed)!;
    const yP = svs1a.implicitKey(n.q, ID_P, shop.v);
    const first = svs1a.firstPayment(n.id, ID_P, yP, token, "item", 10n, T0, rng);
    let p: svs1a.Merchant = { party: shop, sessions: {} };
    p = svs1a.acceptPayment(p, n, first.message)!.merchant;
    const next = svs1a.nextPayment(first.session, "item", 10n, T0 + 1, rng);
    p = svs1a.acceptPayment(p, n, next.message)!.merchant;
    // An eavesdropper resends (R, j = 1, C_1) later: P recomputes K^1 = h(K_UP), decrypts, and charges again.
    const replayed = svs1a.acceptPayment(p, n, next.message);
    assert.notEqual(replayed, null);
    const handle = toHex(first.message.r);
    assert.equal(replayed!.merchant.sessions[handle]!.spent, 30n); // U paid 20
    // The same replay against SVS1-M: property 15 (the byte-identical Pj only returns the cached reply).
    let { world, sn } = withdraw(makeWorld("p17m"), 100n);
    world = payOnce(world, sn, 10n, T0 + 1).world;
    const pj = payOnce(world, sn, 10n, T0 + 2);
    const replayAtM = unwrap(merchant.handlePayment(pj.world.p, pj.request, { now: T0 + 3, rng: world.rng, catalogue }));
    assert.deepEqual(replayAtM.payment, { accepted: null, retransmit: true });
    assert.equal(replayAtM.state.tokens[sn]!.spent, 20n);
  });
});
