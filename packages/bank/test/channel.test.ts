// Hostile messages at the bank's door: each is refused with a signed admi.002 reject naming why, and
// books nothing. And the client side: answers that do not verify or answer something else are "unknown".
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { MemoryReplayGuard } from "@obol/xml";
import { openBankMessage, sealBankMessage } from "../src/channel.js";
import { buildPaymentInstruction, readMessageReject, rejectMessageType } from "../src/messages/index.js";
import { clientIdentity, openFixture, type BankFixture, type ClientIdentity } from "./support/fixture.js";

let f: BankFixture;
let stranger: ClientIdentity;
let customer: { number: string; mandateId: string };
before(async () => {
  f = await openFixture();
  stranger = await clientIdentity("mallory");
  customer = await f.customer(10_000n);
});
after(async () => { await f.stop(); });

const random = (n: number) => new Uint8Array(randomBytes(n));

async function debitMessage(overrides: { signer?: ClientIdentity; keyName?: string; now?: Date; type?: string; encryptTo?: ClientIdentity | "bank"; withoutConfidential?: boolean } = {}) {
  const built = buildPaymentInstruction(f.instruction("debit", { account: customer.number, mandateId: customer.mandateId, amount: 1_000n }));
  const signer = overrides.signer ?? f.identity;
  return await sealBankMessage({
    type: overrides.type ?? "bank.debit.v1", body: built.body, confidential: overrides.withoutConfidential ? undefined : built.confidential,
    signer: { privateKey: signer.signingKey, keyName: overrides.keyName ?? signer.id },
    encryptTo: overrides.encryptTo === undefined || overrides.encryptTo === "bank" ? f.bank.keys.encryption.certificate : overrides.encryptTo.encryption,
    now: overrides.now ?? new Date(), random,
  });
}

async function rejection(xml: string): Promise<{ reason: string; inReplyTo: string | undefined }> {
  const reply = await f.bank.service.handle(xml);
  assert.equal(reply.kind, "answer");
  const opened = await openBankMessage(reply.kind === "answer" ? reply.xml : "", {
    trustedKeyFor: (hint) => (hint.keyName === "bank" ? f.bank.keys.signing.certificate : undefined),
    decryptionKey: f.identity.decryptionKey, replay: new MemoryReplayGuard({ now: Date.now }), now: new Date(), freshnessWindowMs: 120_000,
  });
  assert.equal(opened.type, rejectMessageType, "a signed reject");
  const reject = readMessageReject(opened.body);
  return { reason: reject.reason, inReplyTo: reject.inReplyTo };
}

test("hostile envelopes are rejected with the reason, signed by the bank, and book nothing", async () => {
  const cases: Array<[string, string, string]> = [
    ["not XML", "<<<", "MALFORMED"],
    ["a DOCTYPE", '<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "MALFORMED"],
    ["unsigned", '<Message xmlns="urn:obol:msg:1"/>', "SIGNATURE"],
    ["a stranger's key under the client's name", (await debitMessage({ signer: stranger, keyName: "obol" })).xml, "SIGNATURE"],
    ["an unregistered client", (await debitMessage({ signer: stranger })).xml, "SIGNATURE"],
    ["a key name that is no client id", (await debitMessage({ keyName: "../../etc" })).xml, "SIGNATURE"],
    ["a timestamp an hour old", (await debitMessage({ now: new Date(Date.now() - 3_600_000) })).xml, "STALE"],
    ["a body changed after signing", (await debitMessage()).xml.replace(">1000</InstdAmt>", ">9000</InstdAmt>"), "SIGNATURE"],
    ["an unknown type", (await debitMessage({ type: "bank.loan.v1" })).xml, "TYPE"],
    ["a confidential part encrypted to someone else", (await debitMessage({ encryptTo: stranger })).xml, "DECRYPT"],
    ["a debit without its confidential part", (await debitMessage({ withoutConfidential: true })).xml, "MALFORMED"],
  ];
  for (const [name, xml, reason] of cases) {
    assert.equal((await rejection(xml)).reason, reason, name);
  }
  const once = (await debitMessage()).xml;
  assert.equal((await f.bank.service.handle(once)).kind, "answer");
  assert.equal((await rejection(once)).reason, "REPLAY", "the same envelope twice");
  assert.equal((await f.bank.books.account(customer.number))!.balance, 9_000n, "only the one genuine debit was booked");
});

test("the client treats an answer it cannot trust as unknown", async () => {
  const forged = async () => {
    // Mallory answers in the bank's name with her own key.
    const sealed = await sealBankMessage({ type: "bank.status.v1", body: [], signer: { privateKey: stranger.signingKey, keyName: "bank" }, encryptTo: f.identity.encryption, now: new Date(), random });
    return sealed.xml;
  };
  const replayed = { xml: "" };
  const capture = f.clientWith(async (xml) => {
    const reply = await f.bank.service.handle(xml);
    replayed.xml = reply.kind === "answer" ? reply.xml : "";
    return replayed.xml;
  });
  const first = await capture.instruct(f.instruction("credit", { account: customer.number, amount: 1n }));
  assert.equal(first.kind, "answer");
  const cases: Array<[string, (xml: string) => Promise<string>]> = [
    ["a forged bank signature", forged],
    ["an old answer replayed", async () => replayed.xml],
    ["not XML", async () => "<html>502 Bad Gateway</html>"],
  ];
  for (const [name, transport] of cases) {
    const exchange = await f.clientWith(transport).instruct(f.instruction("credit", { account: customer.number, amount: 1n }));
    assert.equal(exchange.kind, "unknown", name);
  }
});
