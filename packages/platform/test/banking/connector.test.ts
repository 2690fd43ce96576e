// The bank connector on an in-memory platform and an in-memory reference bank: account links, top-ups
// and withdrawals through the bank under every fault switch, recovery by the sweeper, reversals after
// the resend window, and the API other modules call. In every case: one final state, at most one
// debit at the bank, and bank and ledger agree.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import type { FaultRule } from "@obol/bank";
import { openBanked, type Banked } from "./support.js";

let h: Banked;
before(async () => { h = await openBanked({ OBOL_BANK_RESEND_WINDOW_MS: "600000" }); });
after(async () => { await h.stop(); });

function faults(rules: FaultRule[]): void {
  h.bank.faults.set(rules);
}

/** A user with a linked bank account holding `opening`. */
async function customer(opening = 1_000_000n) {
  const user = await h.newUser();
  const account = await h.linkAccount(user.token, user.msisdn, opening);
  return { ...user, account: account.number };
}

async function topUp(token: string, amount: string, idem = randomUUID()) {
  return h.call("POST", "/v1/me/top-ups", { token, idem, json: { amount, currency: h.currency } });
}

async function withdraw(token: string, amount: string, idem = randomUUID()) {
  return h.call("POST", "/v1/me/withdrawals", { token, idem, json: { amount, currency: h.currency } });
}


describe("account links", () => {
  test("a link needs the bank's code; a wrong code is refused, a stranger's MSISDN is not verified", async () => {
    const user = await h.newUser();
    const account = await h.bank.books.openAccount({ currency: h.currency, holderName: "Test", msisdn: user.msisdn });
    const started = await h.call("POST", "/v1/me/bank-accounts", { token: user.token, json: { accountNumber: account.number, currency: h.currency } });
    assert.equal(started.status, 201);
    assert.equal(started.body.status, "awaiting_code");
    assert.match(started.body.accountMasked, /•+[0-9A-Z]{4}$/);
    assert.ok(!JSON.stringify(started.body).includes(account.number), "the full account number is never echoed");
    const code = /is ([0-9]{6})\./.exec((await h.bank.books.customerMessages(account.number))[0]!.body)![1]!;
    const wrong = await h.call("POST", `/v1/me/bank-accounts/${started.body.linkId}/confirm`, { token: user.token, json: { code: code === "000000" ? "000001" : "000000" } });
    assert.equal(wrong.body.error.code, "ERR_BANK_LINK_CODE_WRONG");
    const other = await h.newUser();
    const notYours = await h.call("POST", `/v1/me/bank-accounts/${started.body.linkId}/confirm`, { token: other.token, json: { code } });
    assert.equal(notYours.body.error.code, "ERR_NOT_FOUND", "another user cannot confirm my link");
    const right = await h.call("POST", `/v1/me/bank-accounts/${started.body.linkId}/confirm`, { token: user.token, json: { code } });
    assert.equal(right.status, 200);
    assert.equal(right.body.status, "active");
    const stranger = await h.call("POST", "/v1/me/bank-accounts", { token: other.token, json: { accountNumber: account.number, currency: h.currency } });
    assert.equal(stranger.body.error.code, "ERR_BANK_ACCOUNT_NOT_VERIFIED", "someone else's account does not verify against my MSISDN");
  });

  test("without a linked account a top-up is refused and nothing is sent", async () => {
    const user = await h.newUser();
    const refused = await topUp(user.token, "100");
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, "ERR_BANK_ACCOUNT_NOT_LINKED");
  });

  test("at most five link attempts an hour", async () => {
    const user = await h.newUser();
    const codes: string[] = [];
    for (let i = 0; i < 6; i += 1) {
      const attempt = await h.call("POST", "/v1/me/bank-accounts", { token: user.token, json: { accountNumber: "RB9999999999", currency: h.currency } });
      codes.push(attempt.body.error?.code);
    }
    assert.deepEqual(codes, [...Array(5).fill("ERR_BANK_ACCOUNT_NOT_VERIFIED"), "ERR_BANK_LINK_LIMIT"]);
  });
});

