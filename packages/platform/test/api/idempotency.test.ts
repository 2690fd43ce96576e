// Specification: a money-moving request runs at most once per (caller, Idempotency-Key). The same key
// with the same body replays the stored answer (status and body, flagged idempotent-replayed); with
// another body it is refused; keys of different callers never meet; concurrent twins move money
// once; a business refusal is an answer like any other; keys are kept at least 24 hours.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { requestHash, transferIdFor } from "../../src/modules/idempotency/service.js";
import { FenceLostError } from "../../src/modules/ledger/index.js";
import { assertEveryResponseWellFormed, ledgerTransferCount, openHarness, snapshot, storedAnswer, wallet, type Harness } from "./harness.js";

const hour = 60 * 60_000;

let h: Harness;
before(async () => {
  h = await openHarness();
});
after(async () => {
  await h?.stop();
});

function newKey(): string {
  return `idem-${randomUUID()}`;
}

async function posted(userId: string): Promise<bigint> {
  return BigInt((await wallet(h, userId)).posted);
}

test("same key and same body: the answer is replayed identically and money moves once", async () => {
  const key = newKey();
  const body = { toMsisdn: h.b.msisdn, amount: "1250", currency: h.currency };
  const [a0, b0, n0] = [await posted(h.a.id), await posted(h.b.id), await ledgerTransferCount(h)];

  const first = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(first.status, 201, first.text);
  assert.equal(first.headers["idempotent-replayed"], undefined, "a first answer is not a replay");
  assert.equal(first.body.amount, "1250");
  assert.equal(first.body.kind, "p2p");

  for (let i = 0; i < 3; i++) {
    const again = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
    assert.equal(again.status, 201);
    assert.equal(again.headers["idempotent-replayed"], "true");
    assert.equal(again.text, first.text, "a replay is byte for byte the first answer");
  }
  // The same JSON written differently (key order, spacing) is the same request.
  const reordered = await h.call("POST", "/v1/transfers", {
    token: h.a.token, idem: key, raw: `{ "currency": "${h.currency}",  "amount": "1250", "toMsisdn": "${h.b.msisdn}" }`,
  });
  assert.equal(reordered.status, 201, reordered.text);
  assert.equal(reordered.headers["idempotent-replayed"], "true");
  assert.deepEqual(reordered.body, first.body);

  assert.equal(await posted(h.a.id), a0 - 1250n);
  assert.equal(await posted(h.b.id), b0 + 1250n);
  assert.equal(await ledgerTransferCount(h), n0 + 1);
});

test("same key and another body: 409 ERR_IDEMPOTENCY_MISMATCH, nothing moves", async () => {
  const key = newKey();
  const body = { toMsisdn: h.b.msisdn, amount: "300", currency: h.currency };
  const first = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(first.status, 201, first.text);
  const before = await snapshot(h);

  for (const [url, json] of [
    ["/v1/transfers", { ...body, amount: "301" }],
    ["/v1/transfers", { ...body, toMsisdn: "+254799999999" }],
    // The same body sent to another money-moving endpoint is another request too.
    ["/v1/me/withdrawals", { amount: "300", currency: h.currency }],
    ["/v1/me/top-ups", { amount: "300", currency: h.currency }],
  ] as const) {
    const reply = await h.call("POST", url, { token: h.a.token, idem: key, json });
    assert.equal(reply.status, 409, `${url} ${JSON.stringify(json)}: ${reply.text}`);
    assert.equal(reply.body.error.code, "ERR_IDEMPOTENCY_MISMATCH");
    assert.equal(reply.headers["idempotent-replayed"], undefined);
  }
  assert.deepEqual(await snapshot(h), before, "a mismatched request wrote something");
  // The original answer is still there.
  const replay = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(replay.status, 201);
  assert.equal(replay.headers["idempotent-replayed"], "true");
  assert.deepEqual(replay.body, first.body);
});

