import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { AccountFlag, applyBatch, type TransferInput } from "../src/index.js";
import { account, MemoryLedger } from "./memory-ledger.js";
import { ReferenceLedger, type ModelInput } from "./reference-model.js";

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const accountIds = [1, 2, 3, 4, 5, 6].map((n) => uuid(0xa000 + n));
const transferIds = Array.from({ length: 60 }, (_, n) => uuid(0xb000 + n));
const foreignCurrencyAccount = uuid(0xa0ff);

const anyAccountId = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...accountIds) },
  { weight: 1, arbitrary: fc.constantFrom(foreignCurrencyAccount, uuid(0xdead), "00000000-0000-0000-0000-000000000000", "not-an-id") },
);
const amount = fc.oneof(
  { weight: 10, arbitrary: fc.bigInt({ min: 1n, max: 300n }) },
  { weight: 1, arbitrary: fc.constantFrom(0n, -5n, (1n << 63n) - 1n, 1n << 63n, (1n << 62n) + 1n) },
);
/** Anything at all, to reach every rejection. */
const wildTransfer: fc.Arbitrary<TransferInput> = fc.record({
  id: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(...transferIds) }, { weight: 1, arbitrary: fc.constant("00000000-0000-0000-0000-000000000000") }),
  kind: fc.constantFrom("posted", "pending", "post_pending", "void_pending"),
  debitAccountId: fc.option(anyAccountId, { nil: undefined, freq: 6 }),
  creditAccountId: fc.option(anyAccountId, { nil: undefined, freq: 6 }),
  amount: fc.option(amount, { nil: undefined, freq: 5 }),
  pendingId: fc.option(fc.constantFrom(...transferIds), { nil: undefined, freq: 2 }),
  timeoutMs: fc.option(fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 60 }) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, 7776000001) }), { nil: undefined, freq: 2 }),
  linked: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
  code: fc.oneof({ weight: 20, arbitrary: fc.constantFrom(1, 2, 7) }, { weight: 1, arbitrary: fc.constantFrom(0, 65536, 1.5) }),
  userData: fc.option(fc.oneof({ weight: 10, arbitrary: fc.constantFrom("a", "order-1") }, { weight: 1, arbitrary: fc.constant("x".repeat(65)) }), { nil: undefined, freq: 4 }),
}, { requiredKeys: ["id", "kind", "code"] });

const linked = fc.integer({ min: 0, max: 5 }).map((n) => n === 0);
/** Well-formed new transfers between known accounts: these move money. */
const pendingIds = transferIds.slice(0, 20);
const otherIds = transferIds.slice(20);
const newTransfer: fc.Arbitrary<TransferInput> = fc.record({
  id: fc.constantFrom(...otherIds),
  kind: fc.constantFrom("posted", "posted", "pending"),
  debitAccountId: fc.constantFrom(...accountIds),
  creditAccountId: fc.constantFrom(...accountIds),
  amount: fc.bigInt({ min: 1n, max: 300n }),
  timeoutMs: fc.integer({ min: 0, max: 60 }),
  linked,
  code: fc.constant(1),
  pendingSlot: fc.constantFrom(...pendingIds),
}).map(({ pendingSlot, ...t }) => (t.kind === "pending" ? { ...t, id: pendingSlot } : { ...t, timeoutMs: undefined }));
/** Well-formed posts and voids of (maybe) pending transfers. */
const resolution: fc.Arbitrary<TransferInput> = fc.record({
  id: fc.constantFrom(...otherIds),
  kind: fc.constantFrom("post_pending", "void_pending"),
  pendingId: fc.constantFrom(...pendingIds),
  amount: fc.option(fc.bigInt({ min: 1n, max: 300n }), { nil: undefined, freq: 2 }),
  linked,
  code: fc.constant(1),
}, { requiredKeys: ["id", "kind", "pendingId", "linked", "code"] });

const transferInput = fc.oneof({ weight: 8, arbitrary: newTransfer }, { weight: 4, arbitrary: resolution }, { weight: 1, arbitrary: wildTransfer });

const step = fc.record({
  batch: fc.array(transferInput, { minLength: 0, maxLength: 16 }),
  advanceMs: fc.integer({ min: 0, max: 40 }),
  /** An account frozen for the length of this one batch. */
  frozen: fc.option(fc.constantFrom(...accountIds), { nil: undefined, freq: 8 }),
  /** Submit an earlier batch again, as a client retrying after a lost answer would. */
  replayOf: fc.option(fc.nat(), { nil: undefined, freq: 3 }),
});

const flagsFor = fc.array(fc.constantFrom(0, AccountFlag.debitsMustNotExceedCredits, AccountFlag.debitsMustNotExceedCredits, AccountFlag.creditsMustNotExceedDebits), { minLength: 5, maxLength: 5 }).map((f) => [0, ...f]);

