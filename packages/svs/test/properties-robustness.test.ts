/** svs-protocol.md §6.2 properties 25-26 (robustness). Property 27 is in op-counts.test.ts. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { countOps, isSvsEncodingError, merchant, platform, stateFromJson, stateToJson, wallet } from "../src/index.js";
import type { MerchantState } from "../src/merchant/index.js";
import type { PlatformState } from "../src/platform/index.js";
import type { WalletState } from "../src/wallet/index.js";
import { i2osp } from "../src/bytes.js";
import { decodePoint } from "../src/crypto/group.js";
import {
  encodeA1,
  encodeD1,
  encodeP1,
  encodeR1,
  encodeR3,
  encodeW1,
  parseA1,
  parseD1,
  parseP1,
  parseR1,
  parseR3,
  parseW1,
} from "../src/encoding/messages.js";
import { ID_P, DAY_MS, T0, catalogue, makeWorld, payOnce, unwrap, withdraw } from "./support/world.js";

const P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;

/** Hostile 33-byte (and 1-byte) point encodings: off the curve, the identity, a bad prefix, x ≥ p, uncompressed. */
function invalidPoints(): { name: string; bytes: Uint8Array }[] {
  let x = 1n;
  for (;;) {
    const candidate = Uint8Array.from([0x02, ...i2osp(x, 32)]);
    if (decodePoint(candidate) === null) break;
    x += 1n;
  }
  return [
    { name: "off-curve", bytes: Uint8Array.from([0x02, ...i2osp(x, 32)]) },
    { name: "identity (0x00)", bytes: Uint8Array.of(0x00) },
    { name: "zero bytes", bytes: new Uint8Array(33) },
    { name: "prefix 0x04 on 33 bytes", bytes: Uint8Array.from([0x04, ...i2osp(5n, 32)]) },
    { name: "prefix 0x05", bytes: Uint8Array.from([0x05, ...i2osp(5n, 32)]) },
    { name: "x = p", bytes: Uint8Array.from([0x03, ...i2osp(P256_P, 32)]) },
    { name: "x > p", bytes: Uint8Array.from([0x02, ...i2osp(P256_P + 3n, 32)]) },
    { name: "uncompressed", bytes: Uint8Array.from([0x04, ...new Uint8Array(64)]) },
  ];
}