test("keys are scoped per caller: B reusing A's key makes B's own movement, not a replay of A's", async () => {
  const key = newKey();
  const body = { amount: "777", currency: h.currency };
  const [a0, b0, n0] = [await posted(h.a.id), await posted(h.b.id), await ledgerTransferCount(h)];

  const byA = await h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: key, json: body });
  assert.equal(byA.status, 201, byA.text);
  const byB = await h.call("POST", "/v1/me/top-ups", { token: h.b.token, idem: key, json: body });
  assert.equal(byB.status, 201, byB.text);
  assert.equal(byB.headers["idempotent-replayed"], undefined, "B got a replay of A's answer");
  assert.notEqual(byB.body.transferId, byA.body.transferId);
  assert.equal(byB.body.to, h.b.msisdn);
  assert.equal(byA.body.to, h.a.msisdn);

  // And a P2P with A's key, by B, to A: B pays, although A used this key for something else.
  const p2p = await h.call("POST", "/v1/transfers", { token: h.b.token, idem: key, json: { toMsisdn: h.a.msisdn, amount: "5", currency: h.currency } });
  assert.equal(p2p.status, 409, "B's own key is now bound to B's top-up");
  assert.equal(p2p.body.error.code, "ERR_IDEMPOTENCY_MISMATCH");
  const p2pKeyOfA = newKey();
  const aPays = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: p2pKeyOfA, json: { toMsisdn: h.b.msisdn, amount: "5", currency: h.currency } });
  assert.equal(aPays.status, 201, aPays.text);
  const bPays = await h.call("POST", "/v1/transfers", { token: h.b.token, idem: p2pKeyOfA, json: { toMsisdn: h.a.msisdn, amount: "5", currency: h.currency } });
  assert.equal(bPays.status, 201, bPays.text);
  assert.equal(bPays.headers["idempotent-replayed"], undefined);
  assert.equal(bPays.body.from, h.b.msisdn);
  assert.notEqual(bPays.body.transferId, aPays.body.transferId);

  assert.equal(await posted(h.a.id), a0 + 777n - 5n + 5n);
  assert.equal(await posted(h.b.id), b0 + 777n + 5n - 5n);
  assert.equal(await ledgerTransferCount(h), n0 + 4);
});

test("50 concurrent identical requests with one key: all 201 with the same transferId, one ledger effect", async () => {
  const key = newKey();
  const body = { toMsisdn: h.b.msisdn, amount: "4321", currency: h.currency };
  const [a0, b0, n0] = [await posted(h.a.id), await posted(h.b.id), await ledgerTransferCount(h)];

  const replies = await Promise.all(Array.from({ length: 50 }, () => h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body })));
  for (const reply of replies) assert.equal(reply.status, 201, reply.text);
  const ids = new Set(replies.map((r) => r.body.transferId));
  assert.equal(ids.size, 1, `several transfer ids: ${[...ids].join(", ")}`);
  for (const reply of replies) assert.deepEqual(reply.body, replies[0]!.body, "the 50 answers differ");

  assert.equal(await posted(h.a.id), a0 - 4321n);
  assert.equal(await posted(h.b.id), b0 + 4321n);
  assert.equal(await ledgerTransferCount(h), n0 + 1);
  const stored = await storedAnswer(h, h.a.id, key);
  assert.equal(stored?.status, 201);
  assert.deepEqual(stored?.response, replies[0]!.body);
});

test("concurrent requests with one key and different bodies: one wins, the others get 409, money moves once", async () => {
  const key = newKey();
  const [a0, n0] = [await posted(h.a.id), await ledgerTransferCount(h)];
  const replies = await Promise.all(Array.from({ length: 10 }, (_, i) =>
    h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: { toMsisdn: h.b.msisdn, amount: String(100 + i), currency: h.currency } })));
  const won = replies.filter((r) => r.status === 201);
  assert.equal(won.length, 1, replies.map((r) => r.status).join(","));
  for (const reply of replies.filter((r) => r.status !== 201)) {
    assert.equal(reply.status, 409, reply.text);
    assert.equal(reply.body.error.code, "ERR_IDEMPOTENCY_MISMATCH");
  }
  assert.equal(await posted(h.a.id), a0 - BigInt(won[0]!.body.amount));
  assert.equal(await ledgerTransferCount(h), n0 + 1);
});

test("a business refusal (422 insufficient funds) is stored and replayed as 422, even after funds arrive", async () => {
  const key = newKey();
  const available = BigInt((await wallet(h, h.a.id)).available);
  const body = { toMsisdn: h.b.msisdn, amount: String(available + 1000n), currency: h.currency };
  const n0 = await ledgerTransferCount(h);

  const refused = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(refused.status, 422, refused.text);
  assert.equal(refused.body.error.code, "ERR_INSUFFICIENT_FUNDS");

  // Funds arrive: now A could pay.
  const topUp = await h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: newKey(), json: { amount: "5000", currency: h.currency } });
  assert.equal(topUp.status, 201, topUp.text);
  const before = await snapshot(h);

  const retried = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(retried.status, 422, retried.text);
  assert.equal(retried.headers["idempotent-replayed"], "true");
  assert.deepEqual(retried.body, refused.body);
  assert.deepEqual(await snapshot(h), before, "the replayed refusal moved money");
  assert.equal(await ledgerTransferCount(h), n0 + 1, "only the top-up reached the ledger");

  // A new key is a new request, and it goes through.
  const fresh = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: newKey(), json: body });
  assert.equal(fresh.status, 201, fresh.text);
});

