// Settlement and reconciliation on an in-memory platform and reference bank. Payments are posted
// straight through the ledger service (codes 10, 11, 12) with a real bank debit behind each capture,
// as the payments module will. Batches pay each merchant once per period, with a report by ledger
// code; reconciliation reports zero mismatches on a clean run, and finds each planted one.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { bankUserData } from "../../src/modules/banking/operations.js";
import type { ReconciliationReport } from "../../src/modules/banking/service.js";
import { ledgerCodes } from "../../src/modules/ledger-codes.js";
import { merchantBalanceKind } from "../../src/modules/parties/service.js";
import { openBanked, type Banked } from "../banking/support.js";

let h: Banked;
let merchantAccount: string;
let merchantBalance: string;
let revenue: string;
let clearing: string;
let payer: { id: string; msisdn: string; token: string; wallet: string };

before(async () => {
  h = await openBanked();
  const ledger = h.platform.services.ledger;
  merchantBalance = (await ledger.accountsOf("merchant", h.demo.merchant.id)).find((a) => a.kind === merchantBalanceKind)!.id;
  revenue = (await ledger.platformAccount("platform_revenue", h.currency, randomUUID)).id;
  clearing = (await ledger.platformAccount("bank_clearing", h.currency, randomUUID)).id;
  const user = await h.newUser();
  await h.linkAccount(user.token, user.msisdn, 10_000_000n);
  payer = { ...user, wallet: (await h.platform.services.wallet.balances(user.id))[0]!.accountId };
  merchantAccount = (await h.bank.books.openAccount({ currency: h.currency, holderName: h.demo.merchant.legalName })).number;
});
after(async () => { await h.stop(); });

/** A payment as the payments module will post it: the bank debits the payer, then capture and fee in the ledger. */
async function payment(amount: bigint, fee: bigint): Promise<string> {
  const debit = await h.platform.services.banking.debitUser({ operationId: randomUUID(), userId: payer.id, currency: h.currency, amount, purpose: "payment" });
  assert.equal(debit.status, "applied");
  const reference = (debit as { bankReference: string }).bankReference;
  const capture = { id: randomUUID(), kind: "posted" as const, debitAccountId: clearing, creditAccountId: merchantBalance, amount, code: ledgerCodes.paymentCapture, userData: bankUserData(reference) };
  const results = await h.platform.services.ledger.submit(fee === 0n ? [capture] : [
    { ...capture, linked: true },
    { id: randomUUID(), kind: "posted", debitAccountId: merchantBalance, creditAccountId: revenue, amount: fee, code: ledgerCodes.paymentFee },
  ]);
  assert.ok(results.every((r) => r === "ok"), results.join());
  return reference;
}

async function refund(amount: bigint): Promise<void> {
  const [result] = await h.platform.services.ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: merchantBalance, creditAccountId: payer.wallet, amount, code: ledgerCodes.refund }]);
  assert.equal(result, "ok");
}

async function adminToken(): Promise<string> {
  const reply = await h.call("POST", "/v1/admin/login", { json: h.demo.operator });
  return reply.body.token as string;
}

