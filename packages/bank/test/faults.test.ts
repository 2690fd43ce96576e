// Each fault switch of the reference bank, over real HTTP on loopback, and the admin endpoint's guard.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { checkFaultRules, FaultRuleError, FaultSwitches, parseFaultsEnv } from "../src/faults.js";
import { httpTransport } from "../src/transport.js";
import type { BankClient } from "../src/client.js";
import { newId, openFixture, type BankFixture } from "./support/fixture.js";

let f: BankFixture;
let url: string;
let http: BankClient;
before(async () => {
  f = await openFixture();
  url = await f.bank.app.listen({ host: "127.0.0.1", port: 0 });
  http = f.clientWith(httpTransport(url), 1_000);
});
after(async () => { await f.stop(); });

async function setFaults(rules: unknown): Promise<Response> {
  return fetch(`${url}/admin/faults`, { method: "PUT", headers: { authorization: `Bearer ${f.adminToken}`, "content-type": "application/json" }, body: JSON.stringify(rules) });
}

async function statusOf(msgId: string, e2e: string) {
  const exchange = await f.client.status({ header: f.client.header(newId()), originalMsgId: msgId, originalEndToEndId: e2e });
  assert.equal(exchange.kind, "answer");
  return exchange.kind === "answer" ? exchange.value : undefined!;
}

describe("fault switches", () => {
  test("decline: the debit is rejected with the reason given, recorded, and a status request says so", async () => {
    const customer = await f.customer(5_000n);
    assert.equal((await setFaults([{ fault: "decline", kinds: ["debit"], count: 1, reason: "AM04" }])).status, 200);
    const debit = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 100n });
    const refused = await http.instruct(debit);
    assert.equal(refused.kind, "answer");
    assert.deepEqual(refused.kind === "answer" && [refused.value.status, refused.value.reason], ["RJCT", "AM04"]);
    assert.deepEqual([(await statusOf(debit.header.msgId, debit.endToEndId)).status], ["RJCT"]);
    assert.equal((await f.bank.books.account(customer.number))!.balance, 5_000n);
    // count 1: the next debit goes through.
    const next = await http.instruct(f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 100n }));
    assert.equal(next.kind === "answer" && next.value.status, "ACSC");
  });

  test("down: HTTP 503, nothing processed; the client cannot tell and says unknown", async () => {
    const customer = await f.customer(5_000n);
    await setFaults([{ fault: "down" }]);
    const debit = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 100n });
    const exchange = await http.instruct(debit);
    assert.equal(exchange.kind, "unknown");
    assert.match(exchange.kind === "unknown" ? exchange.reason : "", /HTTP 503/);
    await setFaults([]);
    assert.equal((await statusOf(debit.header.msgId, debit.endToEndId)).status, "NTFD");
    assert.equal((await f.bank.books.account(customer.number))!.balance, 5_000n);
  });

  test("slow: the bank waits past the client's timeout, then books; a status request finds it booked", async () => {
    const customer = await f.customer(5_000n);
    await setFaults([{ fault: "slow", kinds: ["debit"], count: 1, delayMs: 1_500 }]);
    const debit = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 250n });
    const exchange = await http.instruct(debit);
    assert.equal(exchange.kind, "unknown");
    assert.match(exchange.kind === "unknown" ? exchange.reason : "", /timeout/);
    // Before the delay is over the bank has not seen it; afterwards it has booked it.
    assert.equal((await statusOf(debit.header.msgId, debit.endToEndId)).status, "NTFD");
    for (let i = 0; i < 100 && (await statusOf(debit.header.msgId, debit.endToEndId)).status === "NTFD"; i += 1) await new Promise((r) => setTimeout(r, 50));
    assert.equal((await statusOf(debit.header.msgId, debit.endToEndId)).status, "ACSC");
    assert.equal((await f.bank.books.account(customer.number))!.balance, 4_750n);
  });

  test("applied_response_lost: the debit is booked, the connection is dropped, the client says unknown", async () => {
    const customer = await f.customer(5_000n);
    await setFaults([{ fault: "applied_response_lost", kinds: ["debit"], count: 1 }]);
    const debit = f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 300n });
    const exchange = await http.instruct(debit);
    assert.equal(exchange.kind, "unknown");
    assert.match(exchange.kind === "unknown" ? exchange.reason : "", /connection_lost/);
    const status = await statusOf(debit.header.msgId, debit.endToEndId);
    assert.equal(status.status, "ACSC");
    assert.equal((await f.bank.books.account(customer.number))!.balance, 4_700n);
    // The resend (same MsgId) answers the booking, and books nothing more.
    const resent = await http.instruct({ ...debit, header: f.client.header(debit.header.msgId) });
    assert.equal(resent.kind === "answer" && resent.value.bankReference, status.bankReference);
    assert.equal((await f.bank.books.account(customer.number))!.balance, 4_700n);
  });

  test("kinds target: a fault on debits leaves credits and status requests alone", async () => {
    const customer = await f.customer(5_000n);
    await setFaults([{ fault: "down", kinds: ["debit"] }]);
    const credit = await http.instruct(f.instruction("credit", { account: customer.number, amount: 10n }));
    assert.equal(credit.kind === "answer" && credit.value.status, "ACSC");
    const debit = await http.instruct(f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 10n }));
    assert.equal(debit.kind, "unknown");
    await setFaults([]);
  });
});