test("applyBatch agrees with the reference model on every result code, balance and pending state", () => {
  fc.assert(fc.property(flagsFor, fc.array(step, { minLength: 1, maxLength: 25 }), (flags, steps) => {
    const ledger = new MemoryLedger();
    const model = new ReferenceLedger();
    accountIds.forEach((id, k) => {
      ledger.accounts.set(id, account(id, flags[k]!));
      model.accounts[id] = { id, currency: "KES", mustNotOwe: flags[k] === 1, mustNotLend: flags[k] === 2, frozen: false, dPend: 0n, dPost: 0n, cPend: 0n, cPost: 0n };
    });
    ledger.accounts.set(foreignCurrencyAccount, account(foreignCurrencyAccount, 0, "USD"));
    model.accounts[foreignCurrencyAccount] = { id: foreignCurrencyAccount, currency: "USD", mustNotOwe: false, mustNotLend: false, frozen: false, dPend: 0n, dPost: 0n, cPend: 0n, cPost: 0n };

    // Opening balances, through the rules like any other transfer: account 0 funds the others.
    const opening: TransferInput[] = accountIds.slice(1).map((id, k) => ({ id: uuid(0xc000 + k), kind: "posted", debitAccountId: accountIds[0]!, creditAccountId: id, amount: 500n, code: 9 }));
    const openingResults = applyBatch(ledger.snapshot(), opening, 999);
    ledger.save(openingResults);
    assert.deepEqual(openingResults.results, model.batch(opening as ModelInput[], 999));

    let now = 1_000;
    const submitted: TransferInput[][] = [];
    for (const s of steps) {
      const batch = s.replayOf !== undefined && submitted.length > 0 ? submitted[s.replayOf % submitted.length]! : s.batch;
      submitted.push(batch);
      now += s.advanceMs;
      const setFrozen = (frozen: boolean) => {
        if (s.frozen === undefined) return;
        ledger.accounts.set(s.frozen, { ...ledger.accounts.get(s.frozen)!, frozen });
        model.accounts[s.frozen]!.frozen = frozen;
      };
      setFrozen(true);
      const outcome = applyBatch(ledger.snapshot(), batch, now);
      for (const r of outcome.results) codeCounts.set(r, (codeCounts.get(r) ?? 0) + 1);
      const expected = model.batch(batch as ModelInput[], now);
      assert.deepEqual(outcome.results, expected);
      ledger.save(outcome);
      setFrozen(false);

      for (const m of Object.values(model.accounts)) {
        const a = ledger.accounts.get(m.id)!;
        assert.deepEqual([a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted], [m.dPend, m.dPost, m.cPend, m.cPost], `account ${m.id}`);
      }
      assert.equal(ledger.transfers.size, Object.keys(model.transfers).length);
      for (const m of Object.values(model.transfers)) {
        const t = ledger.transfers.get(m.id)!;
        assert.deepEqual([t.kind, t.amount, t.pendingState, t.expiresAt], [m.kind, m.amount, m.state, m.expiresAt], `transfer ${m.id}`);
      }
    }
    checkLedgerInvariants(ledger);
  }), { numRuns: 400 });
});

/** What must hold of any ledger the rules produced, whatever the inputs. */
export const codeCounts = new Map<string, number>();
process.on("exit", () => { if (process.env.LEDGER_CODE_STATS) console.error([...codeCounts].sort((a, b) => b[1] - a[1])); });

function checkLedgerInvariants(ledger: MemoryLedger): void {
  let net = 0n;
  let reserved = 0n;
  for (const a of ledger.accounts.values()) {
    net += a.creditsPosted - a.debitsPosted;
    reserved += a.creditsPending - a.debitsPending;
    for (const field of [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted]) assert.ok(field >= 0n);
    if (a.flags & AccountFlag.debitsMustNotExceedCredits) assert.ok(a.debitsPending + a.debitsPosted <= a.creditsPosted);
    if (a.flags & AccountFlag.creditsMustNotExceedDebits) assert.ok(a.creditsPending + a.creditsPosted <= a.debitsPosted);
    const postings = ledger.postings.filter((p) => p.accountId === a.id);
    assert.equal(postings.filter((p) => p.amount < 0n).reduce((s, p) => s - p.amount, 0n), a.debitsPosted, "debits posted = postings");
    assert.equal(postings.filter((p) => p.amount > 0n).reduce((s, p) => s + p.amount, 0n), a.creditsPosted, "credits posted = postings");
    const held = [...ledger.transfers.values()].filter((t) => t.pendingState === "pending");
    assert.equal(held.filter((t) => t.debitAccountId === a.id).reduce((s, t) => s + t.amount, 0n), a.debitsPending);
    assert.equal(held.filter((t) => t.creditAccountId === a.id).reduce((s, t) => s + t.amount, 0n), a.creditsPending);
  }
  assert.equal(net, 0n);
  assert.equal(reserved, 0n);
}

test("the snapshot given to applyBatch is never changed", () => {
  fc.assert(fc.property(fc.array(transferInput, { maxLength: 10 }), (batch) => {
    const ledger = new MemoryLedger();
    for (const id of accountIds) ledger.accounts.set(id, { ...account(id), creditsPosted: 100n, debitsPosted: 0n });
    const before = JSON.stringify([...ledger.accounts.values()], (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    applyBatch(ledger.snapshot(), batch, 5_000);
    assert.equal(JSON.stringify([...ledger.accounts.values()], (_k, v) => (typeof v === "bigint" ? v.toString() : v)), before);
  }), { numRuns: 200 });
});
