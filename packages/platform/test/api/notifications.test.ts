import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { sql } from "kysely";
import type { Recipient } from "../../src/modules/notifications/service.js";
import { assertEveryResponseWellFormed, openHarness, type Harness } from "./harness.js";

let h: Harness;
let merchantKey: string;
let merchant: Recipient;

before(async () => {
  h = await openHarness();
  merchantKey = h.demo.merchant.apiKey;
  merchant = { type: "merchant", id: h.demo.merchant.id };
});
after(async () => {
  assertEveryResponseWellFormed(h);
  await h.stop();
});

const notifications = () => h.platform.services.notifications;
const db = () => h.platform.services.db;

async function recordMany(recipient: Recipient, count: number, kind = "payment.succeeded"): Promise<string[]> {
  const ids: string[] = [];
  for (let n = 0; n < count; n += 1) {
    ids.push((await db().transaction().execute((trx) => notifications().record(trx, { recipient, kind, data: { n, amount: BigInt(100 + n), currency: "KES" } }))).notificationId);
  }
  return ids;
}

describe("notification records (issue 4 item 8)", () => {
  test("a record written in a rolled-back transaction does not exist; a committed one does, data exactly as written", async () => {
    const user: Recipient = { type: "user", id: h.a.id };
    await assert.rejects(db().transaction().execute(async (trx) => {
      await notifications().record(trx, { recipient: user, kind: "payment.failed", data: { reason: "rolled back" } });
      throw new Error("the caller's change fails");
    }), /the caller's change fails/);
    assert.equal((await notifications().list(user, { limit: 10 })).notifications.length, 0);

    const { notificationId } = await db().transaction().execute((trx) => notifications().record(trx, { recipient: user, kind: "payment.succeeded", data: { amount: 1250n, merchant: { name: "Demo" } } }));
    const page = await h.call("GET", "/v1/me/notifications", { token: h.a.token });
    assert.equal(page.status, 200, page.text);
    assert.equal(page.body.unread, 1);
    assert.equal(page.body.notifications.length, 1);
    const [only] = page.body.notifications;
    assert.equal(only.id, notificationId);
    assert.equal(only.kind, "payment.succeeded");
    assert.deepEqual(only.data, { amount: "1250", merchant: { name: "Demo" } });
    assert.equal(only.readAt, null);
    assert.equal(only.createdAt, new Date(h.clock.now).toISOString());
    // B sees none of A's.
    assert.deepEqual((await h.call("GET", "/v1/me/notifications", { token: h.b.token })).body, { notifications: [], next: null, unread: 0 });
  });

  test("cursor pagination: newest first with before, oldest first with after, no row twice or missed", async () => {
    const ids = await recordMany(merchant, 7);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const reply: { status: number; body: any; text: string } = await h.call("GET", `/v1/merchant/notifications?limit=3${cursor ? `&before=${cursor}` : ""}`, { token: merchantKey });
      assert.equal(reply.status, 200, reply.text);
      seen.push(...reply.body.notifications.map((n: { id: string }) => n.id));
      cursor = reply.body.next;
    } while (cursor !== null);
    assert.deepEqual(seen, [...ids].reverse());

    const first = (await h.call("GET", "/v1/merchant/notifications?limit=2", { token: merchantKey })).body.notifications;
    const oldestCursor = (await notifications().list(merchant, { limit: 1, after: 0n })).notifications[0]!.cursor;
    const catchUp = await h.call("GET", `/v1/merchant/notifications?after=${oldestCursor}&limit=100`, { token: merchantKey });
    assert.deepEqual(catchUp.body.notifications.map((n: { id: string }) => n.id), ids.slice(1));
    assert.equal(catchUp.body.next, null);
    assert.equal(first[0].id, ids.at(-1));
  });

  test("read marks: by id (someone else's ids ignored), through a cursor, unread filter and count", async () => {
    const user: Recipient = { type: "user", id: h.b.id };
    const ids = await recordMany(user, 5, "escrow.held");
    const [foreign] = await recordMany({ type: "user", id: h.a.id }, 1, "escrow.held");
    const marked = await h.call("POST", "/v1/me/notifications/read", { token: h.b.token, json: { ids: [ids[0], foreign, randomUUID()] } });
    assert.equal(marked.status, 200, marked.text);
    assert.deepEqual(marked.body, { marked: 1 });
    const foreignRow = (await notifications().list({ type: "user", id: h.a.id }, { limit: 100 })).notifications.find((n) => n.id === foreign)!;
    assert.equal(foreignRow.readAt, null, "B cannot mark A's notification read");

    const unread = await h.call("GET", "/v1/me/notifications?unread=true&limit=100", { token: h.b.token });
    assert.deepEqual(unread.body.notifications.map((n: { id: string }) => n.id), ids.slice(1).reverse());
    assert.equal(unread.body.unread, 4);

    const third = unread.body.notifications.find((n: { id: string }) => n.id === ids[2]).cursor;
    h.clock.advance(5_000);
    assert.deepEqual((await h.call("POST", "/v1/me/notifications/read", { token: h.b.token, json: { through: third } })).body, { marked: 2 });
    const all = (await h.call("GET", "/v1/me/notifications?limit=100", { token: h.b.token })).body;
    assert.equal(all.unread, 2);
    assert.deepEqual(all.notifications.filter((n: { readAt: string | null }) => n.readAt === null).map((n: { id: string }) => n.id), [ids[4], ids[3]]);
    assert.equal(all.notifications.find((n: { id: string }) => n.id === ids[1]).readAt, new Date(h.clock.now).toISOString());
    // Marking again changes nothing.
    assert.deepEqual((await h.call("POST", "/v1/me/notifications/read", { token: h.b.token, json: { ids } })).body, { marked: 2 });
    assert.deepEqual((await h.call("POST", "/v1/me/notifications/read", { token: h.b.token, json: { ids } })).body, { marked: 0 });
  });

  test("who may call: users on /me, merchants on /merchant, nobody without credentials", async () => {
    assert.equal((await h.call("GET", "/v1/me/notifications")).status, 401);
    assert.equal((await h.call("GET", "/v1/me/notifications", { token: merchantKey })).body.error.code, "ERR_FORBIDDEN");
    assert.equal((await h.call("GET", "/v1/merchant/notifications", { token: h.a.token })).body.error.code, "ERR_FORBIDDEN");
    assert.equal((await h.call("POST", "/v1/merchant/notifications/read", { token: h.adminToken, json: { through: "1" } })).body.error.code, "ERR_FORBIDDEN");
  });

  test("hostile input: bad cursors, both directions, oversized id lists, unknown fields", async () => {
    const bad = [
      "/v1/me/notifications?before=-1", "/v1/me/notifications?before=1e3", "/v1/me/notifications?after=99999999999999999999",
      "/v1/me/notifications?before=1&after=2", "/v1/me/notifications?limit=0", "/v1/me/notifications?limit=101", "/v1/me/notifications?unread=yes",
      "/v1/me/notifications?owner=x",
    ];
    for (const url of bad) {
      const reply = await h.call("GET", url, { token: h.a.token });
      assert.equal(reply.status, 400, `${url}: ${reply.text}`);
      assert.equal(reply.body.error.code, "ERR_VALIDATION", url);
    }
    const badBodies = [
      {}, { ids: [] }, { ids: ["not-a-uuid"] }, { ids: Array.from({ length: 101 }, () => randomUUID()) }, { through: "x" },
      { ids: [randomUUID()], through: "1" }, { through: "1", recipientId: h.b.id },
    ];
    for (const json of badBodies) {
      const reply = await h.call("POST", "/v1/me/notifications/read", { token: h.a.token, json });
      assert.equal(reply.status, 400, `${JSON.stringify(json)}: ${reply.text}`);
    }
    assert.equal((await h.call("POST", "/v1/me/notifications/read", { token: h.a.token, raw: "{" })).body.error.code, "ERR_MALFORMED_JSON");
  });

  test("record refuses what is not a notification: bad kind, recipient, floats, non-JSON values, oversized data", async () => {
    const user: Recipient = { type: "user", id: h.a.id };
    const before = (await sql<{ n: bigint }>`SELECT count(*) AS n FROM notifications`.execute(db())).rows[0]!.n;
    const attempts: Array<[Parameters<ReturnType<typeof notifications>["record"]>[1], RegExp]> = [
      [{ recipient: user, kind: "Payment.Succeeded", data: {} }, /kind/],
      [{ recipient: user, kind: "payment", data: {} }, /kind/],
      [{ recipient: user, kind: `payment.${"x".repeat(64)}`, data: {} }, /kind/],
      [{ recipient: { type: "operator" as "user", id: h.a.id }, kind: "payment.failed", data: {} }, /recipient type/],
      [{ recipient: { type: "user", id: "1; DROP TABLE notifications" }, kind: "payment.failed", data: {} }, /recipient id/],
      [{ recipient: user, kind: "payment.failed", data: { amount: 12.5 } }, /safe integers/],
      [{ recipient: user, kind: "payment.failed", data: { at: new Date() } }, /plain JSON/],
      [{ recipient: user, kind: "payment.failed", data: { missing: undefined } }, /plain JSON/],
      [{ recipient: user, kind: "payment.failed", data: { big: "x".repeat(5000) } }, /larger than 4096/],
      [{ recipient: user, kind: "payment.failed", data: { a: { b: { c: { d: { e: { f: { g: { h: { i: { j: 1 } } } } } } } } } } }, /deeper/],
    ];
    for (const [input, message] of attempts) {
      await assert.rejects(db().transaction().execute((trx) => notifications().record(trx, input)), message, JSON.stringify(input.kind));
    }
    assert.equal((await sql<{ n: bigint }>`SELECT count(*) AS n FROM notifications`.execute(db())).rows[0]!.n, before);
  });
});
