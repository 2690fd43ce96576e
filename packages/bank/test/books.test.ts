// The reference bank's books through its message channel: idempotency by MsgId, status requests,
// reversals and fences, statements, account links and mandates, double entry.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { BankFixture } from "./support/fixture.js";
import { newId, openFixture } from "./support/fixture.js";

let f: BankFixture;
before(async () => { f = await openFixture(); });
after(async () => { await f.stop(); });

async function balance(number: string): Promise<bigint> {
  return (await f.bank.books.account(number))!.balance;
}

async function settlement(): Promise<bigint> {
  return (await f.bank.books.settlementAccount("obol", "KES")).balance;
}

function answer<T>(exchange: { kind: string; value?: T }): T {
  assert.equal(exchange.kind, "answer", JSON.stringify(exchange, (_k, v) => (typeof v === "bigint" ? v.toString() : v)));
  return exchange.value!;
}

async function assertBalanced(): Promise<void> {
  const report = await f.bank.books.verify();
  assert.deepEqual(report.mismatched, []);
  assert.equal(report.total, 0n, "all balances together are zero (double entry)");
}

describe("debits and credits", () => {
  test("a debit books once: the same MsgId again answers the same outcome and moves nothing", async () => {
    const customer = await f.customer(10_000n);
    const before = await settlement();
    const instruction = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 2_500n });
    const first = answer(await f.client.instruct(instruction));
    assert.equal(first.status, "ACSC");
    assert.match(first.bankReference!, /^RB[0-9]{14}$/);
    const again = answer(await f.client.instruct({ ...instruction, header: f.client.header(instruction.header.msgId) }));
    assert.equal(again.status, "ACSC");
    assert.equal(again.bankReference, first.bankReference);
    assert.equal(await balance(customer.number), 7_500n);
    assert.equal(await settlement(), before + 2_500n);
    await assertBalanced();
  });

  test("the same MsgId with another amount is refused (MISMATCH) and books nothing", async () => {
    const customer = await f.customer(10_000n);
    const instruction = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 1_000n });
    answer(await f.client.instruct(instruction));
    const changed = await f.client.instruct({ ...instruction, amount: 9_000n });
    assert.equal(changed.kind, "rejected");
    assert.equal(changed.kind === "rejected" && changed.reject.reason, "MISMATCH");
    assert.equal(await balance(customer.number), 9_000n);
  });

  test("two identical debits at once book once", async () => {
    const customer = await f.customer(10_000n);
    const instruction = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 4_000n });
    const results = await Promise.all([f.client.instruct(instruction), f.client.instruct(instruction), f.client.instruct(instruction)]);
    const references = new Set(results.map((r) => answer(r).bankReference));
    assert.equal(references.size, 1);
    assert.equal(await balance(customer.number), 6_000n);
  });

  test("refusals are recorded with ISO reason codes: AM04, MD01, AC01, AC04, AM05", async () => {
    const customer = await f.customer(1_000n);
    const poor = answer(await f.client.instruct(f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 5_000n })));
    assert.deepEqual([poor.status, poor.reason], ["RJCT", "AM04"]);
    const noMandate = answer(await f.client.instruct(f.instruction("debit", { account: customer.number, mandateId: "MDFORGED", amount: 10n })));
    assert.deepEqual([noMandate.status, noMandate.reason], ["RJCT", "MD01"]);
    const unknown = answer(await f.client.instruct(f.instruction("credit", { account: "RB0000000000", amount: 10n })));
    assert.deepEqual([unknown.status, unknown.reason], ["RJCT", "AC01"]);
    const e2e = newId("E");
    answer(await f.client.instruct(f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 10n, endToEndId: e2e })));
    const twin = answer(await f.client.instruct(f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 10n, endToEndId: e2e })));
    assert.deepEqual([twin.status, twin.reason], ["RJCT", "AM05"]);
    const closed = await f.customer(500n);
    await f.bank.books.closeAccount(closed.number);
    const toClosed = answer(await f.client.instruct(f.instruction("credit", { account: closed.number, amount: 10n })));
    assert.deepEqual([toClosed.status, toClosed.reason], ["RJCT", "AC04"]);
    assert.equal(await balance(customer.number), 990n);
    await assertBalanced();
  });

  test("a credit needs money in the client's settlement account", async () => {
    const customer = await f.customer(0n);
    const available = await settlement();
    const tooMuch = answer(await f.client.instruct(f.instruction("credit", { account: customer.number, amount: available + 1n })));
    assert.deepEqual([tooMuch.status, tooMuch.reason], ["RJCT", "AM04"]);
    const paid = answer(await f.client.instruct(f.instruction("credit", { account: customer.number, amount: 700n })));
    assert.equal(paid.status, "ACSC");
    assert.equal(await balance(customer.number), 700n);
    assert.equal(await settlement(), available - 700n);
  });
});

