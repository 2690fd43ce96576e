/** svs-protocol.md §6.2 properties 1-6 (correctness). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as svs1a from "../src/svs1a/index.js";
import { merchant, platform, wallet, toHex } from "../src/index.js";
import { certificateChallenge, implicitPublicKey, ratchet, tokenSignatureInput } from "../src/crypto/derivations.js";
import { addPoints, decodePoint, decodeScalar, encodePoint, mulBase, mulPublic, pointsEqual } from "../src/crypto/group.js";
import { ecdsaVerify } from "../src/crypto/primitives.js";
import { encodeR3, parseR3, parseTau } from "../src/encoding/messages.js";
import { sharedSecretWith } from "../src/platform/authenticate.js";
import { sharedSecretWithPlatform } from "../src/wallet/identity.js";
import { loadKat, katParties, hexBytes } from "./support/kat.js";
import { flipBit } from "./support/tamper.js";
import { DAY_MS, ID_P, ID_U, T0, depositAndConfirm, makeWorld, payOnce, seededRng, unwrap, withdraw } from "./support/world.js";

describe("§6.2 correctness", () => {
  it("property 1: registration satisfies s_X·G == V_X + e_X·Q_N for U and P (SVS1-M-NE and SVS1-A); a flipped bit in s_X, V_X, ID_X, role or notAfter fails R4", () => {
    const world = makeWorld("p1");
    const qN = decodePoint(world.params.qN)!;
    for (const credential of [world.u.credential!, world.p.credential!]) {
      const s = decodeScalar(credential.secret)!;
      const v = decodePoint(credential.v)!;
      const e = certificateChallenge(credential.id, credential.role, credential.notAfterMs, credential.v, world.params.qN);
      assert.ok(pointsEqual(mulBase(s), addPoints(v, mulPublic(qN, e))));
      assert.equal(toHex(credential.y), toHex(encodePoint(mulBase(s))));
    }
    // SVS1-A: N computes s_X itself (escrow) and X checks the same equation.
    const rng = seededRng("p1a");
    const operator = svs1a.setup("N", rng);
    const party = svs1a.register(operator, ID_U, rng);
    assert.ok(svs1a.checkRegistration(operator.q, party));
    assert.ok(!svs1a.checkRegistration(operator.q, { ...party, s: party.s ^ 1n }));
    assert.ok(!svs1a.checkRegistration(operator.q, { ...party, id: "alicf@example" }));

    // SVS1-M: tamper with a genuine R3 (and, for ID and role, with what X believes it asked for).
    const n0 = platform.emptyPlatformState();
    const start = unwrap(wallet.startWalletEnrolment(wallet.emptyWalletState(), world.params, ID_U, rng));
    const grant = { id: ID_U, role: "U" as const, account: "a", notAfterMs: T0 + DAY_MS };
    const r3 = parseR3(unwrap(platform.handleR1(world.config, n0, start.request, grant, T0, rng)).reply);
    assert.ok(unwrap(wallet.finishWalletEnrolment(start.state, encodeR3(r3), T0)).state.credential);
    const pending = start.state.enrolment!;
    const expectBadCredential = (r3Variant: typeof r3, pendingVariant = pending) => {
      const result = wallet.finishWalletEnrolment({ ...start.state, enrolment: pendingVariant }, encodeR3(r3Variant), T0);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.failure.reason, "bad-credential");
    };
    expectBadCredential({ ...r3, tX: flipBit(r3.tX, 0) }); // s_X = k' + t_X flips with t_X
    expectBadCredential({ ...r3, notAfterMs: r3.notAfterMs % 2 === 0 ? r3.notAfterMs + 1 : r3.notAfterMs - 1 }); // lowest bit
    expectBadCredential({ ...r3, idX: "alicf@example" }, { ...pending, id: "alicf@example" });
    expectBadCredential({ ...r3, role: "P" }, { ...pending, role: "P" });
    let flippedV: Uint8Array | null = null;
    for (let bit = 8; flippedV === null; bit++) {
      const candidate = flipBit(r3.vX, bit); // a flip in x that still lands on the curve
      if (decodePoint(candidate) !== null) flippedV = candidate;
    }
    expectBadCredential({ ...r3, vX: flippedV });
  });

  it("property 2: a valid A1 is accepted (SVS1-M and SVS1-A) and N and X derive the same Z", () => {
    const world = makeWorld("p2");
    for (const [credential, role] of [[world.u.credential!, "U"], [world.p.credential!, "P"]] as const) {
      const a1 = wallet.makeLoginProof(credential, T0 + 5, world.rng);
      const accepted = unwrap(platform.handleA1(world.config, world.n, a1, T0 + 10));
      assert.deepEqual(accepted.authenticated, { id: credential.id, role, account: role === "U" ? "acct:alice" : "acct:shop-42" });
      const entry = world.n.registry[Object.keys(world.n.registry).find((k) => world.n.registry[k]!.id === credential.id)!]!;
      assert.equal(toHex(sharedSecretWith(world.config, entry)!), toHex(sharedSecretWithPlatform(credential)));
    }
    const rng = seededRng("p2a");
    const operator = svs1a.setup("N", rng);
    const party = svs1a.register(operator, ID_U, rng);
    const { login, zx } = svs1a.login(party, operator.q, T0);
    assert.equal(toHex(svs1a.verifyLogin(operator, login, T0 + 1, 120_000)!), toHex(zx));
  });

  it("property 3: withdraw gives the same K_UN at U and N, τ.M = M_req with a valid σ_N, and debits M from U into escrow[SN]", () => {
    const world = makeWorld("p3");
    const start = unwrap(wallet.startWithdrawal(world.u, { amount: 100n, payee: ID_P }, T0, world.rng));
    const issued = unwrap(platform.handleW1(world.config, world.n, start.request, { now: T0, rng: world.rng, availableBalance: 250n }));
    const received = unwrap(wallet.handleW2(start.state, start.withdrawalId, issued.reply, T0 + 50));
    const sn = toHex(received.token.sn);
    assert.equal(toHex(received.state.tokens[sn]!.kUN), toHex(issued.state.tokens[sn]!.kUN));
    const tau = parseTau(received.token.tau);
    assert.equal(tau.amount, 100n);
    assert.equal(tau.payee, ID_P);
    assert.ok(ecdsaVerify(world.params.qNSig, tokenSignatureInput(received.token.tau), received.token.signature));
    assert.deepEqual(issued.ledger, [{ kind: "withdraw", sn: received.token.sn, account: "acct:alice", amount: 100n }]);
    assert.equal(issued.state.tokens[sn]!.escrow, 100n);
    // and N refuses a withdrawal above the available balance
    const poor = unwrap(wallet.startWithdrawal(world.u, { amount: 300n, payee: ID_P }, T0, world.rng));
    const refused = platform.handleW1(world.config, world.n, poor.request, { now: T0, rng: world.rng, availableBalance: 250n });
    assert.equal(!refused.ok && refused.failure.reason, "insufficient-funds");
  });

  it("property 4: in the first payment U and P derive the same K⁰ (the §6.1 KAT) and U decrypts the goods", () => {
    const kat = loadKat();
    const { p, r } = katParties(kat);
    const rPoint = mulBase(r);
    const fromU = implicitPublicKey(decodePoint(encodePoint(p.v))!, p.e, katParties(kat).qN)!.multiply(r);
    const fromP = rPoint.multiply(p.s);
    assert.ok(pointsEqual(fromU, fromP));
    assert.equal(hexBytes(encodePoint(rPoint)), kat.expected.R);

    let { world, sn } = withdraw(makeWorld("p4"), 100n);
    const paid = payOnce(world, sn, 40n, T0 + 1000);
    world = paid.world;
    assert.equal(paid.outcome.accepted, true);
    assert.equal(paid.outcome.accepted && new TextDecoder().decode(paid.outcome.goods), "goods for item:40");
    // both sides hold the same K¹ = HMAC(K⁰, "SVS1/ratchet") for the session
    assert.equal(toHex(world.u.sessions[paid.sid]!.key), toHex(world.p.sessions[paid.sid]!.key));
  });

  it("property 5: for j = 1..50 both ratchets agree, K_j matches the KAT for j ≤ 3, and the incremental chain equals F^j(K⁰)", () => {
    const kat = loadKat();
    let k = Buffer.from(kat.expected.K0!, "hex") as Uint8Array;
    const k0 = k;
    for (let j = 1; j <= 50; j++) {
      k = ratchet(k);
      if (j <= 3) assert.equal(hexBytes(k), kat.expected[`K${j}`]);
      let fromScratch = k0;
      for (let i = 0; i < j; i++) fromScratch = ratchet(fromScratch);
      assert.equal(hexBytes(k), hexBytes(fromScratch));
    }
    let { world, sn } = withdraw(makeWorld("p5"), 10_000n);
    const first = payOnce(world, sn, 1n, T0 + 1);
    world = first.world;
    for (let j = 1; j <= 50; j++) {
      const paid = payOnce(world, sn, 1n, T0 + 1 + j);
      world = paid.world;
      assert.equal(paid.outcome.accepted, true);
      assert.equal(paid.outcome.j, j);
      assert.equal(world.p.sessions[first.sid]!.jLast, j);
      assert.equal(toHex(world.u.sessions[first.sid]!.key), toHex(world.p.sessions[first.sid]!.key));
    }
  });

  it("property 6: a deposit credits P with Σ price_j, leaves escrow M − Σ, the rest stays spendable, and a second deposit settles only the new records", () => {
    let { world, sn } = withdraw(makeWorld("p6"), 100n);
    world = payOnce(world, sn, 30n, T0 + 1).world;
    world = payOnce(world, sn, 20n, T0 + 2).world;
    const first = depositAndConfirm(world, T0 + 3, "ACCEPT");
    assert.deepEqual(first.ledger.map((m) => [m.kind, m.account, m.amount]), [["settle", "acct:shop-42", 50n]]);
    world = first.world;
    assert.equal(world.n.tokens[sn]!.escrow, 50n);
    const more = payOnce(world, sn, 40n, T0 + 4);
    assert.equal(more.outcome.accepted, true);
    const second = depositAndConfirm(more.world, T0 + 5, "ACCEPT");
    assert.deepEqual(second.ledger.map((m) => [m.kind, m.amount]), [["settle", 40n]]);
    assert.equal(second.confirmations.length, 1);
    assert.equal(second.world.n.tokens[sn]!.escrow, 10n);
    assert.equal(second.world.n.tokens[sn]!.settled, 90n);
    // invariant (§4): U's log cum = P's spent[SN] ≤ M, and escrow = M − settled
    assert.equal(second.world.u.tokens[sn]!.spent, second.world.p.tokens[sn]!.spent);
    const nothing = merchant.startDeposit(second.world.p, T0 + 6, world.rng);
    assert.equal(!nothing.ok && nothing.failure.code, "ERR_SVS_NOTHING_TO_DEPOSIT");
  });
});
