// Specification: account basics. Logout revokes the presented token (users and operators, idempotent);
// a password change needs the current password (wrong ones count toward the login lockout), follows
// the sign-up policy, ends every other session and is audited without the passwords; one transfer
// is visible by id to its sender and receiver only (404 for everyone else); a transfer may carry a
// short note, part of the idempotency hash, shown with the counterparty in both sides' history.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { parseNote } from "../../src/modules/wallet/notes.js";
import { assertEveryResponseWellFormed, capturingLogger, openHarness, snapshot, type Harness } from "./harness.js";

const { logger, lines: logLines } = capturingLogger();

let h: Harness;
before(async () => {
  h = await openHarness({ logger });
});
after(async () => {
  await h?.stop();
});

function assertError(reply: { status: number; body: any; text: string }, status: number, code: string, what = ""): void {
  assert.equal(reply.status, status, `${what} ${reply.text}`);
  assert.equal(reply.body?.error?.code, code, `${what} ${reply.text}`);
}

let msisdnSeq = 0;
async function newUser(displayName = "Third Party"): Promise<{ msisdn: string; password: string; id: string }> {
  const msisdn = `+25473${String(process.pid % 10_000).padStart(4, "0")}${String(msisdnSeq++).padStart(3, "0")}`;
  const password = `pw-${randomUUID()}`;
  const reply = await h.call("POST", "/v1/users", { json: { msisdn, displayName, password } });
  assert.equal(reply.status, 201, reply.text);
  return { msisdn, password, id: reply.body.id };
}

async function auditActions(actorId: string): Promise<{ action: string; details: string }[]> {
  return (await sql<{ action: string; details: string }>`SELECT action, details FROM audit_log WHERE actor_id = ${actorId} ORDER BY seq`.execute(h.platform.services.db)).rows;
}

async function noteCount(): Promise<number> {
  return Number((await sql<{ n: string | number | bigint }>`SELECT count(*) AS n FROM wallet_transfer_notes`.execute(h.platform.services.db)).rows[0]!.n);
}

function send(from: { token: string }, body: Record<string, unknown>, idem: string | true = true) {
  return h.call("POST", "/v1/transfers", { token: from.token, idem, json: { currency: h.currency, ...body } });
}

test("logout revokes the presented token only, is idempotent, and works for operators", async () => {
  const token = await h.login(h.a.msisdn, h.a.password);
  assert.equal((await h.call("GET", "/v1/me", { token })).status, 200);
  const out = await h.call("POST", "/v1/auth/logout", { token });
  assert.equal(out.status, 204, out.text);
  assert.equal(out.text, "");
  assertError(await h.call("GET", "/v1/me", { token }), 401, "ERR_UNAUTHENTICATED", "a revoked token");
  assertError(await h.call("POST", "/v1/transfers", { token, idem: true, json: { toMsisdn: h.b.msisdn, amount: "1", currency: h.currency } }), 401, "ERR_UNAUTHENTICATED");
  // Again: still 204, still revoked.
  assert.equal((await h.call("POST", "/v1/auth/logout", { token })).status, 204);
  assertError(await h.call("GET", "/v1/me", { token }), 401, "ERR_UNAUTHENTICATED");
  // The user's other session is untouched.
  assert.equal((await h.call("GET", "/v1/me", { token: h.a.token })).status, 200);
  assert.ok((await auditActions(h.a.id)).some((e) => e.action === "auth.logout"));

  const operator = await h.call("POST", "/v1/admin/login", { json: h.demo.operator });
  assert.equal(operator.status, 200, operator.text);
  assert.equal((await h.call("GET", "/v1/admin/merchants", { token: operator.body.token })).status, 200);
  assert.equal((await h.call("POST", "/v1/auth/logout", { token: operator.body.token })).status, 204);
  assertError(await h.call("GET", "/v1/admin/merchants", { token: operator.body.token }), 401, "ERR_UNAUTHENTICATED", "a revoked operator token");
  assert.equal((await h.call("GET", "/v1/admin/merchants", { token: h.adminToken })).status, 200, "the other operator session stays");
});