describe("top-up and withdrawal through the bank", () => {
  test("a top-up debits the bank account once and credits the wallet; a replay changes nothing", async () => {
    const c = await customer();
    const settlement = await h.settlementBalance();
    const idem = randomUUID();
    const first = await topUp(c.token, "25000", idem);
    assert.equal(first.status, 201, JSON.stringify(first.body));
    assert.equal(first.body.status, "completed");
    assert.match(first.body.bankReference, /^RB/);
    const again = await topUp(c.token, "25000", idem);
    assert.deepEqual(again.body, first.body);
    assert.equal(await h.bankBalance(c.account), 975_000n);
    assert.equal((await h.walletOf(c.id)).posted, 25_000n);
    assert.equal(await h.settlementBalance(), settlement + 25_000n);
    const history = await h.call("GET", "/v1/me/history", { token: c.token });
    assert.equal(history.body.entries[0].kind, "top_up");
  });

  test("a withdrawal holds the amount, the bank pays it out, the hold is posted", async () => {
    const c = await customer();
    assert.equal((await topUp(c.token, "40000")).status, 201);
    const out = await withdraw(c.token, "15000");
    assert.equal(out.status, 201, JSON.stringify(out.body));
    assert.equal(await h.bankBalance(c.account), 1_000_000n - 40_000n + 15_000n);
    assert.deepEqual(await h.walletOf(c.id), { posted: 25_000n, held: 0n });
  });

  test("a withdrawal above the wallet is refused before anything reaches the bank", async () => {
    const c = await customer();
    const refused = await withdraw(c.token, "1");
    assert.equal(refused.body.error.code, "ERR_INSUFFICIENT_FUNDS");
    assert.deepEqual((await h.bank.books.entries(c.account)).map((e) => e.kind), ["funding"], "only the funding entry: no credit was sent");
  });

  test("the bank declines a top-up the account cannot cover: 422, nothing moved", async () => {
    const c = await customer(1_000n);
    const refused = await topUp(c.token, "5000");
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.code, "ERR_BANK_DECLINED");
    assert.equal(refused.body.error.details.reason, "AM04");
    assert.equal(await h.bankBalance(c.account), 1_000n);
    assert.equal((await h.walletOf(c.id)).posted, 0n);
  });
});