describe("fault rules", () => {
  test("the short env form and JSON are checked strictly", () => {
    assert.deepEqual(parseFaultsEnv("applied_response_lost:debit:1,slow:credit+reversal,down"), [
      { fault: "applied_response_lost", kinds: ["debit"], count: 1 }, { fault: "slow", kinds: ["credit", "reversal"] }, { fault: "down" },
    ]);
    assert.deepEqual(parseFaultsEnv('[{"fault":"decline","reason":"AC04"}]'), [{ fault: "decline", reason: "AC04" }]);
    for (const bad of ["explode", "down:everything", "down:debit:0", "down:debit:1:2", "[{\"fault\":\"down\",\"delayMs\":5}]", "[{\"fault\":\"decline\",\"reason\":\"bad\"}]", "[", "[{\"fault\":\"down\",\"x\":1}]"]) {
      assert.throws(() => parseFaultsEnv(bad), FaultRuleError, bad);
    }
    assert.throws(() => checkFaultRules(Array.from({ length: 17 }, () => ({ fault: "down" }))), FaultRuleError);
  });

  test("a counted rule is used up; the first matching rule wins", () => {
    const switches = new FaultSwitches([{ fault: "decline", kinds: ["debit"], count: 2 }, { fault: "down" }]);
    assert.equal(switches.take("debit")?.fault, "decline");
    assert.equal(switches.take("credit")?.fault, "down");
    assert.equal(switches.take("debit")?.fault, "decline");
    assert.equal(switches.take("debit")?.fault, "down");
    assert.equal(switches.list().length, 1);
  });
});

describe("admin endpoints", () => {
  test("need the admin token and a loopback peer; without a configured token they are off", async () => {
    const call = (headers: Record<string, string>, remoteAddress = "127.0.0.1") => f.bank.app.inject({ method: "GET", url: "/admin/faults", headers, remoteAddress });
    assert.equal((await call({})).statusCode, 403);
    assert.equal((await call({ authorization: `Bearer ${f.adminToken}x` })).statusCode, 403);
    assert.equal((await call({ authorization: `Bearer ${f.adminToken}` }, "10.1.2.3")).statusCode, 403);
    assert.equal((await call({ authorization: `Bearer ${f.adminToken}` })).statusCode, 200);
    const open = await openFixture({ withoutAdminToken: true });
    try {
      for (const authorization of ["", "Bearer ", "Bearer undefined", `Bearer ${open.adminToken}`]) {
        const noToken = await open.bank.app.inject({ method: "GET", url: "/admin/faults", headers: { authorization }, remoteAddress: "127.0.0.1" });
        assert.equal(noToken.statusCode, 403, authorization);
      }
    } finally {
      await open.stop();
    }
  });

  test("open, fund and read an account; register a client from a PEM bundle; refuse a bad one", async () => {
    const auth = { authorization: `Bearer ${f.adminToken}` };
    const opened = await f.bank.app.inject({ method: "POST", url: "/admin/accounts", headers: auth, payload: { holderName: "Dana", currency: "KES", msisdn: "+254722000000", opening: "1500" } });
    assert.equal(opened.statusCode, 201, opened.body);
    const number = opened.json().number as string;
    const funded = await f.bank.app.inject({ method: "POST", url: `/admin/accounts/${number}/fund`, headers: auth, payload: { amount: "500" } });
    assert.equal(funded.json().account.balance, "2000");
    const bad = await f.bank.app.inject({ method: "POST", url: "/admin/accounts", headers: auth, payload: { holderName: "Dana", currency: "KES", extra: 1 } });
    assert.equal(bad.statusCode, 400);
    const client = await f.bank.app.inject({ method: "POST", url: "/admin/clients", headers: auth, payload: { id: "second", certificates: f.identity.pem } });
    assert.equal(client.statusCode, 201, client.body);
    const oneCert = await f.bank.app.inject({ method: "POST", url: "/admin/clients", headers: auth, payload: { id: "third", certificates: f.identity.signing.toString() } });
    assert.equal(oneCert.statusCode, 400);
    const verify = await f.bank.app.inject({ method: "GET", url: "/admin/verify", headers: auth });
    assert.equal(verify.json().balanced, true);
  });
});