test("logout without a session token: 401, and 403 for a merchant API key (which stays valid)", async () => {
  assertError(await h.call("POST", "/v1/auth/logout"), 401, "ERR_UNAUTHENTICATED");
  assertError(await h.call("POST", "/v1/auth/logout", { headers: { authorization: "Bearer garbage" } }), 401, "ERR_UNAUTHENTICATED");
  assertError(await h.call("POST", "/v1/auth/logout", { headers: { authorization: "Basic eDp5" } }), 401, "ERR_UNAUTHENTICATED");
  assertError(await h.call("POST", "/v1/auth/logout", { token: h.demo.merchant.apiKey }), 403, "ERR_FORBIDDEN");
  assert.equal((await h.call("GET", "/v1/merchant", { token: h.demo.merchant.apiKey })).status, 200);
});

test("password change with a wrong current password: ERR_CURRENT_PASSWORD_WRONG, nothing changes", async () => {
  const user = await newUser();
  const token = await h.login(user.msisdn, user.password);
  const other = await h.login(user.msisdn, user.password);
  const reply = await h.call("POST", "/v1/me/password", { token, json: { currentPassword: "not-the-password", newPassword: "a-new-password-1" } });
  assertError(reply, 403, "ERR_CURRENT_PASSWORD_WRONG");
  assert.equal((await h.call("GET", "/v1/me", { token: other })).status, 200, "other sessions stay");
  assert.equal((await h.call("GET", "/v1/me", { token })).status, 200);
  assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: "a-new-password-1" } }), 401, "ERR_INVALID_CREDENTIALS");
  await h.login(user.msisdn, user.password);
  const actions = await auditActions(user.id);
  assert.ok(actions.some((e) => e.action === "auth.password_change_failed"), JSON.stringify(actions));
  assert.ok(!actions.some((e) => e.action === "auth.password_changed"));
});

test("a weak or over-long new password is refused with ERR_PASSWORD_WEAK, as at sign-up", async () => {
  const user = await newUser();
  const token = await h.login(user.msisdn, user.password);
  for (const newPassword of ["short", "123456789", "x".repeat(129)]) {
    assertError(await h.call("POST", "/v1/me/password", { token, json: { currentPassword: user.password, newPassword } }), 400, "ERR_PASSWORD_WEAK", newPassword.slice(0, 12));
    // Sign-up refuses the same passwords.
    const signUp = await h.call("POST", "/v1/users", { json: { msisdn: "+254799999999", displayName: "Weak", password: newPassword } });
    assert.equal(signUp.status, 400, signUp.text);
  }
  assertError(await h.call("POST", "/v1/me/password", { token, json: { currentPassword: user.password } }), 400, "ERR_PASSWORD_WEAK", "no new password");
  assertError(await h.call("POST", "/v1/me/password", { token, json: { newPassword: "long-enough-1" } }), 400, "ERR_VALIDATION", "no current password");
  assertError(await h.call("POST", "/v1/me/password", { token, json: { currentPassword: user.password, newPassword: "long-enough-1", extra: 1 } }), 400, "ERR_VALIDATION", "unknown field");
  await h.login(user.msisdn, user.password);
  assert.ok(!(await auditActions(user.id)).some((e) => e.action.startsWith("auth.password")), "a refused policy check changes nothing and is no failed attempt");
});