describe("faults", () => {
  test("decline: a declined withdrawal releases its hold", async () => {
    const c = await customer();
    await topUp(c.token, "10000");
    faults([{ fault: "decline", kinds: ["credit"], count: 1, reason: "AC04" }]);
    const refused = await withdraw(c.token, "3000");
    assert.equal(refused.status, 422);
    assert.equal(refused.body.error.details.reason, "AC04");
    assert.deepEqual(await h.walletOf(c.id), { posted: 10_000n, held: 0n });
  });

  test("applied_response_lost: the status request finds the booking; one debit, wallet credited once", async () => {
    const c = await customer();
    faults([{ fault: "applied_response_lost", kinds: ["debit"], count: 1 }]);
    const done = await topUp(c.token, "7000");
    assert.equal(done.status, 201, JSON.stringify(done.body));
    assert.equal(await h.bankBalance(c.account), 993_000n);
    assert.equal((await h.walletOf(c.id)).posted, 7_000n);
  });

  test("down: 202 pending; once the bank is back the sweeper completes it, once", async () => {
    const c = await customer();
    faults([{ fault: "down" }]);
    const idem = randomUUID();
    const pending = await topUp(c.token, "6000", idem);
    assert.equal(pending.status, 202, JSON.stringify(pending.body));
    assert.equal(pending.body.status, "pending");
    assert.equal((await h.walletOf(c.id)).posted, 0n);
    faults([]);
    assert.equal(await h.settle(pending.body.operationId), "completed");
    const status = await h.call("GET", `/v1/me/bank-operations/${pending.body.operationId}`, { token: c.token });
    assert.equal(status.body.status, "completed");
    assert.equal(await h.bankBalance(c.account), 994_000n);
    assert.equal((await h.walletOf(c.id)).posted, 6_000n);
    const replay = await topUp(c.token, "6000", idem);
    assert.equal(replay.status, 202, "the stored answer is replayed; the operation resource has the outcome");
  });

  test("slow: the bank books after the platform gave up waiting; the sweeper finds it booked, no second debit", async () => {
    const c = await customer();
    faults([{ fault: "slow", kinds: ["debit"], count: 1, delayMs: 1_500 }]);
    const pending = await topUp(c.token, "8000");
    assert.equal(pending.status, 202, JSON.stringify(pending.body));
    assert.equal(await h.settle(pending.body.operationId), "completed");
    assert.equal((await h.call("GET", `/v1/me/bank-operations/${pending.body.operationId}`, { token: c.token })).body.status, "completed");
    assert.equal(await h.bankBalance(c.account), 992_000n, "the slow original and the resend booked once");
    assert.equal((await h.walletOf(c.id)).posted, 8_000n);
  });

  test("withdrawal under applied_response_lost and down: paid out once, hold posted once", async () => {
    const c = await customer();
    await topUp(c.token, "20000");
    faults([{ fault: "applied_response_lost", kinds: ["credit"], count: 1 }, { fault: "down", kinds: ["status"], count: 1 }]);
    const pending = await withdraw(c.token, "5000");
    assert.equal(pending.status, 202, JSON.stringify(pending.body));
    assert.deepEqual(await h.walletOf(c.id), { posted: 20_000n, held: 5_000n }, "held while the outcome is unknown");
    assert.equal(await h.settle(pending.body.operationId), "completed");
    assert.deepEqual(await h.walletOf(c.id), { posted: 15_000n, held: 0n });
    assert.equal(await h.bankBalance(c.account), 1_000_000n - 20_000n + 5_000n);
  });
});

describe("the resend window", () => {
  let short: Banked;
  before(async () => { short = await openBanked({ OBOL_BANK_RESEND_WINDOW_MS: "0" }); });
  after(async () => { await short.stop(); });

  test("an operation the bank never answered is cancelled by a reversal: the bank fences it, the withdrawal hold is released", async () => {
    {
      const user = await short.newUser();
      await short.linkAccount(user.token, user.msisdn);
      assert.equal((await short.call("POST", "/v1/me/top-ups", { token: user.token, idem: randomUUID(), json: { amount: "9000", currency: short.currency } })).status, 201);
      short.bank.faults.set([{ fault: "down", kinds: ["credit", "status"] }]);
      const pending = await short.call("POST", "/v1/me/withdrawals", { token: user.token, idem: randomUUID(), json: { amount: "4000", currency: short.currency } });
      assert.equal(pending.status, 202);
      assert.equal(await short.settle(pending.body.operationId), "reversed");
      const op = await short.platform.services.banking.operation(pending.body.operationId);
      assert.equal(op!.reversalResult, "CNCL");
      assert.deepEqual(await short.walletOf(user.id), { posted: 9_000n, held: 0n });
      short.bank.faults.set([]);
      const late = await short.bank.books.status("obol", op!.msgId);
      assert.deepEqual([late?.status, late?.reason], ["RJCT", "CNCL"], "if the original ever arrives it is refused");
    }
  });

  test("an operation the bank booked but never confirmed is reversed: the money goes back, the wallet is never credited", async () => {
    {
      const user = await short.newUser();
      const { number } = await short.linkAccount(user.token, user.msisdn, 50_000n);
      short.bank.faults.set([{ fault: "applied_response_lost", kinds: ["debit"], count: 1 }, { fault: "down", kinds: ["status"] }]);
      const pending = await short.call("POST", "/v1/me/top-ups", { token: user.token, idem: randomUUID(), json: { amount: "12000", currency: short.currency } });
      assert.equal(pending.status, 202);
      assert.equal(await short.bankBalance(number), 38_000n, "booked at the bank");
      assert.equal(await short.settle(pending.body.operationId), "reversed");
      const op = await short.platform.services.banking.operation(pending.body.operationId);
      assert.deepEqual([op!.state, op!.reversalResult], ["reversed", "RVSD"]);
      assert.equal(await short.bankBalance(number), 50_000n, "and back");
      assert.equal((await short.walletOf(user.id)).posted, 0n);
      short.bank.faults.set([]);
    }
  });
});

