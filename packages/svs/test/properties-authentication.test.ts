/** svs-protocol.md §6.2 properties 7-10 (authentication and impersonation). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { merchant, platform, wallet } from "../src/index.js";
import type { Credential } from "../src/index.js";
import { certificateChallenge } from "../src/crypto/derivations.js";
import { addPoints, decodePoint, encodePoint, encodeScalar, mulBase, mulPublic, randomScalar } from "../src/crypto/group.js";
import { encodeA1, encodeD1, encodeTau, encodeW1, parseA1, parseD1, parseTau, parseW1 } from "../src/encoding/messages.js";
import { expectRejected, flipBit } from "./support/tamper.js";
import { DAY_MS, ID_P, ID_P2, ID_U, T0, catalogue, depositAndConfirm, gi, makeWorld, payOnce, seededRng, unwrap, withdraw } from "./support/world.js";
import type { World } from "./support/world.js";

function d1For(world: World, now: number): Uint8Array {
  return unwrap(merchant.startDeposit(world.p, now, world.rng)).request;
}

describe("§6.2 authentication and impersonation", () => {
  it("property 7: A1, W1 and D1 with a random tag, or with a (V, s) N did not issue, are rejected, even from an attacker who knows all public parameters", () => {
    let { world, sn } = withdraw(makeWorld("p7"), 100n);
    world = payOnce(world, sn, 10n, T0 + 1).world;
    const rng = seededRng("attacker");
    const state = world.n;
    const a1 = parseA1(wallet.makeLoginProof(world.u.credential!, T0, world.rng));
    expectRejected(platform.handleA1(world.config, state, encodeA1({ ...a1, tag: rng(32) }), T0), "bad-tag");
    const w1 = parseW1(unwrap(wallet.startWithdrawal(world.u, { amount: 5n, payee: ID_P }, T0, world.rng)).request);
    expectRejected(platform.handleW1(world.config, state, encodeW1({ ...w1, tag1: rng(32) }), { now: T0, rng, availableBalance: 10n }), "bad-tag");
    const d1 = parseD1(d1For(world, T0 + 2));
    expectRejected(platform.handleD1(world.config, state, encodeD1({ ...d1, tag: rng(32) }), T0 + 2, rng), "bad-tag");

    // The public-parameter attack on Yang et al. 2013: the attacker knows ID_U, V_U, Q_N, Q_N^sig and picks s.
    // With V_U fixed, s·G = V_U + e_U·Q_N needs the discrete log; picking V from s needs e, which hashes V.
    const victim = world.u.credential!;
    const forgeries: Credential[] = [
      { ...victim, secret: encodeScalar(randomScalar(rng)) }, // registered V_U, guessed s
      (() => {
        const s = randomScalar(rng); // V' = s·G − e'·Q_N with e' computed for a guessed V: e changes with V
        const guess = mulBase(randomScalar(rng));
        const e = certificateChallenge(ID_U, "U", victim.notAfterMs, encodePoint(guess), world.params.qN);
        const v = addPoints(mulBase(s), mulPublic(decodePoint(world.params.qN)!, e).negate());
        return { ...victim, v: encodePoint(v), secret: encodeScalar(s) };
      })(),
    ];
    for (const forged of forgeries) {
      const a1f = wallet.makeLoginProof(forged, T0, rng);
      expectRejected(platform.handleA1(world.config, state, a1f, T0));
      const forgedWallet = { ...world.u, credential: forged };
      const w1f = unwrap(wallet.startWithdrawal(forgedWallet, { amount: 5n, payee: ID_P }, T0, rng)).request;
      expectRejected(platform.handleW1(world.config, state, w1f, { now: T0, rng, availableBalance: 10n }));
      const forgedMerchant = { ...world.p, credential: { ...forged, id: ID_P, role: "P" as const, v: forged === forgeries[0] ? world.p.credential!.v : forged.v } };
      const d1f = unwrap(merchant.startDeposit(forgedMerchant, T0 + 2, rng)).request;
      expectRejected(platform.handleD1(world.config, state, d1f, T0 + 2, rng));
    }
  });

  it("property 8: a first payment built for a fake Y_P' cannot be decrypted by P, nor by the impostor who made V_P'", () => {
    const { world, sn } = withdraw(makeWorld("p8"), 100n);
    const rng = seededRng("impostor");
    const k = randomScalar(rng); // the impostor's own key pair for a V_P' it publishes under ID_P
    const fakeV = encodePoint(mulBase(k));
    const fooled = unwrap(wallet.addMerchant(world.u, { id: ID_P, v: fakeV, notAfterMs: T0 + 365 * DAY_MS }));
    const sent = unwrap(wallet.pay(fooled.state, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, T0, rng));
    const atP = merchant.handlePayment(world.p, sent.request, { now: T0, rng, catalogue });
    expectRejected(atP, "decrypt");
    assert.deepEqual(atP.state, world.p);
    // The impostor knows k for V_P' but not the secret of Y_P' = V_P' + e·Q_N (that needs x_N): with k as s_P it fails too.
    const impostor = { ...world.p, credential: { ...world.p.credential!, secret: encodeScalar(k), v: fakeV, y: fakeV } };
    expectRejected(merchant.handlePayment(impostor, sent.request, { now: T0, rng, catalogue }), "decrypt");
  });

  it("property 9: a token with an altered σ_N or τ field (M, payee, exp, SN) is rejected by P and by N", () => {
    let { world, sn } = withdraw(makeWorld("p9"), 100n);
    const token = world.u.tokens[sn]!;
    const tau = parseTau(token.tau);
    const variants: { name: string; tau: Uint8Array; signature: Uint8Array }[] = [
      { name: "σ_N", tau: token.tau, signature: flipBit(token.signature, 77) },
      { name: "M", tau: encodeTau({ ...tau, amount: 1000n }), signature: token.signature },
      { name: "payee", tau: encodeTau({ ...tau, payee: ID_P2 }), signature: token.signature },
      { name: "exp", tau: encodeTau({ ...tau, expMs: tau.expMs + 1 }), signature: token.signature },
      { name: "SN", tau: encodeTau({ ...tau, sn: flipBit(tau.sn, 3) }), signature: token.signature },
    ];
    for (const variant of variants) {
      const altered = { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...token, tau: variant.tau, signature: variant.signature } } };
      const sent = unwrap(wallet.pay(altered, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, T0, world.rng));
      const atP = merchant.handlePayment(world.p, sent.request, { now: T0, rng: world.rng, catalogue });
      expectRejected(atP, /bad-signature|bad-token/);
    }
    // At N: P presents a stored token whose τ or σ_N differs from what N issued.
    world = payOnce(world, sn, 10n, T0 + 1).world;
    for (const variant of variants) {
      const pToken = world.p.tokens[sn]!;
      const p = { ...world.p, tokens: { ...world.p.tokens, [sn]: { ...pToken, tau: variant.tau, signature: variant.signature } } };
      const d1 = unwrap(merchant.startDeposit(p, T0 + 2, world.rng)).request;
      const handled = unwrap(platform.handleD1(world.config, world.n, d1, T0 + 2, world.rng));
      assert.equal(handled.confirmations.length, 0, variant.name);
      assert.deepEqual(Object.values(Object.values(handled.state.deposits)[0]!.items).map((i) => i.status), ["REJECTED"]);
    }
    assert.deepEqual(depositAndConfirm(world, T0 + 3, "ACCEPT").ledger.map((m) => m.amount), [10n]);
  });

  it("property 10: a revoked or expired registration is rejected at A1, W1 and D1", () => {
    let { world, sn } = withdraw(makeWorld("p10"), 100n);
    world = payOnce(world, sn, 10n, T0 + 1).world;
    const a1 = wallet.makeLoginProof(world.u.credential!, T0 + 2, world.rng);
    const w1 = unwrap(wallet.startWithdrawal(world.u, { amount: 5n, payee: ID_P }, T0 + 2, world.rng)).request;
    const d1 = d1For(world, T0 + 2);
    const io = { now: T0 + 2, rng: world.rng, availableBalance: 100n };
    assert.ok(platform.handleA1(world.config, world.n, a1, T0 + 2).ok);

    const revokedU = platform.revoke(world.n, ID_U);
    expectRejected(platform.handleA1(world.config, revokedU, a1, T0 + 2), "inactive-identity");
    expectRejected(platform.handleW1(world.config, revokedU, w1, io), "inactive-identity");
    const revokedP = platform.revoke(world.n, ID_P);
    expectRejected(platform.handleD1(world.config, revokedP, d1, T0 + 2, world.rng), "inactive-identity");
    expectRejected(platform.handleW1(world.config, revokedP, w1, io), "unknown-payee");

    // expired: the clock passes notAfter (the freshness check would also fail, so move T with it)
    const late = world.u.credential!.notAfterMs + 1;
    const lateWorld = { ...world, u: world.u, p: world.p };
    const a1Late = wallet.makeLoginProof(world.u.credential!, late, world.rng);
    const w1Late = unwrap(wallet.startWithdrawal(lateWorld.u, { amount: 5n, payee: ID_P }, late, world.rng)).request;
    const d1Late = d1For(lateWorld, late);
    expectRejected(platform.handleA1(world.config, world.n, a1Late, late), "expired-identity");
    expectRejected(platform.handleW1(world.config, world.n, w1Late, { ...io, now: late }), "expired-identity");
    expectRejected(platform.handleD1(world.config, world.n, d1Late, late, world.rng), "expired-identity");
  });
});