test("a successful password change: old password fails, new works, other sessions end, this one stays; audited without passwords", async () => {
  const user = await newUser();
  const token = await h.login(user.msisdn, user.password);
  const others = [await h.login(user.msisdn, user.password), await h.login(user.msisdn, user.password)];
  const newPassword = `new-${randomUUID()}`;
  const reply = await h.call("POST", "/v1/me/password", { token, json: { currentPassword: user.password, newPassword } });
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.body, { otherSessionsRevoked: 2 });
  assert.equal((await h.call("GET", "/v1/me", { token })).status, 200, "the calling session is kept");
  for (const other of others) assertError(await h.call("GET", "/v1/me", { token: other }), 401, "ERR_UNAUTHENTICATED", "another session");
  assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: user.password } }), 401, "ERR_INVALID_CREDENTIALS", "old password");
  await h.login(user.msisdn, newPassword);
  // Changing it back with the old one as "current" fails now.
  assertError(await h.call("POST", "/v1/me/password", { token, json: { currentPassword: user.password, newPassword: user.password } }), 403, "ERR_CURRENT_PASSWORD_WRONG");

  const actions = await auditActions(user.id);
  const changed = actions.find((e) => e.action === "auth.password_changed");
  assert.ok(changed, JSON.stringify(actions));
  assert.equal(JSON.parse(changed.details).otherSessionsRevoked, 2);
  for (const entry of actions) {
    assert.ok(!entry.details.includes(user.password) && !entry.details.includes(newPassword), `a password in the audit log: ${entry.details}`);
  }
  const log = logLines.join("");
  assert.ok(log.includes("/v1/me/password"), "the log captured the requests");
  assert.ok(!log.includes(user.password) && !log.includes(newPassword), "a password reached the log");
});

test("wrong current passwords count toward the login lockout", async () => {
  const user = await newUser();
  const token = await h.login(user.msisdn, user.password);
  for (let i = 0; i < 5; i++) {
    assertError(await h.call("POST", "/v1/me/password", { token, json: { currentPassword: `wrong-${i}`, newPassword: "a-new-password-1" } }), 403, "ERR_CURRENT_PASSWORD_WRONG", `attempt ${i + 1}`);
  }
  assertError(await h.call("POST", "/v1/me/password", { token, json: { currentPassword: user.password, newPassword: "a-new-password-1" } }), 429, "ERR_LOGIN_LOCKED", "right password while locked");
  assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: user.password } }), 429, "ERR_LOGIN_LOCKED", "login while locked");
  h.clock.advance(15 * 60_000 + 1_000);
  await h.relogin();
  await h.login(user.msisdn, user.password);
});

test("password change is for users: an operator gets 403, no token 401", async () => {
  assertError(await h.call("POST", "/v1/me/password", { token: h.adminToken, json: { currentPassword: h.demo.operator.password, newPassword: "a-new-password-1" } }), 403, "ERR_FORBIDDEN");
  assertError(await h.call("POST", "/v1/me/password", { json: { currentPassword: "x", newPassword: "a-new-password-1" } }), 401, "ERR_UNAUTHENTICATED");
  // Authentication comes before validation: an unauthenticated bad body or id is still 401.
  assertError(await h.call("POST", "/v1/me/password", { json: { nonsense: true } }), 401, "ERR_UNAUTHENTICATED", "bad body, no token");
  assertError(await h.call("GET", "/v1/transfers/not-an-id"), 401, "ERR_UNAUTHENTICATED", "bad id, no token");
  assertError(await h.call("GET", "/v1/transfers/not-an-id", { token: h.adminToken }), 403, "ERR_FORBIDDEN", "bad id, operator");
});

