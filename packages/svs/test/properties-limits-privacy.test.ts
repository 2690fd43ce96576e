/** svs-protocol.md §6.2 properties 18-22 (spending limits and privacy). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { merchant, platform, wallet, stateToJson, toHex, utf8Bytes } from "./support/exports.js";
import { decodeScalar, encodeScalar, mulSecret, decodePoint, xCoordinate } from "../src/crypto/group.js";
import { parseP1, parseTau } from "../src/encoding/messages.js";
import { expectRejected } from "./support/tamper.js";
import { DAY_MS, ID_P, ID_P2, ID_U, T0, catalogue, depositAndConfirm, gi, makeWorld, payOnce, unwrap, withdraw } from "./support/world.js";
import type { World } from "./support/world.js";

/** A wallet that ignores its local limit (it believes M is larger), so that P's own check is what refuses. */
function reckless(world: World, sn: string): World {
  return { ...world, u: { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, amount: 1_000_000n } } } };
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  return Buffer.from(haystack).includes(Buffer.from(needle));
}

describe("§6.2 spending limits", () => {
  it("property 18: with M = 100, payments of 40, 40, 30 are accepted, accepted, rejected (cum 110 > 100), also across two sessions with one P", () => {
    for (const twoSessions of [false, true]) {
      let { world, sn } = withdraw(makeWorld(`p18-${twoSessions}`), 100n);
      world = reckless(world, sn);
      const a = payOnce(world, sn, 40n, T0 + 1);
      const b = payOnce(a.world, sn, 40n, T0 + 2, { newSession: twoSessions });
      const c = payOnce(b.world, sn, 30n, T0 + 3, { newSession: twoSessions });
      assert.deepEqual([a.outcome.accepted, b.outcome.accepted, c.outcome.accepted], [true, true, false]);
      assert.equal(c.outcome.accepted === false && c.outcome.reason, "overspend");
      assert.equal(c.outcome.accepted === false && c.outcome.merchantSpent, 80n);
      assert.equal(c.world.p.tokens[sn]!.spent, 80n);
      if (twoSessions) assert.notEqual(a.sid, b.sid);
      // the honest wallet refuses the third payment itself
      const honestU = { ...b.world.u, tokens: { ...b.world.u.tokens, [sn]: { ...b.world.u.tokens[sn]!, amount: 100n } } };
      const honest = wallet.pay(honestU, { sn, merchantId: ID_P, goodsInfo: gi("item:30"), price: 30n }, T0 + 3, world.rng);
      assert.equal(!honest.ok && honest.failure.code, "ERR_SVS_TOKEN_EXHAUSTED");
    }
  });

  it("property 19: a token whose payee is P, presented at another merchant P2, is rejected (tokens are merchant-bound; no open-token variant is implemented)", () => {
    const { world, sn } = withdraw(makeWorld("p19"), 100n);
    const local = wallet.pay(world.u, { sn, merchantId: ID_P2, goodsInfo: gi("item:10"), price: 10n }, T0, world.rng);
    assert.equal(!local.ok && local.failure.code, "ERR_SVS_UNKNOWN_TOKEN");
    // a wallet that lies to itself about the payee: τ.payee is signed, so P2 refuses
    const lying = { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, payee: ID_P2 } } };
    const sent = unwrap(wallet.pay(lying, { sn, merchantId: ID_P2, goodsInfo: gi("item:10"), price: 10n }, T0, world.rng));
    const atP2 = merchant.handlePayment(world.p2, sent.request, { now: T0, rng: world.rng, catalogue });
    expectRejected(atP2, "wrong-payee");
    assert.deepEqual(atP2.state.tokens, {});
  });

  it("property 20: after exp P rejects payments and N rejects deposits, and the escrow goes back to U", () => {
    let { world, sn } = withdraw(makeWorld("p20"), 100n);
    const exp = world.n.tokens[sn]!.expMs;
    const paid = payOnce(world, sn, 30n, T0 + 1);
    world = paid.world;
    // P: a new session after exp, and the open session after exp
    const late = exp + 1;
    const u = { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, expMs: late + DAY_MS } } }; // a wallet ignoring exp
    const p1 = unwrap(wallet.pay(u, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n, newSession: true }, late, world.rng));
    expectRejected(merchant.handlePayment(world.p, p1.request, { now: late, rng: world.rng, catalogue }), "token-expired");
    const pj = unwrap(wallet.pay(u, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, late, world.rng));
    const pjAtP = unwrap(merchant.handlePayment(world.p, pj.request, { now: late, rng: world.rng, catalogue }));
    assert.equal(pjAtP.payment.accepted === false && pjAtP.payment.reason, "expired");
    assert.equal(pjAtP.state.tokens[sn]!.spent, 30n);
    // N: a deposit after exp + grace is refused; the sweep refunds M − settled to U
    const afterGrace = exp + world.config.policy.depositGraceMs + 1;
    const d1 = unwrap(merchant.startDeposit(world.p, afterGrace, world.rng));
    const handled = unwrap(platform.handleD1(world.config, world.n, d1.request, afterGrace, world.rng));
    assert.equal(handled.confirmations.length, 0);
    assert.equal(Object.values(handled.state.deposits[d1.depId]!.items)[0]!.status, "REJECTED");
    const swept = platform.sweepExpiredTokens(world.config, world.n, afterGrace);
    assert.deepEqual(swept.ledger, [{ kind: "refund", sn: world.n.tokens[sn]!.sn, account: "acct:alice", amount: 100n }]);
    assert.equal(swept.state.tokens[sn]!.status, "EXPIRED");
    assert.equal(swept.state.tokens[sn]!.escrow, 0n);
    assert.deepEqual(platform.sweepExpiredTokens(world.config, swept.state, afterGrace + 1).ledger, []);
    // settled part first, then expiry: only the rest is refunded
    const settledFirst = depositAndConfirm(world, T0 + 2, "ACCEPT");
    const sweptAfter = platform.sweepExpiredTokens(world.config, settledFirst.world.n, afterGrace);
    assert.deepEqual(sweptAfter.ledger.map((m) => [m.kind, m.amount]), [["refund", 70n]]);
  });
});