describe("§6.2 robustness", () => {
  it("property 25: invalid points (off-curve, identity, malformed) in R, V_X, R_X, A and the Q values are rejected before any scalar multiplication", () => {
    let { world, sn } = withdraw(makeWorld("p25"), 100n);
    const p1 = parseP1(unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: new Uint8Array(1), price: 1n }, T0, world.rng)).request);
    const a1 = parseA1(wallet.makeLoginProof(world.u.credential!, T0, world.rng));
    const w1 = parseW1(unwrap(wallet.startWithdrawal(world.u, { amount: 5n, payee: ID_P }, T0, world.rng)).request);
    world = payOnce(world, sn, 3n, T0 + 1).world;
    const d1 = parseD1(unwrap(merchant.startDeposit(world.p, T0, world.rng)).request);
    const start = unwrap(wallet.startWalletEnrolment(wallet.emptyWalletState(), world.params, "bob", world.rng));
    const r1 = parseR1(start.request);
    const grant = { id: "bob", role: "U" as const, account: "b", notAfterMs: T0 + DAY_MS };
    const r3 = parseR3(unwrap(platform.handleR1(world.config, platform.emptyPlatformState(), start.request, grant, T0, world.rng)).reply);
    const io = { now: T0, rng: world.rng, catalogue };

    const cases: { name: string; build: (bad: Uint8Array) => Uint8Array; receive: (bytes: Uint8Array) => { ok: boolean } }[] = [
      { name: "P1.R", build: (bad) => encodeP1({ ...p1, r: bad }), receive: (b) => merchant.handlePayment(world.p, b, io) },
      { name: "A1.V_X", build: (bad) => encodeA1({ ...a1, vX: bad }), receive: (b) => platform.handleA1(world.config, world.n, b, T0) },
      { name: "W1.V_U", build: (bad) => encodeW1({ ...w1, vU: bad }), receive: (b) => platform.handleW1(world.config, world.n, b, { ...io, availableBalance: 9n }) },
      { name: "D1.V_P", build: (bad) => encodeD1({ ...d1, vP: bad }), receive: (b) => platform.handleD1(world.config, world.n, b, T0, world.rng) },
      { name: "R1.R_X", build: (bad) => encodeR1({ ...r1, rX: bad }), receive: (b) => platform.handleR1(world.config, platform.emptyPlatformState(), b, grant, T0, world.rng) },
      { name: "R1.A", build: (bad) => encodeR1({ ...r1, popCommitment: bad }), receive: (b) => platform.handleR1(world.config, platform.emptyPlatformState(), b, grant, T0, world.rng) },
      { name: "R3.V_X", build: (bad) => encodeR3({ ...r3, vX: bad }), receive: (b) => wallet.finishWalletEnrolment(start.state, b, T0) },
      { name: "R3.Q_N", build: (bad) => encodeR3({ ...r3, qN: bad }), receive: (b) => wallet.finishWalletEnrolment(start.state, b, T0) },
      { name: "R3.Q_N^sig", build: (bad) => encodeR3({ ...r3, qNSig: bad }), receive: (b) => wallet.finishWalletEnrolment(start.state, b, T0) },
    ];
    for (const c of cases) {
      for (const point of invalidPoints()) {
        const { result, ops } = countOps(() => c.receive(c.build(point.bytes)));
        assert.equal(result.ok, false, `${c.name} ${point.name}`);
        assert.equal((result as unknown as { failure: { reason: string } }).failure.reason, "encoding", `${c.name} ${point.name}`);
        assert.equal(ops.mul, 0, `${c.name} ${point.name}: ${ops.mul} T_mul`);
      }
    }
    // the parser's own verdict is ERR_SVS_ENCODING_POINT for a 33-byte bad point, _LENGTH for the 1-byte identity
    for (const point of invalidPoints()) {
      try {
        parseP1(encodeP1({ ...p1, r: point.bytes }));
        assert.fail("parsed");
      } catch (error) {
        assert.ok(isSvsEncodingError(error), point.name);
        assert.equal(error.code, point.bytes.byteLength === 33 ? "ERR_SVS_ENCODING_POINT" : "ERR_SVS_ENCODING_LENGTH", point.name);
      }
    }
  });

  it("property 26: state survives a crash between persist and send: W2 is re-sent from the cache, P's session resumes at j_last, N never credits twice", () => {
    const restore = <S>(state: S): S => stateFromJson<S>(stateToJson(state));
    let { world, sn } = withdraw(makeWorld("p26"), 100n);

    // N persisted W1's effects and crashed before sending W2: after restart the retried W1 gets the same W2
    const start = unwrap(wallet.startWithdrawal(world.u, { amount: 30n, payee: ID_P }, T0 + 10, world.rng));
    const persisted = unwrap(platform.handleW1(world.config, world.n, start.request, { now: T0 + 10, rng: world.rng, availableBalance: 900n }));
    const nAfterCrash = restore<PlatformState>(persisted.state);
    const uAfterCrash = restore<WalletState>(start.state);
    const retry = unwrap(wallet.resendWithdrawal(uAfterCrash, start.withdrawalId, T0 + 20));
    const resent = unwrap(platform.handleW1(world.config, nAfterCrash, retry.request, { now: T0 + 20, rng: world.rng, availableBalance: 870n }));
    assert.deepEqual(resent.reply, persisted.reply);
    assert.deepEqual(resent.ledger, []);
    assert.ok(unwrap(wallet.handleW2(uAfterCrash, start.withdrawalId, resent.reply, T0 + 20)).token);

    // P persisted payment j = 1 and crashed before replying: the retransmit gets the cached reply, j = 2 follows
    world = payOnce(world, sn, 10n, T0 + 30).world;
    const j1 = unwrap(wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: new TextEncoder().encode("item:10"), price: 10n }, T0 + 40, world.rng));
    const handled = unwrap(merchant.handlePayment(world.p, j1.request, { now: T0 + 40, rng: world.rng, catalogue }));
    const pAfterCrash = restore<MerchantState>(handled.state);
    const uRestored = restore<WalletState>(j1.state);
    const again = unwrap(merchant.handlePayment(pAfterCrash, wallet.resendPayment(uRestored, j1.sid)!, { now: T0 + 41, rng: world.rng, catalogue }));
    assert.deepEqual(again.reply, handled.reply);
    assert.equal(again.state.tokens[sn]!.spent, 20n);
    assert.equal(again.state.sessions[j1.sid]!.jLast, 1);
    const u2 = unwrap(wallet.handlePaymentReply(uRestored, j1.sid, again.reply, T0 + 41)).state;
    const resumed = payOnce({ ...world, u: u2, p: pAfterCrash }, sn, 10n, T0 + 50);
    assert.equal(resumed.outcome.accepted, true);
    assert.equal(resumed.outcome.j, 2);

    // N persisted an accepted D3 and crashed: the wallet's retry is ignored, nothing is credited twice
    const d1 = unwrap(merchant.startDeposit(resumed.world.p, T0 + 60, world.rng));
    const dep = unwrap(platform.handleD1(world.config, resumed.world.n, d1.request, T0 + 60, world.rng));
    const d3 = unwrap(wallet.answerConfirmation(resumed.world.u, dep.confirmations[0]!.d2, "ACCEPT", T0 + 61, world.rng));
    const settled = unwrap(platform.handleD3(world.config, dep.state, d3.request, T0 + 61));
    assert.deepEqual(settled.ledger.map((m) => m.amount), [30n]);
    const nRestored = restore<PlatformState>(settled.state);
    const duplicate = unwrap(platform.handleD3(world.config, nRestored, d3.request, T0 + 62));
    assert.equal(duplicate.ignored, true);
    assert.deepEqual(duplicate.ledger, []);
    assert.equal(nRestored.tokens[sn]!.settled, 30n);
  });
});