test("a transfer by id: sender and receiver see it with counterparty, note and direction; anyone else 404", async () => {
  const third = await newUser();
  const thirdToken = await h.login(third.msisdn, third.password);
  const sent = await send(h.a, { toMsisdn: h.b.msisdn, amount: "1234", note: "  Rent, March \u{1F3E0}  " });
  assert.equal(sent.status, 201, sent.text);
  assert.equal(sent.body.note, "Rent, March \u{1F3E0}", "trimmed");
  const id = sent.body.transferId as string;

  const asSender = await h.call("GET", `/v1/transfers/${id}`, { token: h.a.token });
  assert.equal(asSender.status, 200, asSender.text);
  assert.deepEqual({ ...asSender.body, createdAt: undefined, completedAt: undefined }, {
    transferId: id, kind: "p2p", direction: "debit", status: "completed", amount: "1234", currency: h.currency,
    counterparty: { type: "user", msisdn: h.b.msisdn, displayName: "Brian Kamau" }, note: "Rent, March \u{1F3E0}", createdAt: undefined, completedAt: undefined,
  });
  assert.equal(asSender.body.createdAt, sent.body.createdAt);
  assert.equal(asSender.body.completedAt, sent.body.createdAt);

  const asReceiver = await h.call("GET", `/v1/transfers/${id.toUpperCase()}`, { token: h.b.token });
  assert.equal(asReceiver.status, 200, asReceiver.text);
  assert.equal(asReceiver.body.direction, "credit");
  assert.deepEqual(asReceiver.body.counterparty, { type: "user", msisdn: h.a.msisdn, displayName: "Amina Otieno" });
  assert.equal(asReceiver.body.note, "Rent, March \u{1F3E0}");

  const asThird = await h.call("GET", `/v1/transfers/${id}`, { token: thirdToken });
  assertError(asThird, 404, "ERR_TRANSFER_NOT_FOUND", "a third user");
  const unknown = await h.call("GET", `/v1/transfers/${randomUUID()}`, { token: h.a.token });
  assertError(unknown, 404, "ERR_TRANSFER_NOT_FOUND", "an unknown id");
  assert.deepEqual(asThird.body, unknown.body, "a stranger cannot tell an existing transfer from none");
  for (const bad of ["abc", "1234", `${id}0`, id.slice(0, -1), "%00", encodeURIComponent(`${id} `)]) {
    assertError(await h.call("GET", `/v1/transfers/${bad}`, { token: h.a.token }), 400, "ERR_VALIDATION", bad);
  }
  assertError(await h.call("GET", `/v1/transfers/${id}`), 401, "ERR_UNAUTHENTICATED");
  assertError(await h.call("GET", `/v1/transfers/${id}`, { token: h.adminToken }), 403, "ERR_FORBIDDEN");
});

test("a transfer without a note, and a top-up, by id: note null, the platform side has no counterparty", async () => {
  const sent = await send(h.b, { toMsisdn: h.a.msisdn, amount: "50", note: "   " });
  assert.equal(sent.status, 201, sent.text);
  assert.equal(sent.body.note, null, "a blank note is no note");
  const plain = await h.call("GET", `/v1/transfers/${sent.body.transferId}`, { token: h.a.token });
  assert.equal(plain.status, 200, plain.text);
  assert.equal(plain.body.note, null);
  assert.equal(plain.body.direction, "credit");

  const topUp = await h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: true, json: { amount: "700", currency: h.currency } });
  assert.equal(topUp.status, 201, topUp.text);
  const asOwner = await h.call("GET", `/v1/transfers/${topUp.body.transferId}`, { token: h.a.token });
  assert.equal(asOwner.status, 200, asOwner.text);
  assert.equal(asOwner.body.kind, "top_up");
  assert.equal(asOwner.body.counterparty, null);
  assertError(await h.call("GET", `/v1/transfers/${topUp.body.transferId}`, { token: h.b.token }), 404, "ERR_TRANSFER_NOT_FOUND", "someone else's top-up");
});

test("a movement to a merchant names the merchant as counterparty, by id and in the history", async () => {
  const ledger = h.platform.services.ledger;
  const merchantAccount = (await ledger.accountsOf("merchant", h.demo.merchant.id)).find((a) => a.currency === h.currency)!;
  const id = randomUUID();
  // A capture leg as the payments module posts it (ledger code 10), straight through the ledger.
  assert.deepEqual(await ledger.submit([{ id, kind: "posted", debitAccountId: h.a.accountId, creditAccountId: merchantAccount.id, amount: 250n, code: 10 }]), ["ok"]);
  const one = await h.call("GET", `/v1/transfers/${id}`, { token: h.a.token });
  assert.equal(one.status, 200, one.text);
  assert.equal(one.body.kind, "other");
  assert.deepEqual(one.body.counterparty, { type: "merchant", msisdn: null, displayName: h.demo.merchant.legalName });
  const history = await h.call("GET", "/v1/me/history?limit=5", { token: h.a.token });
  const entry = history.body.entries.find((e: any) => e.transferId === id);
  assert.deepEqual(entry?.counterparty, one.body.counterparty);
  assertError(await h.call("GET", `/v1/transfers/${id}`, { token: h.b.token }), 404, "ERR_TRANSFER_NOT_FOUND", "not B's");
});

