import assert from "node:assert/strict";
import { randomBytes, randomUUID, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import { buildMessage, type XmlNode } from "@obol/xml";
import { freshnessWindowMs } from "../../src/modules/channel/service.js";
import { nonceRetentionFactor } from "../../src/modules/channel/store.js";
import { enrolDeviceKey } from "../support/device.js";
import { openHarness, snapshot, type Harness } from "./harness.js";

// Hostile wallet messages from outside, each validly signed with the payer's own enrolled device key
// (issue 10): a reused MessageId with a fresh Nonce, and ambiguous business content. Each is refused
// before any business effect, and the ledger is unchanged.

let h: Harness;
let deviceKey: KeyObject;
let compactId: string;

before(async () => {
  h = await openHarness();
  ({ key: deviceKey, compactId } = await enrolDeviceKey(h, h.a));
});
after(async () => { await h.platform.stop(); });

const transfer = (children: ReadonlyArray<XmlNode | string>, key = randomUUID()): XmlNode[] => [{ name: "Transfer", attributes: { IdempotencyKey: key }, children }];
const to = (msisdn: string): XmlNode => ({ name: "To", children: [msisdn] });
const amount = (children: ReadonlyArray<XmlNode | string>, attributes: Record<string, string> = { Currency: "KES" }): XmlNode => ({ name: "Amount", attributes, children });

/** Signs a message as the payer's device. `messageIdBytes` chooses the MessageId (the first 16 random bytes). */
async function signed(type: string, body: XmlNode[], messageIdBytes?: Uint8Array): Promise<{ xml: string; messageId: string }> {
  let first = true;
  const random = (n: number): Uint8Array => {
    if (first && messageIdBytes !== undefined) { first = false; return Uint8Array.from(messageIdBytes); }
    first = false;
    return new Uint8Array(randomBytes(n));
  };
  const built = await buildMessage({ type, body, now: new Date(h.clock.now), random, signer: { privateKey: deviceKey, keyName: compactId } });
  return { xml: built.xml, messageId: built.messageId };
}

async function post(xml: string) {
  const reply = await h.platform.app.inject({ method: "POST", url: "/v1/wallet/messages", headers: { "content-type": "application/xml" }, payload: xml });
  const json = String(reply.headers["content-type"]).startsWith("application/json");
  return { status: reply.statusCode, text: reply.body, code: json ? JSON.parse(reply.body).error.code as string : undefined };
}

async function keptIn(messageId: string): Promise<string[]> {
  const rows = (await sql<{ bytes: Uint8Array }>`SELECT bytes FROM channel_messages WHERE message_id = ${messageId} AND direction = 'in'`.execute(h.platform.services.db)).rows;
  return rows.map((r) => Buffer.from(r.bytes).toString());
}

describe("a reused MessageId is a replay", () => {
  test("the same MessageId with a fresh Nonce (and another amount) is refused; no ledger change; the first message's bytes stay kept", async () => {
    const messageIdBytes = new Uint8Array(randomBytes(16));
    const original = await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["300"])]), messageIdBytes);
    assert.equal((await post(original.xml)).status, 201);

    const before = await snapshot(h);
    const reused = await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["700"])]), messageIdBytes);
    assert.equal(reused.messageId, original.messageId, "control: the same MessageId");
    assert.notEqual(reused.xml, original.xml, "control: a fresh Nonce and another body");
    const reply = await post(reused.xml);
    assert.deepEqual([reply.status, reply.code], [409, "ERR_MESSAGE_REPLAY"]);
    assert.deepEqual(await snapshot(h), before, "nothing moved");
    assert.deepEqual(await keptIn(original.messageId), [original.xml], "the first message's bytes, and only those, are kept");
  });

  test("after the replay store forgot it (past 2x the window), the MessageId is still refused: the kept message conflicts", async () => {
    const messageIdBytes = new Uint8Array(randomBytes(16));
    const original = await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["200"])]), messageIdBytes);
    assert.equal((await post(original.xml)).status, 201);
    h.clock.advance(nonceRetentionFactor * freshnessWindowMs + 1);
    await h.platform.services.channel.purgeExpiredNonces();

    const before = await snapshot(h);
    const reused = await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["900"])]), messageIdBytes);
    const reply = await post(reused.xml);
    assert.deepEqual([reply.status, reply.code], [409, "ERR_MESSAGE_REPLAY"]);
    assert.deepEqual(await snapshot(h), before, "nothing moved");
    assert.deepEqual(await keptIn(original.messageId), [original.xml]);
  });

  test("a MessageId reused on another message type is refused too", async () => {
    const messageIdBytes = new Uint8Array(randomBytes(16));
    assert.equal((await post((await signed("wallet.balance", [], messageIdBytes)).xml)).status, 200);
    const before = await snapshot(h);
    const reply = await post((await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["100"])]), messageIdBytes)).xml);
    assert.deepEqual([reply.status, reply.code], [409, "ERR_MESSAGE_REPLAY"]);
    assert.deepEqual(await snapshot(h), before);
  });
});

describe("ambiguous signed business content is refused as malformed", () => {
  const hostile: Array<[string, () => Promise<string>]> = [
    ["two Amount elements", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["1250"]), amount(["999999"])]))).xml],
    ["two To elements", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), to("+254799999999"), amount(["1250"])]))).xml],
    ["mixed content 1250<Sep/>00", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["1250", { name: "Sep" }, "00"])]))).xml],
    ["an element inside To", async () => (await signed("wallet.transfer", transfer([{ name: "To", children: [h.b.msisdn, { name: "Alt", children: ["+254799999999"] }] }, amount(["1250"])]))).xml],
    ["an unknown extra element", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["1250"]), { name: "Fee", children: ["0"] }]))).xml],
    ["an undeclared attribute on Amount", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["1250"], { Currency: "KES", Scale: "2" })]))).xml],
    ["text outside a value", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), "99", amount(["1250"])]))).xml],
    ["a missing required element (To)", async () => (await signed("wallet.transfer", transfer([amount(["1250"])]))).xml],
    ["a missing required element (Amount)", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn)]))).xml],
    // Exclusive C14N drops comments, so the signature still covers "1250"; the hardened parser refuses it.
    ["a comment inside Amount", async () => (await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["1250"])]))).xml.replace(">1250<", ">12<!---->50<")],
    ["an unknown element in a balance query", async () => (await signed("wallet.balance", [{ name: "BalanceQuery", children: [{ name: "Account", children: ["x"] }] }])).xml],
    ["two History elements", async () => (await signed("wallet.history", [{ name: "History", attributes: { Limit: "1" } }, { name: "History", attributes: { Limit: "50" } }])).xml],
  ];

  for (const [what, make] of hostile) {
    test(`${what}: refused, nothing changes`, async () => {
      const before = await snapshot(h);
      const reply = await post(await make());
      assert.deepEqual([reply.status, reply.code], [400, "ERR_MESSAGE_MALFORMED"], reply.text);
      assert.deepEqual(await snapshot(h), before);
    });
  }

  test("the unmodified message still pays, exactly its amount to its one payee", async () => {
    const before = await snapshot(h);
    const reply = await post((await signed("wallet.transfer", transfer([to(h.b.msisdn), amount(["1250"])]))).xml);
    assert.equal(reply.status, 201, reply.text);
    const after = await snapshot(h);
    assert.equal(BigInt(before.a.posted) - BigInt(after.a.posted), 1250n);
    assert.equal(BigInt(after.b.posted) - BigInt(before.b.posted), 1250n);
  });
});