describe("status requests (pacs.028)", () => {
  test("answer the recorded outcome of an earlier message, and NTFD for one the bank never saw", async () => {
    const customer = await f.customer(5_000n);
    const booked = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 100n });
    const bookedAnswer = answer(await f.client.instruct(booked));
    const status = answer(await f.client.status({ header: f.client.header(newId()), originalMsgId: booked.header.msgId, originalEndToEndId: booked.endToEndId }));
    assert.deepEqual([status.status, status.bankReference, status.originalMessageName, status.amount], ["ACSC", bookedAnswer.bankReference, "pain.008", 100n]);
    const refused = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 999_999n });
    answer(await f.client.instruct(refused));
    const refusedStatus = answer(await f.client.status({ header: f.client.header(newId()), originalMsgId: refused.header.msgId, originalEndToEndId: refused.endToEndId }));
    assert.deepEqual([refusedStatus.status, refusedStatus.reason], ["RJCT", "AM04"]);
    const never = answer(await f.client.status({ header: f.client.header(newId()), originalMsgId: newId(), originalEndToEndId: newId("E") }));
    assert.equal(never.status, "NTFD");
  });
});

describe("reversals (pacs.007)", () => {
  test("a booked debit is reversed once; the money goes back", async () => {
    const customer = await f.customer(5_000n);
    const debit = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 1_200n });
    answer(await f.client.instruct(debit));
    const reversal = { header: f.client.header(newId("R")), originalMsgId: debit.header.msgId, originalEndToEndId: debit.endToEndId, amount: 1_200n, currency: "KES", reason: "MS03" };
    const reversed = answer(await f.client.reverse(reversal));
    assert.deepEqual([reversed.status, reversed.reversal], ["ACSC", "RVSD"]);
    assert.equal(await balance(customer.number), 5_000n);
    const again = answer(await f.client.reverse(reversal));
    assert.deepEqual([again.status, again.reversal, again.bankReference], ["ACSC", "RVSD", reversed.bankReference]);
    const second = answer(await f.client.reverse({ ...reversal, header: f.client.header(newId("R")) }));
    assert.deepEqual([second.status, second.reversal], ["ACSC", "RVSD"], "a second reversal of the same original changes nothing");
    assert.equal(await balance(customer.number), 5_000n);
    await assertBalanced();
  });

  test("reversing a message the bank never saw fences it: when it arrives late it is rejected (CNCL) and books nothing", async () => {
    const customer = await f.customer(5_000n);
    const late = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 300n });
    const fenced = answer(await f.client.reverse({ header: f.client.header(newId("R")), originalMsgId: late.header.msgId, originalEndToEndId: late.endToEndId, amount: 300n, currency: "KES", reason: "MS03" }));
    assert.deepEqual([fenced.status, fenced.reversal], ["ACSC", "CNCL"]);
    const arrived = answer(await f.client.instruct(late));
    assert.deepEqual([arrived.status, arrived.reason], ["RJCT", "CNCL"]);
    assert.equal(await balance(customer.number), 5_000n);
    const status = answer(await f.client.status({ header: f.client.header(newId()), originalMsgId: late.header.msgId, originalEndToEndId: late.endToEndId }));
    assert.deepEqual([status.status, status.reason], ["RJCT", "CNCL"]);
  });

  test("reversing a rejected original answers ORJT; a reversal that cannot be paid is refused and the original stands", async () => {
    const customer = await f.customer(100n);
    const refused = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 5_000n });
    answer(await f.client.instruct(refused));
    const nothing = answer(await f.client.reverse({ header: f.client.header(newId("R")), originalMsgId: refused.header.msgId, originalEndToEndId: refused.endToEndId, amount: 5_000n, currency: "KES", reason: "MS03" }));
    assert.deepEqual([nothing.status, nothing.reversal], ["ACSC", "ORJT"]);
    // A credit the customer already spent cannot be pulled back.
    const credit = f.instruction("credit", { account: customer.number, amount: 50n });
    answer(await f.client.instruct(credit));
    const spend = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 150n });
    assert.equal(answer(await f.client.instruct(spend)).status, "ACSC");
    const refusedReversal = answer(await f.client.reverse({ header: f.client.header(newId("R")), originalMsgId: credit.header.msgId, originalEndToEndId: credit.endToEndId, amount: 50n, currency: "KES", reason: "MS03" }));
    assert.deepEqual([refusedReversal.status, refusedReversal.reason], ["RJCT", "AM04"]);
    const wrongAmount = answer(await f.client.reverse({ header: f.client.header(newId("R")), originalMsgId: credit.header.msgId, originalEndToEndId: credit.endToEndId, amount: 51n, currency: "KES", reason: "MS03" }));
    assert.deepEqual([wrongAmount.status, wrongAmount.reason], ["RJCT", "AM09"]);
    await assertBalanced();
  });
});