test("a bad note is refused with ERR_NOTE_INVALID and moves nothing", async () => {
  const cases: [string, unknown][] = [
    ["141 code points", "\u{1F600}".repeat(141)],
    ["141 ASCII", "x".repeat(141)],
    ["very long", "x".repeat(5_000)],
    ["newline", "line one\nline two"],
    ["tab", "a\tb"],
    ["NUL", "a\u0000b"],
    ["bell", "a\u0007b"],
    ["C1 control", "a\u0085b"],
    ["right-to-left override", "pay \u202Eevil"],
    ["isolate", "a\u2066b"],
    ["line separator", "a\u2028b"],
    ["lone surrogate", "a\uD800b"],
    ["a number", 42],
    ["an object", { text: "hi" }],
  ];
  const before = await snapshot(h);
  const notesBefore = await noteCount();
  for (const [what, note] of cases) {
    assertError(await send(h.a, { toMsisdn: h.b.msisdn, amount: "10", note }), 400, "ERR_NOTE_INVALID", what);
  }
  assert.deepEqual(await snapshot(h), before, "no money moved, no idempotency key taken");
  assert.equal(await noteCount(), notesBefore);
  // Exactly 140 code points (280 UTF-16 units) is fine.
  const longest = await send(h.a, { toMsisdn: h.b.msisdn, amount: "10", note: "\u{1F600}".repeat(140) });
  assert.equal(longest.status, 201, longest.text);
  assert.equal(longest.body.note, "\u{1F600}".repeat(140));
});

test("a refused transfer keeps no note", async () => {
  const notesBefore = await noteCount();
  const poor = await newUser("Poor User");
  const token = await h.login(poor.msisdn, poor.password);
  assertError(await send({ token }, { toMsisdn: h.a.msisdn, amount: "10", note: "cannot pay" }), 422, "ERR_INSUFFICIENT_FUNDS");
  assertError(await send(h.a, { toMsisdn: "+254711111111", amount: "10", note: "nobody" }), 404, "ERR_RECIPIENT_NOT_FOUND");
  assert.equal(await noteCount(), notesBefore);
});

test("history shows the counterparty and the note on both sides", async () => {
  const sent = await send(h.a, { toMsisdn: h.b.msisdn, amount: "321", note: "lunch \u2615" });
  assert.equal(sent.status, 201, sent.text);
  const id = sent.body.transferId;
  const mine = await h.call("GET", "/v1/me/history?limit=100", { token: h.a.token });
  assert.equal(mine.status, 200, mine.text);
  const out = mine.body.entries.find((e: any) => e.transferId === id);
  assert.ok(out, "the transfer is in the sender's history");
  assert.deepEqual({ ...out, createdAt: undefined, cursor: undefined }, {
    transferId: id, kind: "p2p", direction: "debit", amount: "321", currency: h.currency,
    counterparty: { type: "user", msisdn: h.b.msisdn, displayName: "Brian Kamau" }, note: "lunch \u2615", createdAt: undefined, cursor: undefined,
  });
  const theirs = await h.call("GET", "/v1/me/history?limit=100", { token: h.b.token });
  const into = theirs.body.entries.find((e: any) => e.transferId === id);
  assert.equal(into.direction, "credit");
  assert.deepEqual(into.counterparty, { type: "user", msisdn: h.a.msisdn, displayName: "Amina Otieno" });
  assert.equal(into.note, "lunch \u2615");
  // The demo top-up came from the platform's bank clearing account: no counterparty, no note.
  const topUp = mine.body.entries.find((e: any) => e.kind === "top_up");
  assert.ok(topUp);
  assert.equal(topUp.counterparty, null);
  assert.equal(topUp.note, null);
  // Every entry can be looked up by id by its owner.
  for (const entry of mine.body.entries.slice(0, 10)) {
    const one = await h.call("GET", `/v1/transfers/${entry.transferId}`, { token: h.a.token });
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.direction, entry.direction);
    assert.equal(one.body.amount, entry.amount);
  }
});

