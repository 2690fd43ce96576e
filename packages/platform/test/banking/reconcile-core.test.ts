// Reconciliation's pure core: each kind of mismatch is found, and nothing else is.
import assert from "node:assert/strict";
import { test } from "node:test";
import { reconcile, type BankLine, type LedgerLine } from "../../src/modules/banking/reconcile.js";

const l = (reference: string | undefined, amount: bigint, transferId = `t-${reference}`): LedgerLine => ({ reference, amount, transferId, code: 2 });
const b = (reference: string, amount: bigint, entryRef = 1n): BankLine => ({ reference, amount, entryRef });

test("a clean pair of sides matches, offsetting bank pairs included", () => {
  const result = reconcile([l("RB1", 100n), l("RB2", -40n)], [b("RB1", 100n), b("RB2", -40n), b("RB3", 70n), b("RB4", -70n)], [["RB3", "RB4"]]);
  assert.deepEqual(result, { matched: 2, offsetting: 2, mismatches: [] });
});

test("every kind of mismatch is reported with both sides", () => {
  const result = reconcile(
    [l("RB1", 100n), l("RB2", 50n), l("RB5", 10n), l("RB5", 10n, "t-RB5-again"), l(undefined, 30n, "t-nobank"), l("RB7", 5n)],
    [b("RB1", 100n), b("RB2", 49n), b("RB3", 20n), b("RB6", 8n, 1n), b("RB6", 8n, 2n), b("RB8", 9n), b("RB9", -8n)],
    [["RB8", "RB9"]],
  );
  const found = result.mismatches.map((m) => `${m.kind}:${m.reference ?? "-"}`).sort();
  assert.deepEqual(found, [
    "amount_differs:RB2", "duplicate_at_bank:RB6", "duplicate_in_ledger:RB5", "missing_at_bank:-", "missing_at_bank:RB7",
    "missing_in_ledger:RB3", "missing_in_ledger:RB8", "missing_in_ledger:RB9",
  ].sort(), "RB8/RB9 do not offset: their amounts do not cancel");
  assert.equal(result.matched, 1);
  const differs = result.mismatches.find((m) => m.kind === "amount_differs")!;
  assert.deepEqual([differs.ledger[0]!.amount, differs.bank[0]!.amount], [50n, 49n]);
});

test("an offsetting pair with one side in the ledger is no longer an offset", () => {
  const result = reconcile([l("RB1", 70n)], [b("RB1", 70n), b("RB2", -70n)], [["RB1", "RB2"]]);
  assert.deepEqual(result.mismatches.map((m) => `${m.kind}:${m.reference}`), ["missing_in_ledger:RB2"]);
});