describe("§6.2 privacy", () => {
  it("property 21: no message P receives (P1, Pj, D4) nor P's state contains ID_U, V_U, Y_U or a value derived from s_U", () => {
    let { world, sn } = withdraw(makeWorld("p21"), 100n);
    const first = payOnce(world, sn, 40n, T0 + 1);
    const second = payOnce(first.world, sn, 20n, T0 + 2);
    const deposit = depositAndConfirm(second.world, T0 + 3, "ACCEPT");
    const credential = world.u.credential!;
    const zx = xCoordinate(mulSecret(decodePoint(world.params.qN)!, decodeScalar(credential.secret)!));
    const secrets: [string, Uint8Array][] = [
      ["ID_U", utf8Bytes(ID_U)],
      ["V_U", credential.v],
      ["Y_U", credential.y],
      ["x(Y_U)", credential.y.subarray(1)],
      ["s_U", encodeScalar(decodeScalar(credential.secret)!)],
      ["x(s_U·Q_N)", zx],
      ["K_UN", world.u.tokens[sn]!.kUN],
      ["k_pauth", world.u.tokens[sn]!.kPauth],
    ];
    const receivedByP = [first.request, second.request, deposit.firstD4];
    const pState = new TextEncoder().encode(stateToJson(deposit.world.p));
    for (const [name, value] of secrets) {
      for (const message of receivedByP) assert.ok(!contains(message, value), `${name} in a message to P`);
      assert.ok(!contains(pState, value) && !contains(pState, new TextEncoder().encode(toHex(value))), `${name} in P's state`);
    }
    // what P does see in P1: SN, τ, σ_N, R and the auth tag (inside the AEAD)
    const p1 = parseP1(first.request);
    assert.equal(p1.r.byteLength, 33);
  });

  it("property 22: two tokens of the same U show P no common field besides the public ID_N and the amount", () => {
    const base = makeWorld("p22");
    const one = withdraw(base, 100n, ID_P, T0);
    const two = withdraw(one.world, 100n, ID_P, T0 + 60_000);
    let world = two.world;
    const a = payOnce(world, one.sn, 10n, T0 + 70_000);
    const b = payOnce(a.world, two.sn, 10n, T0 + 70_001);
    world = b.world;
    // P's view of each first payment: decrypt with P's keys by replaying P's own derivation
    const seen = [a, b].map((paid) => {
      const session = Object.values(world.p.sessions).find((s) => toHex(s.sid) === paid.sid)!;
      const pToken = world.p.tokens[toHex(session.sn)]!;
      return { r: parseP1(paid.request).r, sid: paid.sid, tau: parseTau(pToken.tau), signature: pToken.signature, auth: pToken.records[0]!.record.auth };
    });
    const [x, y] = seen as [typeof seen[0], typeof seen[0]];
    assert.notEqual(toHex(x.r), toHex(y.r));
    assert.notEqual(x.sid, y.sid);
    assert.notEqual(toHex(x.tau.sn), toHex(y.tau.sn));
    assert.notEqual(toHex(x.signature), toHex(y.signature));
    assert.notEqual(toHex(x.auth), toHex(y.auth));
    assert.notEqual(x.tau.expMs, y.tau.expMs);
    assert.equal(x.tau.idN, y.tau.idN); // public
    assert.equal(x.tau.amount, y.tau.amount); // matching amounts, allowed by the property
  });
});
