import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { wallet } from "../src/index.js";
import { T0, ID_P, depositAndConfirm, gi, makeWorld, payOnce, withdraw } from "./support/world.js";

describe("SVS1-M end to end (pure)", () => {
  it("withdraw 100, pay 40 + 40, 30 refused, deposit accepted: P credited 80, 20 left in escrow", () => {
    let { world, sn } = withdraw(makeWorld(), 100n);
    const first = payOnce(world, sn, 40n, T0 + 1000);
    assert.equal(first.outcome.accepted, true);
    const second = payOnce(first.world, sn, 40n, T0 + 2000);
    assert.equal(second.outcome.accepted, true);
    world = second.world;
    const third = wallet.pay(world.u, { sn, merchantId: ID_P, goodsInfo: gi("item:30"), price: 30n }, T0 + 3000, world.rng);
    assert.equal(third.ok, false);
    assert.equal(!third.ok && third.failure.code, "ERR_SVS_TOKEN_EXHAUSTED");

    const deposit = depositAndConfirm(world, T0 + 4000, "ACCEPT");
    assert.deepEqual(
      deposit.ledger.map((m) => [m.kind, m.account, m.amount]),
      [["settle", "acct:shop-42", 80n]],
    );
    const token = deposit.world.n.tokens[sn]!;
    assert.equal(token.escrow, 20n);
    assert.equal(token.settled, 80n);
    assert.equal(token.status, "PARTIAL");
    assert.deepEqual(deposit.results.map((r) => r.status), ["SETTLED"]);
  });
});
