/**
 * svs-protocol.md §6.2 property 27 and §5.2: each phase performs exactly the scalar-multiplication counts of the
 * cost model, measured through the one counted wrapper (src/crypto/group.ts), plus the HKDF/HMAC call counts of
 * the §5.2 SVS1-M table and the T_h counts of SVS1-A.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as svs1a from "../src/svs1a/index.js";
import { countOps, merchant, platform, wallet } from "../src/index.js";
import type { OpCounts } from "../src/index.js";
import { DAY_MS, ID_P, ID_U, T0, catalogue, gi, makeWorld, seededRng, unwrap } from "./support/world.js";

function counted<T>(fn: () => T): { result: T; ops: OpCounts } {
  return countOps(fn);
}

function pick(ops: OpCounts, ...names: (keyof OpCounts)[]): Partial<OpCounts> {
  return Object.fromEntries(names.map((name) => [name, ops[name]]));
}

describe("operation counts per phase (§5.2)", () => {
  it("property 27: SVS1-M performs the T_mul counts of §5.2 in every phase, and 0 for a payment j ≥ 1", () => {
    const world = makeWorld("p27");
    const rng = world.rng;
    // Registration, SVS1-M-NE: X 2 + 2, N 3 (the escrowed §5.2 registration, X 2 / N 1, is SVS1-A below)
    const enrol = counted(() => unwrap(wallet.startWalletEnrolment(wallet.emptyWalletState(), world.params, "carol", rng)));
    const grant = { id: "carol", role: "U" as const, account: "c", notAfterMs: T0 + DAY_MS };
    const r3 = counted(() => unwrap(platform.handleR1(world.config, world.n, enrol.result.request, grant, T0, rng)));
    const r4 = counted(() => unwrap(wallet.finishWalletEnrolment(enrol.result.state, r3.result.reply, T0)));
    assert.deepEqual([enrol.ops.mul, r4.ops.mul, r3.ops.mul], [2, 2, 3]);
    // Y_P for a new merchant: 1 T_mul, once per merchant (then cached)
    assert.equal(counted(() => wallet.addMerchant(world.u, merchant.merchantDescriptor(world.p)!)).ops.mul, 1);

    // Authentication: U 1, N 2; the login tag is 1 Extract + 1 Expand + 1 HMAC per side
    const a1 = counted(() => wallet.makeLoginProof(world.u.credential!, T0, rng));
    const a1n = counted(() => unwrap(platform.handleA1(world.config, world.n, a1.result, T0)));
    assert.deepEqual(pick(a1.ops, "mul", "extract", "expand", "hmac"), { mul: 1, extract: 1, expand: 1, hmac: 1 });
    assert.deepEqual(pick(a1n.ops, "mul", "extract", "expand", "hmac"), { mul: 2, extract: 1, expand: 1, hmac: 1 });

    // Withdrawing: U 1 T_mul + 1 T_ver + 1 T_sym, N 2 T_mul + 1 T_sig + 1 T_sym
    const w1 = counted(() => unwrap(wallet.startWithdrawal(world.u, { amount: 100n, payee: ID_P }, T0, rng)));
    const w2 = counted(() => unwrap(platform.handleW1(world.config, world.n, w1.result.request, { now: T0, rng, availableBalance: 500n })));
    const w3 = counted(() => unwrap(wallet.handleW2(w1.result.state, w1.result.withdrawalId, w2.result.reply, T0)));
    assert.deepEqual(pick(w1.ops, "mul", "verify", "sym"), { mul: 1, verify: 0, sym: 0 });
    assert.deepEqual(pick(w3.ops, "mul", "verify", "sym"), { mul: 0, verify: 1, sym: 1 });
    assert.deepEqual(pick(w2.ops, "mul", "sign", "sym"), { mul: 2, sign: 1, sym: 1 });
    const sn = Buffer.from(w3.result.token.sn).toString("hex");
    let u = w3.result.state;
    let p = world.p;

    // First payment: U 2 T_mul (Y_P cached), P 1 T_mul + 1 T_ver; 1 Extract + 3 Expand per side
    const io = { now: T0 + 1, rng, catalogue };
    const s0 = counted(() => unwrap(wallet.pay(u, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, T0 + 1, rng)));
    const h0 = counted(() => unwrap(merchant.handlePayment(p, s0.result.request, io)));
    const r0 = counted(() => unwrap(wallet.handlePaymentReply(s0.result.state, s0.result.sid, h0.result.reply, T0 + 1)));
    assert.deepEqual(pick(s0.ops, "mul", "extract", "expand", "sym"), { mul: 2, extract: 1, expand: 3, sym: 1 });
    assert.deepEqual(pick(h0.ops, "mul", "verify", "extract", "expand", "sym"), { mul: 1, verify: 1, extract: 1, expand: 3, sym: 2 });
    assert.deepEqual(pick(r0.ops, "mul", "sym"), { mul: 0, sym: 1 });
    u = r0.result.state;
    p = h0.result.state;

    // Payments j ≥ 1: 0 T_mul on both sides; one ratchet step (1 HMAC + 2 Expand) and 1 HMAC for auth_j
    for (let j = 1; j <= 5; j++) {
      const sj = counted(() => unwrap(wallet.pay(u, { sn, merchantId: ID_P, goodsInfo: gi("item:10"), price: 10n }, T0 + 1 + j, rng)));
      const hj = counted(() => unwrap(merchant.handlePayment(p, sj.result.request, { ...io, now: T0 + 1 + j })));
      const rj = counted(() => unwrap(wallet.handlePaymentReply(sj.result.state, sj.result.sid, hj.result.reply, T0 + 1 + j)));
      const uSide = { ...sj.ops, hmac: sj.ops.hmac + rj.ops.hmac, sym: sj.ops.sym + rj.ops.sym, mul: sj.ops.mul + rj.ops.mul };
      assert.deepEqual(pick(uSide, "mul", "extract", "expand", "hmac", "sym", "verify"), { mul: 0, extract: 0, expand: 2, hmac: 2, sym: 2, verify: 0 });
      assert.deepEqual(pick(hj.ops, "mul", "extract", "expand", "hmac", "sym", "verify"), { mul: 0, extract: 0, expand: 2, hmac: 1, sym: 2, verify: 0 });
      assert.equal(hj.result.payment.accepted, true);
      u = rj.result.state;
      p = hj.result.state;
    }

    // Depositing one batch: P 1 T_mul, N 2 T_mul (SN lookup, no T_ver), U none (AEAD only)
    const d1 = counted(() => unwrap(merchant.startDeposit(p, T0 + 10, rng)));
    const dep = counted(() => unwrap(platform.handleD1({ ...world.config }, w2.result.state, d1.result.request, T0 + 10, rng)));
    const d3 = counted(() => unwrap(wallet.answerConfirmation(u, dep.result.confirmations[0]!.d2, "ACCEPT", T0 + 11, rng)));
    const settle = counted(() => unwrap(platform.handleD3(world.config, dep.result.state, d3.result.request, T0 + 11)));
    assert.deepEqual(pick(d1.ops, "mul", "verify"), { mul: 1, verify: 0 });
    assert.deepEqual(pick(dep.ops, "mul", "verify"), { mul: 2, verify: 0 });
    assert.deepEqual(pick(d3.ops, "mul", "sym"), { mul: 0, sym: 2 });
    assert.deepEqual(pick(settle.ops, "mul", "sym"), { mul: 0, sym: 1 });
    assert.deepEqual(settle.result.ledger.map((m) => m.amount), [60n]);
  });

  it("property 27 (SVS1-A): registration 3, authentication 3, withdrawing 3, first payment 3 (4 uncached), payment j ≥ 1 0, deposit 3 T_mul, with the T_h counts of §5.2", () => {
    const rng = seededRng("p27a");
    const n = svs1a.setup("N", rng);
    const reg = counted(() => svs1a.register(n, ID_U, rng));
    const check = counted(() => svs1a.checkRegistration(n.q, reg.result));
    assert.deepEqual([reg.ops.mul, reg.ops.hash, check.ops.mul, check.ops.hash], [1, 1, 2, 1]);
    const user = reg.result;
    const shop = svs1a.register(n, ID_P, rng);

    const login = counted(() => svs1a.login(user, n.q, T0));
    const verify = counted(() => svs1a.verifyLogin(n, login.result.login, T0, 120_000));
    assert.deepEqual([login.ops.mul, login.ops.hash, verify.ops.mul, verify.ops.hash], [1, 1, 2, 2]);

    const w = counted(() => svs1a.login(user, n.q, T0));
    const issued = counted(() => svs1a.issue(n, { ...w.result.login, amount: 100n }, T0, 120_000, rng)!);
    const got = counted(() => svs1a.receiveToken(n, ID_U, w.result.zx, T0, issued.result.sealed)!);
    assert.deepEqual(pick(issued.ops, "mul", "hash", "sign", "sym"), { mul: 2, hash: 3, sign: 1, sym: 1 });
    assert.deepEqual(pick({ ...got.ops, mul: got.ops.mul + w.ops.mul, hash: got.ops.hash + w.ops.hash }, "mul", "hash", "verify", "sym"), { mul: 1, hash: 2, verify: 1, sym: 1 });

    const yP = counted(() => svs1a.implicitKey(n.q, ID_P, shop.v));
    assert.deepEqual([yP.ops.mul, yP.ops.hash], [1, 1]);
    const first = counted(() => svs1a.firstPayment(n.id, ID_P, yP.result, got.result.token, "item", 10n, T0, rng));
    assert.deepEqual(pick(first.ops, "mul", "hash", "sym"), { mul: 2, hash: 1, sym: 1 });
    let m: svs1a.Merchant = { party: shop, sessions: {} };
    const accepted = counted(() => svs1a.acceptPayment(m, n, first.result.message)!);
    assert.deepEqual(pick(accepted.ops, "mul", "hash", "verify", "sym"), { mul: 1, hash: 1, verify: 1, sym: 1 });
    m = accepted.result.merchant;
    let session = first.result.session;
    for (let j = 1; j <= 4; j++) {
      const next = counted(() => svs1a.nextPayment(session, "item", 1n, T0 + j, rng));
      const atP = counted(() => svs1a.acceptPayment(m, n, next.result.message)!);
      // U: 1 T_h (incremental chain); P: j T_h (recomputes h^j from K_UP, as the paper's text says)
      assert.deepEqual([next.ops.mul, next.ops.hash, atP.ops.mul, atP.ops.hash], [0, 1, 0, j]);
      session = next.result.session;
      m = atP.result.merchant;
    }

    const depositRequest = counted(() => svs1a.depositRequest(m, n.q, T0 + 10));
    const claims = [{ sn: got.result.token.sn, goodsInfo: "item", total: 14n, kUN: got.result.kUN }];
    const verified = counted(() => svs1a.verifyDeposit(n, depositRequest.result, claims, T0 + 10, 120_000, rng)!);
    const confirmed = counted(() => svs1a.confirmDeposit(got.result.kUN, verified.result[0]!, 14n));
    assert.deepEqual([depositRequest.ops.mul, depositRequest.ops.hash, verified.ops.mul, verified.ops.hash], [1, 1, 2, 2]);
    assert.deepEqual([confirmed.result, confirmed.ops.mul, confirmed.ops.sym], [true, 0, 1]);
  });
});