test("twins at the insufficient-funds boundary (funds arrive while they run): every answer is the one stored, and the ledger agrees", async () => {
  const rounds = 40;
  let applied = 0;
  let refused = 0;
  for (let round = 0; round < rounds; round++) {
    const key = newKey();
    const scope = `user:${h.a.id}`;
    const available = BigInt((await wallet(h, h.a.id)).available);
    // 1 more than A holds: refused before the top-up commits, possible after it.
    const body = { toMsisdn: h.b.msisdn, amount: String(available + 1n), currency: h.currency };
    const twin = () => h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
    // The twins start 1 ms apart; the top-up among them (even rounds) or just before them (odd
    // rounds), so that both outcomes occur.
    const later = <T>(ms: number, send: () => Promise<T>) => new Promise<T>((resolve) => setTimeout(resolve, ms)).then(send);
    const start = round % 2 === 0 ? 0 : 6;
    const topUp = later(round % 2 === 0 ? 3 : 0, () => h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: newKey(), json: { amount: "1", currency: h.currency } }));
    const twins = Array.from({ length: 8 }, (_, k) => later(start + k, twin));
    const replies = await Promise.all(twins);
    assert.equal((await topUp).status, 201);

    for (const reply of replies) {
      assert.ok(reply.status === 201 || reply.status === 422, reply.text);
      assert.deepEqual([reply.status, reply.body], [replies[0]!.status, replies[0]!.body], `round ${round}: twins answered differently`);
    }
    const stored = await storedAnswer(h, h.a.id, key);
    assert.deepEqual([stored?.status, stored?.response], [replies[0]!.status, replies[0]!.body], "the stored answer is the one sent");
    const transfer = await h.platform.services.ledger.transfer(transferIdFor(scope, key, 0));
    if (replies[0]!.status === 201) {
      applied++;
      assert.equal(transfer?.amount, BigInt(body.amount), "a 201 whose transfer is not in the ledger");
    } else {
      refused++;
      assert.equal(replies[0]!.body.error.code, "ERR_INSUFFICIENT_FUNDS");
      assert.equal(transfer, undefined, "a stored 422 while the transfer was applied");
    }
    // Replayed later (funds present now), the answer does not change.
    const replay = await twin();
    assert.deepEqual([replay.status, replay.body], [replies[0]!.status, replies[0]!.body]);
  }
  console.log(`boundary rounds: ${applied} applied, ${refused} refused`);
  assert.ok(applied > 0 && refused > 0, "both outcomes occurred");
  // The rounds drained A; the tests after this one need A to pay.
  assert.equal((await h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: newKey(), json: { amount: "100000", currency: h.currency } })).status, 201);
});

test("an attempt that lost its claim can neither apply its transfer nor store its answer", async () => {
  const { idempotency, ledger, parties } = h.platform.services;
  const key = newKey();
  const scope = `user:${h.a.id}`;
  const hash = requestHash("p2p", { test: "fence" });
  const first = await idempotency.begin(scope, key, hash);
  assert.equal(first.kind, "claimed");
  // The first attempt is presumed dead: its lease runs out and a retry takes the key over.
  await sql`UPDATE idempotency_keys SET claimed_until = clock_timestamp() - interval '1 second' WHERE scope = ${scope} AND key = ${key}`.execute(h.platform.services.db);
  const second = await idempotency.begin(scope, key, hash);
  assert.equal(second.kind, "claimed");
  if (first.kind !== "claimed" || second.kind !== "claimed") return;

  const [from, to] = [(await parties.wallets(h.a.id)).find((w) => w.currency === h.currency)!.id, (await parties.wallets(h.b.id)).find((w) => w.currency === h.currency)!.id];
  const transfer = { id: transferIdFor(scope, key, 0), kind: "posted" as const, debitAccountId: from, creditAccountId: to, amount: 1n, code: 1 };
  const n0 = await ledgerTransferCount(h);
  await assert.rejects(ledger.submitReturning([transfer], first.claim), (error: unknown) => error instanceof FenceLostError);
  assert.equal(await ledgerTransferCount(h), n0, "the stale attempt's transfer was applied");
  assert.equal(await idempotency.complete(first.claim, 422, "{}"), false, "the stale attempt stored its answer");

  // The attempt holding the claim applies and answers; the key is then answered and fenced for good.
  const submitted = await ledger.submitReturning([transfer], second.claim);
  assert.deepEqual(submitted.results, ["ok"]);
  assert.equal(await idempotency.complete(second.claim, 201, "{\"ok\":true}"), true);
  await assert.rejects(ledger.submitReturning([{ ...transfer, id: transferIdFor(scope, key, 1) }], second.claim), (error: unknown) => error instanceof FenceLostError);
  assert.deepEqual(await idempotency.begin(scope, key, hash), { kind: "stored", statusCode: 201, response: "{\"ok\":true}" });
});

