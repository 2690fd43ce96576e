import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AccountFlag, applyBatch, isFinal, resultCodes, type TransferInput } from "../src/index.js";
import { account, MemoryLedger } from "./memory-ledger.js";

const id = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
const bank = id(1);
const alice = id(2);
const bob = id(3);

function ledgerWithFunds(aliceFunds: bigint): MemoryLedger {
  const ledger = new MemoryLedger();
  ledger.accounts.set(bank, account(bank));
  ledger.accounts.set(alice, account(alice, AccountFlag.debitsMustNotExceedCredits));
  ledger.accounts.set(bob, account(bob, AccountFlag.debitsMustNotExceedCredits));
  if (aliceFunds > 0n) run(ledger, [{ id: id(100), kind: "posted", debitAccountId: bank, creditAccountId: alice, amount: aliceFunds, code: 1 }]);
  return ledger;
}

function run(ledger: MemoryLedger, batch: TransferInput[], now = 1_000) {
  const outcome = applyBatch(ledger.snapshot(), batch, now);
  ledger.save(outcome);
  return outcome.results;
}

const available = (ledger: MemoryLedger, accountId: string) => {
  const a = ledger.accounts.get(accountId)!;
  return a.creditsPosted - a.debitsPosted - a.debitsPending;
};

describe("applyBatch, worked examples", () => {
  test("a posted transfer moves money and writes a balanced journal entry", () => {
    const ledger = ledgerWithFunds(100n);
    assert.deepEqual(run(ledger, [{ id: id(10), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 30n, code: 1 }]), ["ok"]);
    assert.equal(available(ledger, alice), 70n);
    assert.equal(available(ledger, bob), 30n);
    const entry = ledger.postings.filter((p) => p.transferId === id(10));
    assert.deepEqual(entry.map((p) => p.amount), [-30n, 30n]);
  });

  test("a retry with the same id is 'exists' and changes nothing; a changed retry is refused", () => {
    const ledger = ledgerWithFunds(100n);
    const transfer: TransferInput = { id: id(10), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 30n, code: 1 };
    run(ledger, [transfer]);
    assert.deepEqual(run(ledger, [transfer, { ...transfer, amount: 31n }]), ["exists", "exists_with_different_fields"]);
    assert.equal(available(ledger, alice), 70n);
  });

  test("debits must not exceed credits: the 11th debit of 10 from 100 fails", () => {
    const ledger = ledgerWithFunds(100n);
    const batch = Array.from({ length: 11 }, (_, k): TransferInput => ({ id: id(200 + k), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 10n, code: 1 }));
    const results = run(ledger, batch);
    assert.deepEqual(results.slice(0, 10), Array(10).fill("ok"));
    assert.equal(results[10], "insufficient_funds");
    assert.equal(available(ledger, alice), 0n);
  });

  test("a pending transfer reserves, posts in part and releases the rest", () => {
    const ledger = ledgerWithFunds(100n);
    run(ledger, [{ id: id(20), kind: "pending", debitAccountId: alice, creditAccountId: bob, amount: 60n, code: 1 }]);
    assert.equal(available(ledger, alice), 40n);
    assert.deepEqual(run(ledger, [{ id: id(21), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 50n, code: 1 }]), ["insufficient_funds"]);
    assert.deepEqual(run(ledger, [{ id: id(22), kind: "post_pending", pendingId: id(20), amount: 45n, code: 1 }]), ["ok"]);
    assert.equal(available(ledger, alice), 55n);
    assert.equal(available(ledger, bob), 45n);
    assert.deepEqual(run(ledger, [{ id: id(23), kind: "void_pending", pendingId: id(20), code: 1 }]), ["pending_transfer_already_posted"]);
  });

  test("a pending transfer past its timeout is released and can no longer be posted", () => {
    const ledger = ledgerWithFunds(100n);
    run(ledger, [{ id: id(30), kind: "pending", debitAccountId: alice, creditAccountId: bob, amount: 60n, timeoutMs: 500, code: 1 }], 1_000);
    assert.deepEqual(run(ledger, [{ id: id(31), kind: "post_pending", pendingId: id(30), code: 1 }], 1_500), ["pending_transfer_expired"]);
    assert.equal(ledger.transfers.get(id(30))!.pendingState, "expired");
    assert.equal(available(ledger, alice), 100n);
  });

  test("a linked chain applies whole or not at all", () => {
    const ledger = ledgerWithFunds(100n);
    const results = run(ledger, [
      { id: id(40), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 98n, code: 1, linked: true },
      { id: id(41), kind: "posted", debitAccountId: alice, creditAccountId: bank, amount: 3n, code: 2 },
    ]);
    assert.deepEqual(results, ["linked_event_failed", "insufficient_funds"]);
    assert.equal(available(ledger, alice), 100n);
    assert.equal(ledger.transfers.has(id(40)), false);
  });

  test("a frozen account neither pays nor receives", () => {
    const ledger = ledgerWithFunds(100n);
    ledger.accounts.set(bob, { ...ledger.accounts.get(bob)!, frozen: true });
    assert.deepEqual(run(ledger, [{ id: id(50), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 1n, code: 1 }]), ["account_frozen"]);
  });

  test("malformed transfers are refused with the first rule they break, and change nothing", () => {
    const ledger = ledgerWithFunds(100n);
    const base: TransferInput = { id: id(60), kind: "posted", debitAccountId: alice, creditAccountId: bob, amount: 1n, code: 1 };
    const results = run(ledger, [
      { ...base, id: "00000000-0000-0000-0000-000000000000" },
      { ...base, amount: 0n },
      { ...base, amount: -1n },
      { ...base, amount: 1n << 63n },
      { ...base, creditAccountId: alice },
      { ...base, creditAccountId: id(999) },
      { ...base, code: 0 },
    ]);
    assert.deepEqual(results, ["id_invalid", "amount_must_be_positive", "amount_must_be_positive", "amount_exceeds_max", "accounts_must_be_different", "credit_account_not_found", "code_invalid"]);
    assert.equal(available(ledger, alice), 100n);
  });

  test("every result code says whether it is final", () => {
    for (const [code, meta] of Object.entries(resultCodes)) assert.equal(typeof meta.final, "boolean", code);
    assert.equal(isFinal("insufficient_funds"), false);
    assert.equal(isFinal("exists_with_different_fields"), true);
  });
});