test("the note is part of the idempotency hash: same key, other note is ERR_IDEMPOTENCY_MISMATCH", async () => {
  const key = randomUUID();
  const first = await send(h.a, { toMsisdn: h.b.msisdn, amount: "77", note: "first" }, key);
  assert.equal(first.status, 201, first.text);
  const before = await snapshot(h);
  const replay = await send(h.a, { toMsisdn: h.b.msisdn, amount: "77", note: "first" }, key);
  assert.equal(replay.status, 201, replay.text);
  assert.equal(replay.headers["idempotent-replayed"], "true");
  assert.deepEqual(replay.body, first.body);
  assertError(await send(h.a, { toMsisdn: h.b.msisdn, amount: "77", note: "second" }, key), 409, "ERR_IDEMPOTENCY_MISMATCH", "other note");
  assertError(await send(h.a, { toMsisdn: h.b.msisdn, amount: "77" }, key), 409, "ERR_IDEMPOTENCY_MISMATCH", "no note");
  assert.deepEqual(await snapshot(h), before, "no money moved");
  const stored = await h.call("GET", `/v1/transfers/${first.body.transferId}`, { token: h.a.token });
  assert.equal(stored.body.note, "first");
});

test("a key reused after its idempotency record expired finds the first transfer and keeps its note", async () => {
  const key = randomUUID();
  const first = await send(h.a, { toMsisdn: h.b.msisdn, amount: "91", note: "original" }, key);
  assert.equal(first.status, 201, first.text);
  await sql`DELETE FROM idempotency_keys WHERE scope = ${`user:${h.a.id}`} AND key = ${key}`.execute(h.platform.services.db);
  const before = await snapshot(h);
  for (const note of ["different", undefined]) {
    const again = await send(h.a, { toMsisdn: h.b.msisdn, amount: "91", ...(note === undefined ? {} : { note }) }, key);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.body.transferId, first.body.transferId);
    assert.equal(again.body.note, "original", "the receipt shows the stored note");
    await sql`DELETE FROM idempotency_keys WHERE scope = ${`user:${h.a.id}`} AND key = ${key}`.execute(h.platform.services.db);
  }
  const refused = await send(h.a, { toMsisdn: h.b.msisdn, amount: "92", note: "mismatch" }, key);
  assertError(refused, 409, "ERR_IDEMPOTENCY_MISMATCH", "the ledger refuses other fields under the same id");
  assert.equal((await snapshot(h)).transfers, before.transfers, "no money moved");
  const stored = await h.call("GET", `/v1/transfers/${first.body.transferId}`, { token: h.a.token });
  assert.equal(stored.body.note, "original");
});

test("concurrent retries of one noted transfer move the money once and keep the note", async () => {
  const key = randomUUID();
  const before = await snapshot(h);
  const replies = await Promise.all(Array.from({ length: 6 }, () => send(h.a, { toMsisdn: h.b.msisdn, amount: "13", note: "twins" }, key)));
  for (const reply of replies) assert.equal(reply.status, 201, reply.text);
  assert.equal(new Set(replies.map((r) => r.body.transferId)).size, 1);
  const after = await snapshot(h);
  assert.equal(after.transfers, before.transfers + 1);
  assert.equal(BigInt(before.a.posted) - BigInt(after.a.posted), 13n);
  const stored = await h.call("GET", `/v1/transfers/${replies[0]!.body.transferId}`, { token: h.b.token });
  assert.equal(stored.body.note, "twins");
});

