/** State as plain data: JSON round trips, stateChanges for database adapters, stateKeysFor partial states. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { idKey, merchant, platform, stateChanges, stateFromJson, stateToJson, wallet } from "../src/index.js";
import type { PlatformState } from "../src/platform/index.js";
import { fuzzParameters } from "./support/fuzz.js";
import { ID_P, ID_U, T0, depositAndConfirm, makeWorld, payOnce, unwrap, withdraw } from "./support/world.js";

describe("party state", () => {
  it("every party's state survives stateToJson/stateFromJson unchanged, and the protocol continues on it", () => {
    let { world, sn } = withdraw(makeWorld("state"), 100n);
    world = payOnce(world, sn, 10n, T0 + 1).world;
    for (const state of [world.n, world.u, world.p]) assert.deepEqual(stateFromJson(stateToJson(state)), state);
    const restored = { ...world, n: stateFromJson<PlatformState>(stateToJson(world.n)), u: stateFromJson<typeof world.u>(stateToJson(world.u)), p: stateFromJson<typeof world.p>(stateToJson(world.p)) };
    const next = payOnce(restored, sn, 10n, T0 + 2);
    assert.equal(next.outcome.accepted, true);
    assert.deepEqual(depositAndConfirm(next.world, T0 + 3, "ACCEPT").ledger.map((m) => m.amount), [20n]);
  });

  it("stateToJson/stateFromJson round-trip arbitrary plain data with bigint and bytes", () => {
    const plain = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.bigInt(),
        fc.uint8Array({ maxLength: 8 }),
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.string().filter((k) => k !== "__proto__" && k !== "$bigint" && k !== "$bytes"), tie("value"), { maxKeys: 3, noNullPrototype: true }),
      ),
    })).value;
    fc.assert(fc.property(plain, (value) => assert.deepEqual(stateFromJson(stateToJson(value)), value)), { ...fuzzParameters, numRuns: Math.min(2000, fuzzParameters.numRuns) });
  });

  it("a handler run on the partial state named by stateKeysFor gives the same answer, and stateChanges lists exactly the rows to write", () => {
    let { world, sn } = withdraw(makeWorld("view"), 100n);
    world = payOnce(world, sn, 10n, T0 + 1).world;
    const partialFor = (message: Uint8Array): PlatformState => {
      const keys = platform.stateKeysFor(message)!;
      const pick = <T>(map: Readonly<Record<string, T>>, wanted: readonly string[]) =>
        Object.fromEntries(wanted.filter((k) => map[k] !== undefined).map((k) => [k, map[k] as T]));
      const tokens = { ...pick(world.n.tokens, keys.tokens) };
      if (keys.openTokensOfPayee !== null) {
        for (const [k, t] of Object.entries(world.n.tokens)) if (t.payee === keys.openTokensOfPayee && (t.status === "ISSUED" || t.status === "PARTIAL")) tokens[k] = t;
      }
      return {
        registry: pick(world.n.registry, keys.registry),
        replay: pick(world.n.replay, keys.replay),
        withdrawals: pick(world.n.withdrawals, keys.withdrawals),
        tokens,
        deposits: pick(world.n.deposits, keys.deposits),
      };
    };
    // W1 on a partial state: same W2 bytes as on the full state (same rng seed)
    const w1 = unwrap(wallet.startWithdrawal(world.u, { amount: 7n, payee: ID_P }, T0 + 2, world.rng)).request;
    const keys = platform.stateKeysFor(w1)!;
    assert.deepEqual(keys.registry, [idKey(ID_U), idKey(ID_P)]);
    const partial = partialFor(w1);
    const rngA = (n: number) => new Uint8Array(n).fill(7);
    const full = unwrap(platform.handleW1(world.config, world.n, w1, { now: T0 + 2, rng: rngA, availableBalance: 10n }));
    const part = unwrap(platform.handleW1(world.config, partial, w1, { now: T0 + 2, rng: rngA, availableBalance: 10n }));
    assert.deepEqual(part.reply, full.reply);
    const changes = stateChanges(partial, part.state);
    assert.deepEqual(changes.map((c) => c.table).sort(), ["replay", "tokens", "withdrawals"]);
    assert.deepEqual(stateChanges(world.n, full.state), changes);
    // D1 on the partial state (registry of P + P's open tokens) and D3 on its own keys
    const d1 = unwrap(merchant.startDeposit(world.p, T0 + 3, world.rng));
    const dep = unwrap(platform.handleD1(world.config, partialFor(d1.request), d1.request, T0 + 3, world.rng));
    assert.equal(dep.confirmations.length, 1);
    // the adapter writes the changed rows back: merge them into the full state
    const merged = (table: "replay" | "tokens" | "deposits") => ({ ...world.n[table], ...dep.state[table] });
    world = { ...world, n: { ...world.n, replay: merged("replay"), tokens: merged("tokens"), deposits: merged("deposits") } as PlatformState };
    const d3 = unwrap(wallet.answerConfirmation(world.u, dep.confirmations[0]!.d2, "ACCEPT", T0 + 4, world.rng)).request;
    const settled = unwrap(platform.handleD3(world.config, partialFor(d3), d3, T0 + 4));
    assert.deepEqual(settled.ledger.map((m) => [m.kind, m.amount]), [["settle", 10n]]);
    assert.deepEqual(stateChanges(partialFor(d3), settled.state).map((c) => [c.table, c.key]).sort(), [["deposits", d1.depId], ["tokens", sn]]);
    assert.equal(platform.stateKeysFor(new Uint8Array(3)), null);
  });
});