test("a key claimed by an attempt that died: the retry waits for the claim to run out, takes over, and answers", async () => {
  const key = newKey();
  const body = { toMsisdn: h.b.msisdn, amount: "11", currency: h.currency };
  const scope = `user:${h.a.id}`;
  // What a process killed mid-request leaves behind: a live claim and no answer.
  await sql`INSERT INTO idempotency_keys (scope, key, request_hash, claim, claimed_until)
            VALUES (${scope}, ${key}, ${requestHash("p2p", body)}, ${randomUUID()}::uuid, clock_timestamp() + interval '2 seconds')`.execute(h.platform.services.db);
  const n0 = await ledgerTransferCount(h);
  const retried = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(retried.status, 201, retried.text);
  assert.equal(await ledgerTransferCount(h), n0 + 1);
  assert.deepEqual((await storedAnswer(h, h.a.id, key))?.response, retried.body);
});

test("a key held by a live attempt past the wait: 409 ERR_IDEMPOTENCY_IN_PROGRESS with Retry-After, then the committed answer", async () => {
  const key = newKey();
  const body = { toMsisdn: h.b.msisdn, amount: "12", currency: h.currency };
  const scope = `user:${h.a.id}`;
  await sql`INSERT INTO idempotency_keys (scope, key, request_hash, claim, claimed_until)
            VALUES (${scope}, ${key}, ${requestHash("p2p", body)}, ${randomUUID()}::uuid, clock_timestamp() + interval '1 hour')`.execute(h.platform.services.db);
  const busy = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(busy.status, 409, busy.text);
  assert.equal(busy.body.error.code, "ERR_IDEMPOTENCY_IN_PROGRESS");
  assert.equal(busy.headers["retry-after"], "1");
  // The holder commits its answer; the retry gets exactly that.
  await sql`UPDATE idempotency_keys SET status_code = 422, response = '{"error":{"code":"ERR_INSUFFICIENT_FUNDS","message":"Not enough funds"}}'
            WHERE scope = ${scope} AND key = ${key}`.execute(h.platform.services.db);
  const retried = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(retried.status, 422, retried.text);
  assert.equal(retried.headers["idempotent-replayed"], "true");
  assert.equal(retried.body.error.code, "ERR_INSUFFICIENT_FUNDS");
});

test("keys are kept at least 24 hours: after 24 h and a purge, the answer is still replayed", async () => {
  const key = newKey();
  const body = { toMsisdn: h.b.msisdn, amount: "99", currency: h.currency };
  const first = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(first.status, 201, first.text);
  const [a1, n1] = [await posted(h.a.id), await ledgerTransferCount(h)];

  // The row's created_at is the database's now(): measure the 24 h from the real time of the request.
  h.clock.now = Math.max(h.clock.now, Date.now()) + 24 * hour;
  await h.platform.services.idempotency.purgeExpired();
  await h.relogin(); // the 15-minute sessions have expired meanwhile
  assert.ok(await storedAnswer(h, h.a.id, key), "the key was purged after 24 h");
  const replay = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: key, json: body });
  assert.equal(replay.status, 201, replay.text);
  assert.equal(replay.headers["idempotent-replayed"], "true");
  assert.deepEqual(replay.body, first.body);
  assert.equal(await posted(h.a.id), a1);
  assert.equal(await ledgerTransferCount(h), n1);

  // The purge is not a no-op: past the 48 h retention the key is gone.
  h.clock.now = Date.now() + 48 * hour + 60_000;
  await h.platform.services.idempotency.purgeExpired();
  assert.equal(await storedAnswer(h, h.a.id, key), undefined, "the purge never deletes anything");
  await h.relogin();
});

test("every response of this file had a documented error code, no 5xx, and an x-request-id", () => {
  assertEveryResponseWellFormed(h);
});
