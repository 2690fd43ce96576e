import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { finalStates, nextState, paymentEvents, paymentStates, transitions, type PaymentKind } from "../../src/modules/payments/state-machine.js";
import { feeFor } from "../../src/modules/payments/fees.js";

const doc = readFileSync(new URL("../../../../../docs/payments.md", import.meta.url), "utf8");

/** The rows between the transitions markers of docs/payments.md. */
export function documentedTransitions(): { event: string; from: string; to: string; kind: string }[] {
  const table = doc.split("<!-- transitions:begin -->")[1]!.split("<!-- transitions:end -->")[0]!;
  return table.trim().split("\n").slice(2).map((line) => {
    const [event, from, to, kind] = line.split("|").slice(1, 5).map((cell) => cell.trim());
    return { event: event!, from: from!, to: to!, kind: kind! };
  });
}

test("the code has exactly the transitions of docs/payments.md", () => {
  const documented = documentedTransitions().map((t) => `${t.event} ${t.from}→${t.to} ${t.kind}`).sort();
  const coded = transitions.map((t) => `${t.event} ${t.from}→${t.to} ${t.kind ?? "any"}`).sort();
  assert.ok(documented.length >= 16);
  assert.deepEqual(coded, documented);
});

test("the documented final states are those no transition leaves; every state is reachable", () => {
  const rows = doc.split("## States")[1]!.split("## Transitions")[0]!.split("\n").filter((l) => l.startsWith("| `"));
  const documentedFinal = rows.filter((l) => l.trim().endsWith("| yes |")).map((l) => /`([a-z_]+)`/.exec(l)![1]).sort();
  assert.deepEqual([...finalStates].sort(), documentedFinal);
  assert.deepEqual(rows.map((l) => /`([a-z_]+)`/.exec(l)![1]).sort(), [...paymentStates].sort());
  const reached = new Set<string>(["awaiting_confirmation"]);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of transitions) if (reached.has(t.from) && !reached.has(t.to)) { reached.add(t.to); grew = true; }
  }
  assert.deepEqual([...reached].sort(), [...paymentStates].sort());
});

test("nextState allows exactly the table, for each kind: every other (state, event) is refused", () => {
  let allowed = 0;
  for (const kind of ["direct", "escrow"] as PaymentKind[]) {
    for (const from of paymentStates) {
      for (const event of paymentEvents) {
        const expected = transitions.find((t) => t.from === from && t.event === event && (t.kind === undefined || t.kind === kind))?.to;
        assert.equal(nextState(kind, from, event), expected, `${kind} ${from} ${event}`);
        if (expected !== undefined) allowed++;
      }
    }
  }
  assert.equal(allowed, transitions.filter((t) => t.kind === undefined).length * 2 + transitions.filter((t) => t.kind !== undefined).length);
  for (const state of finalStates) for (const event of paymentEvents) assert.equal(nextState("escrow", state, event), undefined);
});

test("fees: fixed + basis points, rounded down, never above the amount", () => {
  assert.equal(feeFor(10_000n, { fixedMinor: 0n, rateBasisPoints: 100n }), 100n);
  assert.equal(feeFor(199n, { fixedMinor: 0n, rateBasisPoints: 100n }), 1n);
  assert.equal(feeFor(99n, { fixedMinor: 0n, rateBasisPoints: 100n }), 0n);
  assert.equal(feeFor(50n, { fixedMinor: 30n, rateBasisPoints: 10_000n }), 50n);
  assert.equal(feeFor(9_223_372_036_854_775_807n, { fixedMinor: 0n, rateBasisPoints: 10_000n }), 9_223_372_036_854_775_807n);
  assert.throws(() => feeFor(0n, { fixedMinor: 0n, rateBasisPoints: 0n }));
  assert.throws(() => feeFor(1n, { fixedMinor: 0n, rateBasisPoints: 10_001n }));
});