describe("the API of other modules", () => {
  test("debitUser is idempotent by operation id; reverse gives the money back", async () => {
    const c = await customer();
    const banking = h.platform.services.banking;
    const request = { operationId: randomUUID(), userId: c.id, currency: h.currency, amount: 3_300n, purpose: "payment" };
    const seen: string[] = [];
    banking.onOutcome("payment", async (op) => { if (op.id === request.operationId) seen.push(op.state); });
    const applied = await banking.debitUser(request);
    assert.equal(applied.status, "applied");
    assert.deepEqual(await banking.debitUser(request), applied);
    assert.equal(await h.bankBalance(c.account), 996_700n);
    await assert.rejects(banking.debitUser({ ...request, amount: 1n }), /other parameters/);
    const reversed = await banking.reverse(request.operationId);
    assert.equal(reversed.status, "reversed");
    assert.equal(await h.bankBalance(c.account), 1_000_000n);
    assert.deepEqual(seen, ["applied", "reversed"]);
    assert.deepEqual(await banking.debitUser(request), reversed, "the same id later answers the final state");
  });

  test("creditUser pays into the linked account; an unlinked user is declined without an operation", async () => {
    const c = await customer(0n);
    const banking = h.platform.services.banking;
    const paid = await banking.creditUser({ operationId: randomUUID(), userId: c.id, currency: h.currency, amount: 500n, purpose: "refund" });
    assert.equal(paid.status, "applied");
    assert.equal(await h.bankBalance(c.account), 500n);
    const nobody = await h.newUser();
    const refused = await banking.creditUser({ operationId: randomUUID(), userId: nobody.id, currency: h.currency, amount: 500n, purpose: "refund" });
    assert.deepEqual(refused, { status: "declined", reason: "ERR_BANK_ACCOUNT_NOT_LINKED" });
    const linked = await banking.linkedAccount(c.id, h.currency);
    assert.deepEqual([linked?.canDebit, linked?.currency, linked?.accountMasked.slice(-4)], [true, h.currency, c.account.slice(-4)]);
  });

  test("free text from callers is made fit for the bank: control characters go, length is cut by code point", async () => {
    const c = await customer();
    const remittance = `Order\t#7\n${"😀".repeat(200)}`;
    const applied = await h.platform.services.banking.debitUser({ operationId: randomUUID(), userId: c.id, currency: h.currency, amount: 10n, purpose: "payment", remittance });
    assert.equal(applied.status, "applied");
    const [entry] = (await h.bank.books.entries(c.account)).slice(-1);
    assert.equal(entry!.amount, -10n);
  });

  test("two identical top-ups at once: one operation, one debit", async () => {
    const c = await customer();
    const idem = randomUUID();
    const answers = await Promise.all([topUp(c.token, "1000", idem), topUp(c.token, "1000", idem), topUp(c.token, "1000", idem)]);
    for (const a of answers) assert.ok(a.status === 201 || a.status === 202, JSON.stringify(a.body));
    assert.equal(await h.settle(answers[0]!.body.operationId), "completed");
    assert.equal(await h.bankBalance(c.account), 999_000n);
    assert.equal((await h.walletOf(c.id)).posted, 1_000n);
  });
});
