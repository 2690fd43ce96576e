/** svs-protocol.md §6.2 properties 11-12 (tampering with AEAD-protected messages). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { merchant, platform, wallet } from "../src/index.js";
import { costlyFuzzParameters } from "./support/fuzz.js";
import { flipBit } from "./support/tamper.js";
import { ID_P, T0, catalogue, depositAndConfirm, gi, makeWorld, payOnce, unwrap, withdraw } from "./support/world.js";

/** Every single-bit flip of `message` makes `receive` fail and leaves the receiver's state as it was. */
function everyFlipFails<S>(name: string, message: Uint8Array, state: S, receive: (state: S, bytes: Uint8Array) => { ok: boolean; state: S }): void {
  fc.assert(
    fc.property(fc.nat({ max: message.byteLength * 8 - 1 }), (bit) => {
      const outcome = receive(state, flipBit(message, bit));
      assert.equal(outcome.ok, false, `${name}: bit ${bit} accepted`);
      assert.deepEqual(outcome.state, state, `${name}: bit ${bit} changed the receiver's state`);
    }),
    costlyFuzzParameters,
  );
}

describe("§6.2 tampering", () => {
  it("property 11: flipping any bit of W2 (C_N), P1 (C_1), P2, Pj (C_j), Pj', D1 (C_D), D2 (C_NU), D3 or D4, AD fields and nonces included, fails and changes no state", () => {
    let world = makeWorld("p11");
    // W2 at U
    const start = unwrap(wallet.startWithdrawal(world.u, { amount: 100n, payee: ID_P }, T0, world.rng));
    const issued = unwrap(platform.handleW1(world.config, world.n, start.request, { now: T0, rng: world.rng, availableBalance: 500n }));
    everyFlipFails("W2", issued.reply, start.state, (s, b) => wallet.handleW2(s, start.withdrawalId, b, T0));
    const received = unwrap(wallet.handleW2(start.state, start.withdrawalId, issued.reply, T0));
    world = { ...world, n: issued.state, u: received.state };
    const sn = Buffer.from(received.token.sn).toString("hex");
    const io = { now: T0 + 1, rng: world.rng, catalogue };

    // P1 at P, P2 at U
    const p1 = unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: gi("item:40"), price: 40n }, T0 + 1, world.rng));
    everyFlipFails("P1", p1.request, world.p, (s, b) => merchant.handlePayment(s, b, io));
    const p2 = unwrap(merchant.handlePayment(world.p, p1.request, io));
    everyFlipFails("P2", p2.reply, p1.state, (s, b) => wallet.handlePaymentReply(s, p1.sid, b, T0 + 1));
    world = { ...world, u: unwrap(wallet.handlePaymentReply(p1.state, p1.sid, p2.reply, T0 + 1)).state, p: p2.state };

    // Pj at P (j_last and spent[SN] stay), Pj' at U
    const pj = unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: gi("item:20"), price: 20n }, T0 + 2, world.rng));
    everyFlipFails("Pj", pj.request, world.p, (s, b) => merchant.handlePayment(s, b, { ...io, now: T0 + 2 }));
    const pjReply = unwrap(merchant.handlePayment(world.p, pj.request, { ...io, now: T0 + 2 }));
    everyFlipFails("Pj'", pjReply.reply, pj.state, (s, b) => wallet.handlePaymentReply(s, pj.sid, b, T0 + 2));
    world = { ...world, u: unwrap(wallet.handlePaymentReply(pj.state, pj.sid, pjReply.reply, T0 + 2)).state, p: pjReply.state };

    // D1 at N (escrow, tokens, replay cache unchanged), D2 at U, D3 at N (no ledger move), D4 at P
    const d1 = unwrap(merchant.startDeposit(world.p, T0 + 3, world.rng));
    everyFlipFails("D1", d1.request, world.n, (s, b) => platform.handleD1(world.config, s, b, T0 + 3, world.rng));
    const dep = unwrap(platform.handleD1(world.config, world.n, d1.request, T0 + 3, world.rng));
    const d2 = dep.confirmations[0]!.d2;
    everyFlipFails("D2", d2, world.u, (s, b) => wallet.answerConfirmation(s, b, "ACCEPT", T0 + 4, world.rng));
    const d3 = unwrap(wallet.answerConfirmation(world.u, d2, "ACCEPT", T0 + 4, world.rng));
    everyFlipFails("D3", d3.request, dep.state, (s, b) => platform.handleD3(world.config, s, b, T0 + 4));
    everyFlipFails("D4", dep.reply, d1.state, (s, b) => merchant.handleD4(s, b, T0 + 4));

    // and the untouched messages still work afterwards: nothing was advanced by the failures
    const settled = unwrap(platform.handleD3(world.config, dep.state, d3.request, T0 + 4));
    assert.deepEqual(settled.ledger.map((m) => m.amount), [60n]);
    assert.equal(settled.state.tokens[sn]!.escrow, 40n);
  });

  it("property 12: a changed price or cum inside a correctly encrypted body is rejected (catalogue price, cum chain at P, auth_j at N)", () => {
    let { world, sn } = withdraw(makeWorld("p12"), 100n);
    world = payOnce(world, sn, 40n, T0 + 1).world;
    // price below the catalogue's
    const cheap = unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: gi("item:20"), price: 19n }, T0 + 2, world.rng));
    const cheapAtP = unwrap(merchant.handlePayment(world.p, cheap.request, { now: T0 + 2, rng: world.rng, catalogue }));
    assert.deepEqual(cheapAtP.payment, { accepted: false, sn, sid: cheap.sid, j: 1, reason: "price" });
    assert.equal(cheapAtP.state.tokens[sn]!.spent, 40n);
    const cheapAtU = unwrap(wallet.handlePaymentReply(cheap.state, cheap.sid, cheapAtP.reply, T0 + 2));
    assert.equal(cheapAtU.outcome.accepted, false);
    world = { ...world, u: cheapAtU.state, p: cheapAtP.state };
    // cum that hides the earlier 40 (a wallet that "forgot" it)
    const forgetful = { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, spent: 0n } } };
    const low = unwrap(wallet.pay(forgetful, { sn, merchantId: ID_P, goodsInfo: gi("item:20"), price: 20n }, T0 + 3, world.rng));
    const lowAtP = unwrap(merchant.handlePayment(world.p, low.request, { now: T0 + 3, rng: world.rng, catalogue }));
    assert.equal(lowAtP.payment.accepted === false && lowAtP.payment.reason, "cumulative");
    assert.equal(lowAtP.state.tokens[sn]!.spent, 40n);
    world = { ...world, p: lowAtP.state, u: unwrap(wallet.handlePaymentReply(low.state, low.sid, lowAtP.reply, T0 + 3)).state };
    world = { ...world, u: { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, spent: 40n } } } };

    // At N: P raises the price and cum of its record (a consistent chain) but cannot recompute auth_j.
    const pToken = world.p.tokens[sn]!;
    const inflated = pToken.records.map((r) => ({ ...r, record: { ...r.record, price: r.record.price + 10n, cum: r.record.cum + 10n } }));
    const greedy = { ...world.p, tokens: { ...world.p.tokens, [sn]: { ...pToken, records: inflated } } };
    const d1 = unwrap(merchant.startDeposit(greedy, T0 + 4, world.rng));
    const dep = unwrap(platform.handleD1(world.config, world.n, d1.request, T0 + 4, world.rng));
    assert.equal(dep.confirmations.length, 0);
    const item = Object.values(Object.values(dep.state.deposits)[0]!.items)[0]!;
    assert.equal(item.status, "REJECTED");
    assert.equal(item.rejectReason, "bad auth_j");
    // the honest records settle
    assert.deepEqual(depositAndConfirm(world, T0 + 5, "ACCEPT").ledger.map((m) => m.amount), [40n]);
  });
});