test("hostile bodies on the new routes get the one error shape, never a 5xx", async () => {
  const id = randomUUID();
  const json = { "content-type": "application/json" };
  const cases: [string, string, Parameters<Harness["call"]>[2], number, string][] = [
    ["POST", "/v1/me/password", { token: h.a.token, raw: "{", headers: json }, 400, "ERR_MALFORMED_JSON"],
    ["POST", "/v1/me/password", { token: h.a.token, raw: "x", headers: { "content-type": "text/plain" } }, 415, "ERR_UNSUPPORTED_MEDIA_TYPE"],
    ["POST", "/v1/me/password", { token: h.a.token, json: { currentPassword: "x", newPassword: "y".repeat(20), pad: "z".repeat(20_000) } }, 413, "ERR_BODY_TOO_LARGE"],
    ["POST", "/v1/me/password", { token: h.a.token, raw: '{"__proto__":{"x":1},"currentPassword":"a","newPassword":"bbbbbbbbbbbb"}', headers: json }, 400, "ERR_MALFORMED_JSON"],
    ["POST", "/v1/me/password", { token: h.a.token, json: { currentPassword: 5, newPassword: "long-enough-1" } }, 400, "ERR_VALIDATION"],
    ["POST", "/v1/auth/logout", { token: h.a.token, raw: "{", headers: json }, 400, "ERR_MALFORMED_JSON"],
    // A GET's body is not read at all.
    ["GET", `/v1/transfers/${id}`, { token: h.a.token, headers: { "content-type": "application/json" }, raw: "{" }, 404, "ERR_TRANSFER_NOT_FOUND"],
    ["GET", `/v1/transfers/${"f".repeat(90)}`, { token: h.a.token }, 400, "ERR_VALIDATION"],
  ];
  for (const [method, url, options, status, code] of cases) {
    const reply = await h.call(method, url, options);
    assertError(reply, status, code, `${method} ${url.slice(0, 40)} ${JSON.stringify(options).slice(0, 80)}`);
  }
  assert.equal((await h.call("GET", "/v1/me", { token: h.a.token })).status, 200, "the token still works");
});

test("parseNote: trims, counts code points, refuses controls", () => {
  assert.deepEqual(parseNote(undefined), { ok: true, note: null });
  assert.deepEqual(parseNote(" \u00A0 "), { ok: true, note: null });
  assert.deepEqual(parseNote(" caf\u00E9 "), { ok: true, note: "caf\u00E9" });
  assert.deepEqual(parseNote("a".repeat(140)), { ok: true, note: "a".repeat(140) });
  assert.deepEqual(parseNote("a".repeat(141)), { ok: false });
  assert.deepEqual(parseNote("\u{1F600}".repeat(140)), { ok: true, note: "\u{1F600}".repeat(140) });
  assert.deepEqual(parseNote("\u{1F600}".repeat(141)), { ok: false });
  assert.deepEqual(parseNote("a\rb"), { ok: false });
  assert.deepEqual(parseNote("a\uDC00"), { ok: false });
  assert.deepEqual(parseNote("\u202Dx"), { ok: false });
});

test("/docs/json declares the new routes' success and error responses", async () => {
  const docs = await h.call("GET", "/docs/json");
  assert.equal(docs.status, 200);
  const codesOf = (operation: any, status: string): string[] => {
    const schema = operation.responses[status]?.content?.["application/json"]?.schema;
    const part = (schema?.allOf as any[] | undefined)?.find((p) => p.properties?.error !== undefined) ?? schema;
    return part?.properties?.error?.properties?.code?.enum ?? [];
  };
  const logout = docs.body.paths["/v1/auth/logout"]?.post;
  assert.ok(logout?.responses["204"], JSON.stringify(logout?.responses));
  assert.equal(logout.responses["204"].content, undefined, "a 204 has no body");
  assert.deepEqual(codesOf(logout, "401"), ["ERR_UNAUTHENTICATED"]);
  const password = docs.body.paths["/v1/me/password"]?.post;
  assert.ok(password?.responses["200"]);
  assert.ok(codesOf(password, "400").includes("ERR_PASSWORD_WEAK"));
  assert.ok(codesOf(password, "403").includes("ERR_CURRENT_PASSWORD_WRONG"));
  assert.deepEqual(codesOf(password, "429"), ["ERR_LOGIN_LOCKED"]);
  const transfer = docs.body.paths["/v1/transfers/{id}"]?.get;
  assert.ok(transfer?.responses["200"]?.content?.["application/json"]?.schema?.properties?.counterparty, JSON.stringify(transfer?.responses["200"]));
  assert.deepEqual(codesOf(transfer, "404"), ["ERR_TRANSFER_NOT_FOUND"]);
  assert.ok(docs.body.paths["/v1/transfers"].post.requestBody.content["application/json"].schema.properties.note);
});

test("every response of this file had a documented error code, no 5xx, and an x-request-id", () => {
  assertEveryResponseWellFormed(h);
});