async function reconciliation(): Promise<ReconciliationReport> {
  const reply = await h.call("GET", `/v1/admin/bank/reconciliation?currency=${h.currency}`, { token: await adminToken() });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

/** Periods after the one the admin run settled (the last ended day), one second each, in order. */
let periodEnd = 0;
async function settleNextPeriod() {
  periodEnd += 1_000;
  const merchant = (await h.platform.services.parties.merchantById(h.demo.merchant.id))!;
  return (await h.platform.services.settlement.settle(merchant, h.currency, { start: periodEnd - 1_000, end: periodEnd }))!;
}

describe("settlement", () => {
  test("the merchant links its account by name; a name that does not match is refused", async () => {
    const wrong = await h.bank.books.openAccount({ currency: h.currency, holderName: "Someone Else Ltd" });
    const refused = await h.call("POST", "/v1/merchant/bank-accounts", { token: h.demo.merchant.apiKey, json: { accountNumber: wrong.number, currency: h.currency } });
    assert.equal(refused.body.error.code, "ERR_BANK_ACCOUNT_NOT_VERIFIED");
    const linked = await h.call("POST", "/v1/merchant/bank-accounts", { token: h.demo.merchant.apiKey, json: { accountNumber: merchantAccount, currency: h.currency } });
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    assert.equal(linked.body.status, "active");
  });

  test("a batch pays the merchant balance (captures − fees − refunds) once per period, with a report by ledger code", async () => {
    await payment(10_000n, 250n);
    await payment(5_000n, 125n);
    await refund(1_000n);
    const token = await adminToken();
    const run = await h.call("POST", "/v1/admin/settlements/run", { token });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    const batch = run.body.settlements.find((s: { merchantId: string }) => s.merchantId === h.demo.merchant.id);
    assert.equal(batch.state, "paid", JSON.stringify(batch));
    periodEnd = Date.parse(batch.period.end);
    assert.equal(batch.payout, String(10_000 + 5_000 - 250 - 125 - 1_000));
    assert.deepEqual(batch.breakdown.map((l: { code: number; net: string; count: number }) => [l.code, l.net, l.count]), [[10, "15000", 2], [11, "-375", 2], [12, "-1000", 1]]);
    assert.equal(await h.bankBalance(merchantAccount), 13_625n);
    assert.equal((await h.platform.services.ledger.account(merchantBalance))!.creditsPosted - (await h.platform.services.ledger.account(merchantBalance))!.debitsPosted, 0n);
    // The same period again: the same batch, nothing paid twice.
    const again = await h.call("POST", "/v1/admin/settlements/run", { token });
    assert.ok(again.body.settlements.every((s: { batchId: string; merchantId: string }) => s.merchantId !== h.demo.merchant.id || s.batchId === batch.batchId));
    assert.equal(await h.bankBalance(merchantAccount), 13_625n);

    const csvResponse = await h.platform.app.inject({ method: "GET", url: `/v1/merchant/settlements/${batch.batchId}/report?format=csv`, headers: { authorization: `Bearer ${h.demo.merchant.apiKey}` } });
    assert.equal(csvResponse.statusCode, 200);
    assert.match(String(csvResponse.headers["content-type"]), /^text\/csv/);
    const rows = csvResponse.body.trim().split("\r\n").map((r) => r.split(","));
    assert.deepEqual(rows[0]!.slice(5, 12), ["line", "code", "name", "count", "credits", "debits", "amount"]);
    assert.deepEqual(rows.slice(1).map((r) => [r[5], r[6], r[11]]), [
      ["opening", "", "0"], ["movement", "10", "15000"], ["movement", "11", "-375"], ["movement", "12", "-1000"], ["closing", "", "13625"], ["held", "", "0"], ["payout", "", "13625"],
    ]);
    const other = await h.call("POST", "/v1/merchants", { json: { legalName: "Other Shop", category: "5411" } });
    const foreign = await h.call("GET", `/v1/merchant/settlements/${batch.batchId}/report`, { token: other.body.apiKey });
    assert.equal(foreign.status, 404, "a merchant sees only its own reports");
  });

  test("the next period's batch starts where the last one ended and shows its payout (code 20)", async () => {
    await payment(2_000n, 50n);
    const batch = await settleNextPeriod();
    assert.equal(batch.state, "paid");
    assert.equal(batch.openingBalance, 13_625n);
    assert.deepEqual(batch.breakdown.map((l) => [l.code, l.credits - l.debits]), [[10, 2_000n], [11, -50n], [20, -13_625n]]);
    assert.equal(batch.amount, 1_950n);
    assert.equal(await h.bankBalance(merchantAccount), 15_575n);
  });

  test("a payout the bank declines fails the batch and releases the hold; the next batch pays it", async () => {
    await payment(3_000n, 0n);
    h.bank.faults.set([{ fault: "decline", kinds: ["credit"], count: 1, reason: "AC04" }]);
    const failed = await settleNextPeriod();
    assert.deepEqual([failed.state, failed.reason], ["failed", "AC04"]);
    const held = await h.platform.services.ledger.account(merchantBalance);
    assert.equal(held!.debitsPending, 0n);
    const paid = await settleNextPeriod();
    assert.deepEqual([paid.state, paid.amount], ["paid", 3_000n]);
    assert.equal(await h.bankBalance(merchantAccount), 18_575n);
  });
});

describe("reconciliation", () => {
  test("a clean history reports zero mismatches: top-ups, withdrawals, payments, a reversed debit, settlements", async () => {
    assert.equal((await h.call("POST", "/v1/me/top-ups", { token: payer.token, idem: randomUUID(), json: { amount: "9000", currency: h.currency } })).status, 201);
    assert.equal((await h.call("POST", "/v1/me/withdrawals", { token: payer.token, idem: randomUUID(), json: { amount: "4000", currency: h.currency } })).status, 201);
    const reversedId = randomUUID();
    assert.equal((await h.platform.services.banking.debitUser({ operationId: reversedId, userId: payer.id, currency: h.currency, amount: 700n, purpose: "payment" })).status, "applied");
    assert.equal((await h.platform.services.banking.reverse(reversedId)).status, "reversed");
    const report = await reconciliation();
    assert.deepEqual(report.mismatches, []);
    assert.equal(report.offsetting, 2, "the reversed debit's two bank entries cancel out");
    assert.ok(report.matched >= 10, `matched ${report.matched}`);
    assert.equal(report.ledgerBalance, report.bankBalance);
  });

  test("each planted mismatch is reported", async () => {
    const ledger = h.platform.services.ledger;
    // missing at the bank: a clearing movement claiming a booking the bank never made.
    await ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: clearing, creditAccountId: merchantBalance, amount: 111n, code: ledgerCodes.paymentCapture, userData: bankUserData("RB99999999999999") }]);
    // missing in the ledger: the bank debited a payer, nobody posted the capture.
    const unposted = await h.platform.services.banking.debitUser({ operationId: randomUUID(), userId: payer.id, currency: h.currency, amount: 222n, purpose: "payment" });
    // amount differs: a capture posted for another amount than the bank debited.
    const short = await h.platform.services.banking.debitUser({ operationId: randomUUID(), userId: payer.id, currency: h.currency, amount: 333n, purpose: "payment" });
    const shortRef = (short as { bankReference: string }).bankReference;
    await ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: clearing, creditAccountId: merchantBalance, amount: 330n, code: ledgerCodes.paymentCapture, userData: bankUserData(shortRef) }]);
    // duplicate in the ledger: one bank debit captured twice.
    const twice = await h.platform.services.banking.debitUser({ operationId: randomUUID(), userId: payer.id, currency: h.currency, amount: 444n, purpose: "payment" });
    const twiceRef = (twice as { bankReference: string }).bankReference;
    for (let i = 0; i < 2; i += 1) {
      await ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: clearing, creditAccountId: merchantBalance, amount: 444n, code: ledgerCodes.paymentCapture, userData: bankUserData(twiceRef) }]);
    }
    // duplicate at the bank: an entry booked twice on the settlement account (planted in the bank's own books).
    const doubled = await h.platform.services.banking.debitUser({ operationId: randomUUID(), userId: payer.id, currency: h.currency, amount: 555n, purpose: "payment" });
    const doubledRef = (doubled as { bankReference: string }).bankReference;
    await ledger.submit([{ id: randomUUID(), kind: "posted", debitAccountId: clearing, creditAccountId: merchantBalance, amount: 555n, code: ledgerCodes.paymentCapture, userData: bankUserData(doubledRef) }]);
    const settlement = await h.bank.books.settlementAccount("obol", h.currency);
    // (the funding account exists: the demo accounts were funded from it)
    await h.bank.db.transaction(async (tx) => {
      const [row] = await tx.query<{ id: bigint }>("SELECT id FROM bank_transactions WHERE reference = $1", [doubledRef]);
      await tx.query("INSERT INTO bank_entries (transaction_id, account, amount, booked_at) VALUES ($1, $2, 555, now()), ($1, $3, -555, now())", [row!.id.toString(), settlement.number, `FUNDING${h.currency}`]);
    });
    const report = await reconciliation();
    const found = report.mismatches.map((m) => `${m.kind}:${m.reference}`).sort();
    assert.deepEqual(found, [
      `amount_differs:${shortRef}`, `duplicate_at_bank:${doubledRef}`, `duplicate_in_ledger:${twiceRef}`, "missing_at_bank:RB99999999999999",
      `missing_in_ledger:${(unposted as { bankReference: string }).bankReference}`,
    ].sort());
  });
});
