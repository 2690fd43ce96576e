/** svs-protocol.md §6.2 properties 23-24 (user confirmation). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { merchant, platform, wallet } from "../src/index.js";
import { hmacSha256 } from "../src/crypto/primitives.js";
import { T0, depositAndConfirm, makeWorld, payOnce, unwrap, withdraw } from "./support/world.js";

describe("§6.2 user confirmation", () => {
  it("property 23: REJECT credits nothing and marks the records DISPUTED; no D3 leaves the deposit pending; a D2 that does not match U's log is rejected automatically", () => {
    let { world, sn } = withdraw(makeWorld("p23"), 100n);
    world = payOnce(world, sn, 40n, T0 + 1).world;
    world = payOnce(world, sn, 40n, T0 + 2).world;

    const refused = depositAndConfirm(world, T0 + 3, "REJECT");
    assert.deepEqual(refused.ledger, []);
    const token = refused.world.n.tokens[sn]!;
    assert.equal(token.status, "DISPUTED");
    assert.equal(token.escrow, 100n);
    assert.equal(token.settled, 0n);
    assert.equal(Object.values(refused.world.n.deposits[refused.depId]!.items)[0]!.status, "DISPUTED");
    assert.deepEqual(refused.results.map((r) => r.status), ["DISPUTED"]);
    assert.ok(refused.world.p.tokens[sn]!.records.every((r) => r.status === "DISPUTED"));
    assert.ok(refused.world.u.tokens[sn]!.log.every((e) => e.status === "DISPUTED"));

    // no D3: the deposit stays pending, and N refuses another deposit of the same SN meanwhile
    const started = unwrap(merchant.startDeposit(world.p, T0 + 3, world.rng));
    const pending = unwrap(platform.handleD1(world.config, world.n, started.request, T0 + 3, world.rng));
    assert.equal(pending.state.tokens[sn]!.pendingDepId, started.depId);
    const later = unwrap(platform.depositResult(pending.state, Buffer.from(started.depId, "hex"), T0 + 72 * 3600_000, world.rng));
    const seenByP = unwrap(merchant.handleD4(started.state, later.reply, T0 + 72 * 3600_000));
    assert.deepEqual(seenByP.results.map((r) => r.status), ["PENDING"]);
    assert.equal(pending.state.tokens[sn]!.escrow, 100n);

    // U's log lacks the second payment (say the wallet was restored from an old backup): D2 names more than U made
    const d2 = pending.confirmations[0]!.d2;
    const forgetful = { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, log: world.u.tokens[sn]!.log.slice(0, 1) } } };
    const view = unwrap(wallet.inspectConfirmation(forgetful, d2)).request;
    assert.equal(view.matchesLog, false);
    assert.equal(unwrap(wallet.answerConfirmation(forgetful, d2, "ACCEPT", T0 + 4, world.rng)).decision, "REJECT");
    // a changed price in the log
    const log = world.u.tokens[sn]!.log;
    const repriced = { ...world.u, tokens: { ...world.u.tokens, [sn]: { ...world.u.tokens[sn]!, log: [log[0]!, { ...log[1]!, price: 39n }] } } };
    const answer = unwrap(wallet.answerConfirmation(repriced, d2, "ACCEPT", T0 + 4, world.rng));
    assert.equal(answer.decision, "REJECT");
    const outcome = unwrap(platform.handleD3(world.config, pending.state, answer.request, T0 + 4));
    assert.equal(outcome.decision, "REJECT");
    assert.deepEqual(outcome.ledger, []);
    // and the matching log is accepted when the user agrees
    assert.equal(unwrap(wallet.inspectConfirmation(world.u, d2)).request.matchesLog, true);
    assert.equal(unwrap(wallet.answerConfirmation(world.u, d2, "ACCEPT", T0 + 4, world.rng)).decision, "ACCEPT");
  });

  it("property 24: a record P fabricates (valid encryption, made-up auth_j) makes N reject that SN before contacting U", () => {
    let { world, sn } = withdraw(makeWorld("p24"), 100n);
    const other = withdraw(world, 50n);
    world = other.world;
    world = payOnce(world, sn, 10n, T0 + 1).world;
    world = payOnce(world, other.sn, 5n, T0 + 2).world;
    const pToken = world.p.tokens[sn]!;
    const last = pToken.records.at(-1)!;
    const fake = {
      record: { ...last.record, j: last.record.j + 1, price: 50n, cum: last.record.cum + 50n, auth: hmacSha256(new Uint8Array(32), "made up") },
      goodsInfo: last.goodsInfo,
      status: "UNDEPOSITED" as const,
      depId: null,
    };
    const fraud = { ...world.p, tokens: { ...world.p.tokens, [sn]: { ...pToken, spent: pToken.spent + 50n, records: [...pToken.records, fake] } } };
    const d1 = unwrap(merchant.startDeposit(fraud, T0 + 3, world.rng));
    const handled = unwrap(platform.handleD1(world.config, world.n, d1.request, T0 + 3, world.rng));
    // only the honest token goes to its user
    assert.deepEqual(handled.confirmations.map((c) => Buffer.from(c.sn).toString("hex")), [other.sn]);
    const items = handled.state.deposits[d1.depId]!.items;
    assert.equal(items[sn]!.status, "REJECTED");
    assert.equal(items[sn]!.rejectReason, "bad auth_j");
    assert.equal(handled.state.tokens[sn]!.pendingDepId, null);
    const p = unwrap(merchant.handleD4(d1.state, handled.reply, T0 + 3));
    assert.deepEqual(
      p.results.map((r) => [Buffer.from(r.sn).toString("hex"), r.status]).sort(),
      [[sn, "REJECTED"], [other.sn, "PENDING"]].sort(),
    );
  });
});