describe("statements (camt.053)", () => {
  test("pages of the settlement account's entries carry the references of each instruction, and balances that add up", async () => {
    const customer = await f.customer(50_000n);
    const sent: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      const instruction = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: BigInt(100 + i) });
      answer(await f.client.instruct(instruction));
      sent.push(instruction.header.msgId);
    }
    const seen: string[] = [];
    let after = 0n;
    let closing: bigint | undefined;
    for (let pages = 0; pages < 1_000; pages += 1) {
      const page = answer(await f.client.statement({ header: f.client.header(newId("S")), currency: "KES", afterEntry: after, entriesMax: 3 }));
      assert.equal(page.accountNumber, "STOBOLKES");
      if (closing !== undefined) assert.equal(page.openingBalance, closing, "a page opens where the previous one closed");
      closing = page.closingBalance;
      for (const entry of page.entries) if (entry.msgId !== undefined) seen.push(entry.msgId);
      if (page.entries.length > 0) after = page.entries.at(-1)!.entryRef;
      if (page.lastPage) break;
    }
    for (const msgId of sent) assert.ok(seen.includes(msgId), `entry of ${msgId} in the statement`);
    assert.equal(closing, await settlement());
  });
});

describe("account links (acmt.023/024)", () => {
  test("by MSISDN: the bank sends the holder a code; a wrong code costs an attempt, the right one activates a mandate", async () => {
    const account = await f.bank.books.openAccount({ currency: "KES", holderName: "Brian Kamau", msisdn: "+254711000001" });
    const linkId = newId("L");
    const pending = answer(await f.client.link({ header: f.client.header(newId()), linkId, currency: "KES", accountNumber: account.number, msisdn: "+254711000001" }));
    assert.deepEqual([pending.status, pending.attemptsLeft], ["PDNG", 5]);
    const code = /is ([0-9]{6})\./.exec((await f.bank.books.customerMessages(account.number))[0]!.body)![1]!;
    const wrong = answer(await f.client.confirmLink({ header: f.client.header(newId()), linkId, code: code === "000000" ? "000001" : "000000" }));
    assert.deepEqual([wrong.status, wrong.reason, wrong.attemptsLeft], ["RJCT", "CDWR", 4]);
    const active = answer(await f.client.confirmLink({ header: f.client.header(newId()), linkId, code }));
    assert.equal(active.status, "ACTV");
    assert.equal(active.holderName, "Brian Kamau");
    assert.match(active.mandateId!, /^MD[0-9A-F]{24}$/);
  });

  test("a wrong MSISDN or an unknown account gets the same refusal (NVRF) and no code is sent", async () => {
    const account = await f.bank.books.openAccount({ currency: "KES", holderName: "Chao Li", msisdn: "+254711000002" });
    const wrongHolder = answer(await f.client.link({ header: f.client.header(newId()), linkId: newId("L"), currency: "KES", accountNumber: account.number, msisdn: "+254711999999" }));
    const noAccount = answer(await f.client.link({ header: f.client.header(newId()), linkId: newId("L"), currency: "KES", accountNumber: "RB9999999999", msisdn: "+254711000002" }));
    assert.deepEqual([wrongHolder.status, wrongHolder.reason], ["RJCT", "NVRF"]);
    assert.deepEqual([noAccount.status, noAccount.reason], ["RJCT", "NVRF"]);
    assert.deepEqual(await f.bank.books.customerMessages(account.number), []);
  });

  test("five wrong codes lock the link (CDLK); by name, a merchant account links at once for credits only", async () => {
    const account = await f.bank.books.openAccount({ currency: "KES", holderName: "Demo Coffee Ltd", msisdn: "+254711000003" });
    const linkId = newId("L");
    answer(await f.client.link({ header: f.client.header(newId()), linkId, currency: "KES", accountNumber: account.number, msisdn: "+254711000003" }));
    const code = /is ([0-9]{6})\./.exec((await f.bank.books.customerMessages(account.number))[0]!.body)![1]!;
    const wrongCode = code === "111111" ? "222222" : "111111";
    let last;
    for (let i = 0; i < 5; i += 1) last = answer(await f.client.confirmLink({ header: f.client.header(newId()), linkId, code: wrongCode }));
    assert.deepEqual([last!.status, last!.reason], ["RJCT", "CDLK"]);
    const late = answer(await f.client.confirmLink({ header: f.client.header(newId()), linkId, code }));
    assert.deepEqual([late.status, late.reason], ["RJCT", "CDLK"], "the right code after the lock changes nothing");
    const byName = answer(await f.client.link({ header: f.client.header(newId()), linkId: newId("L"), currency: "KES", accountNumber: account.number, holderName: "demo  COFFEE ltd" }));
    assert.deepEqual([byName.status, byName.mandateId, byName.holderName], ["ACTV", undefined, "Demo Coffee Ltd"]);
  });
});
