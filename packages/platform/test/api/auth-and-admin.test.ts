// Specification: who may call what. Tokens expire, roles are enforced, a merchant's API key is shown
// once and stored only as a digest, operators approve merchants and freeze accounts, repeated wrong
// passwords lock a login for 15 minutes, and the ops endpoints answer. This file's platform logs at
// trace level into memory, to check that no password, token or API key ever reaches the logs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { apiErrors } from "../../src/errors/api-errors.js";
import { assertEveryResponseWellFormed, capturingLogger, ledgerTransferCount, openHarness, snapshot, wallet, type Harness } from "./harness.js";

const minute = 60_000;
const sessionTtlMs = 15 * minute;
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const { logger, lines: logLines } = capturingLogger();

let h: Harness;
before(async () => {
  h = await openHarness({ logger });
});
after(async () => {
  await h?.stop();
});

let msisdnSeq = 0;
/** Registers a new user through the API and returns its MSISDN and password. */
async function newUser(): Promise<{ msisdn: string; password: string; id: string }> {
  const msisdn = `+25472${String(Date.now() % 1_000_000).padStart(6, "0")}${msisdnSeq++ % 10}`;
  const password = `pw-${randomUUID()}`;
  const reply = await h.call("POST", "/v1/users", { json: { msisdn, displayName: "Test User", password } });
  assert.equal(reply.status, 201, reply.text);
  return { msisdn, password, id: reply.body.id };
}

async function operator(role: "admin" | "risk" | "support"): Promise<{ username: string; password: string; token: string }> {
  const username = `${role}.${randomUUID().slice(0, 8)}`;
  const password = `op-${randomUUID()}`;
  const created = await h.platform.services.parties.createOperator({ username, password, role });
  assert.ok(created.ok);
  const login = await h.call("POST", "/v1/admin/login", { json: { username, password } });
  assert.equal(login.status, 200, login.text);
  assert.equal(login.body.role, role);
  return { username, password, token: login.body.token };
}

function assertError(reply: { status: number; body: any; text: string }, status: number, code: string, what = ""): void {
  assert.equal(reply.status, status, `${what} ${reply.text}`);
  assert.equal(reply.body?.error?.code, code, `${what} ${reply.text}`);
}

test("no, garbage or expired credentials: 401 ERR_UNAUTHENTICATED", async (t) => {
  await t.test("missing or malformed Authorization headers", async () => {
    const headers: (Record<string, string> | undefined)[] = [
      undefined,
      { authorization: "" },
      { authorization: "Bearer" },
      { authorization: "Bearer " },
      { authorization: "Bearer garbage" },
      { authorization: `Bearer obol_at_${"A".repeat(43)}` },
      { authorization: `Bearer obol_sk_${"A".repeat(43)}` },
      { authorization: `Bearer ${h.a.token}x` },
      { authorization: `Bearer ${h.a.token} ${h.a.token}` },
      { authorization: `Bearer ${"x".repeat(300)}` },
      { authorization: `Basic ${Buffer.from(`${h.a.msisdn}:${h.a.password}`).toString("base64")}` },
      { authorization: h.a.token },
      { authorization: `Bearer ${h.a.token};drop table users` },
    ];
    for (const header of headers) {
      for (const [method, url] of [["GET", "/v1/me"], ["GET", "/v1/me/balance"], ["GET", "/v1/admin/merchants"], ["GET", "/v1/merchant"]] as const) {
        assertError(await h.call(method, url, header === undefined ? {} : { headers: header }), 401, "ERR_UNAUTHENTICATED", `${method} ${url} ${JSON.stringify(header)}`);
      }
    }
    // A token in the query string is not a credential.
    assertError(await h.call("GET", `/v1/me?access_token=${h.a.token}`), 401, "ERR_UNAUTHENTICATED");
  });

  await t.test("an unauthenticated money-moving request moves nothing", async () => {
    const before = await snapshot(h);
    const reply = await h.call("POST", "/v1/transfers", { idem: true, json: { toMsisdn: h.b.msisdn, amount: "100", currency: h.currency }, headers: { authorization: "Bearer garbage" } });
    assertError(reply, 401, "ERR_UNAUTHENTICATED");
    assert.deepEqual(await snapshot(h), before);
  });

  await t.test("a token works until its 15-minute TTL and is refused after", async () => {
    const token = await h.login(h.a.msisdn, h.a.password);
    assert.equal((await h.call("GET", "/v1/me", { token })).status, 200);
    h.clock.advance(sessionTtlMs - 1_000);
    const late = await h.call("GET", "/v1/me", { token });
    assert.equal(late.status, 200, late.text);
    assert.equal(late.body.id, h.a.id);
    h.clock.advance(2_000);
    assertError(await h.call("GET", "/v1/me", { token }), 401, "ERR_UNAUTHENTICATED");
    assertError(await h.call("POST", "/v1/transfers", { token, idem: true, json: { toMsisdn: h.b.msisdn, amount: "1", currency: h.currency } }), 401, "ERR_UNAUTHENTICATED");
    // Operators' sessions expire the same way.
    assertError(await h.call("GET", "/v1/admin/merchants", { token: h.adminToken }), 401, "ERR_UNAUTHENTICATED");
    await h.relogin();
  });
});

test("a user token on admin routes: 403 ERR_FORBIDDEN, and nothing changes", async () => {
  const merchant = await h.call("POST", "/v1/merchants", { json: { legalName: "Forbidden Test Ltd", category: "5999" } });
  assert.equal(merchant.status, 201, merchant.text);
  const id = merchant.body.id as string;
  for (const [method, url] of [
    ["GET", "/v1/admin/merchants"],
    ["POST", `/v1/admin/merchants/${id}/approve`],
    ["POST", `/v1/admin/merchants/${id}/suspend`],
    ["POST", `/v1/admin/accounts/${h.b.accountId}/freeze`],
    ["POST", `/v1/admin/accounts/${h.a.accountId}/unfreeze`],
    ["GET", "/v1/admin/ledger/verify"],
  ] as const) {
    assertError(await h.call(method, url, { token: h.a.token }), 403, "ERR_FORBIDDEN", `${method} ${url}`);
  }
  assert.equal((await h.platform.services.parties.merchantById(id))?.status, "pending");
  assert.equal((await wallet(h, h.b.id)).frozen, false);
});

test("a merchant API key on user routes, and other cross-role calls: 403 ERR_FORBIDDEN", async () => {
  const apiKey = h.demo.merchant.apiKey;
  const before = await snapshot(h);
  const moneyBody = { amount: "100", currency: h.currency };
  for (const [method, url, json] of [
    ["GET", "/v1/me", undefined],
    ["GET", "/v1/me/balance", undefined],
    ["GET", "/v1/me/history", undefined],
    ["POST", "/v1/transfers", { ...moneyBody, toMsisdn: h.b.msisdn }],
    ["POST", "/v1/me/top-ups", moneyBody],
    ["POST", "/v1/me/withdrawals", moneyBody],
    ["GET", "/v1/admin/merchants", undefined],
    ["GET", "/v1/admin/ledger/verify", undefined],
  ] as const) {
    assertError(await h.call(method, url, { token: apiKey, idem: true, ...(json ? { json } : {}) }), 403, "ERR_FORBIDDEN", `merchant key on ${method} ${url}`);
  }
  // An operator is not a user, and a user is not a merchant.
  assertError(await h.call("GET", "/v1/me/balance", { token: h.adminToken }), 403, "ERR_FORBIDDEN", "operator on a user route");
  assertError(await h.call("POST", "/v1/me/top-ups", { token: h.adminToken, idem: true, json: moneyBody }), 403, "ERR_FORBIDDEN", "operator top-up");
  assertError(await h.call("GET", "/v1/merchant", { token: h.a.token }), 403, "ERR_FORBIDDEN", "user on the merchant route");
  assertError(await h.call("GET", "/v1/merchant", { token: h.adminToken }), 403, "ERR_FORBIDDEN", "operator on the merchant route");
  assert.deepEqual(await snapshot(h), before);
  // The key itself works where it belongs.
  const own = await h.call("GET", "/v1/merchant", { token: apiKey });
  assert.equal(own.status, 200, own.text);
  assert.equal(own.body.id, h.demo.merchant.id);
  assert.equal(own.body.status, "approved");
});

test("a merchant signs up pending, gets its API key once, and the raw key is stored nowhere", async () => {
  const signup = await h.call("POST", "/v1/merchants", { json: { legalName: "Kahawa Corner Ltd", category: "5814" } });
  assert.equal(signup.status, 201, signup.text);
  assert.equal(signup.body.status, "pending");
  assert.match(signup.body.id, uuidPattern);
  const apiKey = signup.body.apiKey as string;
  assert.match(apiKey, /^obol_sk_[A-Za-z0-9_-]{43}$/);

  const me = await h.call("GET", "/v1/merchant", { token: apiKey });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.id, signup.body.id);
  assert.equal(me.body.status, "pending");
  assert.equal(me.body.apiKey, undefined, "the key is shown again");
  assert.deepEqual(me.body.balances.map((b: { currency: string; available: string }) => [b.currency, b.available]), [[h.currency, "0"]]);
  assert.ok(!me.text.includes(apiKey));

  // Neither the key nor its secret part is in any table, in any column.
  const tables = (await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(h.platform.services.db)).rows;
  assert.ok(tables.some((t) => t.table_name === "auth_api_keys"), `tables: ${tables.map((t) => t.table_name).join(", ")}`);
  const secret = apiKey.slice("obol_sk_".length);
  const secretHex = Buffer.from(secret, "base64url").toString("hex");
  for (const { table_name } of tables) {
    const dump = (await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table_name)} t`.execute(h.platform.services.db)).rows.map((r) => r.row).join("\n");
    for (const needle of [apiKey, secret, secretHex]) assert.ok(!dump.includes(needle), `the API key is stored in ${table_name}`);
  }
  const keys = (await sql<{ key_hash: Uint8Array; label: string }>`
    SELECT key_hash, label FROM auth_api_keys WHERE merchant_id = ${signup.body.id}::uuid`.execute(h.platform.services.db)).rows;
  assert.equal(keys.length, 1);
  assert.equal(Buffer.from(keys[0]!.key_hash).length, 32);
});

test("an admin approves a pending merchant once; unknown merchants are 404", async () => {
  const signup = await h.call("POST", "/v1/merchants", { json: { legalName: "Approve Me Ltd", category: "5411" } });
  assert.equal(signup.status, 201, signup.text);
  const id = signup.body.id as string;

  const pending = await h.call("GET", "/v1/admin/merchants?status=pending&limit=100", { token: h.adminToken });
  assert.equal(pending.status, 200, pending.text);
  assert.ok(pending.body.merchants.some((m: { id: string }) => m.id === id));

  const approved = await h.call("POST", `/v1/admin/merchants/${id}/approve`, { token: h.adminToken });
  assert.equal(approved.status, 200, approved.text);
  assert.equal(approved.body.status, "approved");
  assert.equal(approved.body.id, id);
  const me = await h.call("GET", "/v1/merchant", { token: signup.body.apiKey });
  assert.equal(me.body.status, "approved");

  assertError(await h.call("POST", `/v1/admin/merchants/${id}/approve`, { token: h.adminToken }), 409, "ERR_MERCHANT_STATE", "approve twice");
  assertError(await h.call("POST", `/v1/admin/merchants/${randomUUID()}/approve`, { token: h.adminToken }), 404, "ERR_MERCHANT_NOT_FOUND", "unknown id");
  assertError(await h.call("POST", `/v1/admin/merchants/${randomUUID()}/suspend`, { token: h.adminToken }), 404, "ERR_MERCHANT_NOT_FOUND", "unknown id");
  assertError(await h.call("POST", "/v1/admin/merchants/not-a-uuid/approve", { token: h.adminToken }), 400, "ERR_VALIDATION", "malformed id");

  const suspended = await h.call("POST", `/v1/admin/merchants/${id}/suspend`, { token: h.adminToken });
  assert.equal(suspended.status, 200, suspended.text);
  assert.equal(suspended.body.status, "suspended");
  assertError(await h.call("POST", `/v1/admin/merchants/${id}/suspend`, { token: h.adminToken }), 409, "ERR_MERCHANT_STATE", "suspend twice");
});

test("a risk operator can freeze and unfreeze but not approve; support can do neither", async () => {
  const risk = await operator("risk");
  const support = await operator("support");
  const signup = await h.call("POST", "/v1/merchants", { json: { legalName: "Risky Business Ltd", category: "7995" } });
  const id = signup.body.id as string;

  const frozen = await h.call("POST", `/v1/admin/accounts/${h.b.accountId}/freeze`, { token: risk.token });
  assert.equal(frozen.status, 200, frozen.text);
  assert.deepEqual(frozen.body, { accountId: h.b.accountId, frozen: true });
  assert.equal((await wallet(h, h.b.id)).frozen, true);
  const unfrozen = await h.call("POST", `/v1/admin/accounts/${h.b.accountId}/unfreeze`, { token: risk.token });
  assert.equal(unfrozen.status, 200, unfrozen.text);
  assert.equal((await wallet(h, h.b.id)).frozen, false);

  assertError(await h.call("POST", `/v1/admin/merchants/${id}/approve`, { token: risk.token }), 403, "ERR_FORBIDDEN", "risk approves");
  assertError(await h.call("GET", "/v1/admin/ledger/verify", { token: risk.token }), 403, "ERR_FORBIDDEN", "risk verifies");
  assert.equal((await h.call("GET", "/v1/admin/merchants", { token: risk.token })).status, 200);

  assertError(await h.call("POST", `/v1/admin/accounts/${h.b.accountId}/freeze`, { token: support.token }), 403, "ERR_FORBIDDEN", "support freezes");
  assertError(await h.call("POST", `/v1/admin/merchants/${id}/approve`, { token: support.token }), 403, "ERR_FORBIDDEN", "support approves");
  assert.equal((await h.call("GET", "/v1/admin/merchants", { token: support.token })).status, 200);
  assert.equal((await wallet(h, h.b.id)).frozen, false);
  assert.equal((await h.platform.services.parties.merchantById(id))?.status, "pending");

  assertError(await h.call("POST", `/v1/admin/accounts/${randomUUID()}/freeze`, { token: risk.token }), 404, "ERR_ACCOUNT_NOT_FOUND", "unknown account");
});

test("a frozen wallet can neither pay nor be paid (422 ERR_ACCOUNT_FROZEN, nothing moves); unfreezing restores it", async () => {
  const freeze = await h.call("POST", `/v1/admin/accounts/${h.a.accountId}/freeze`, { token: h.adminToken });
  assert.equal(freeze.status, 200, freeze.text);
  const balance = await h.call("GET", "/v1/me/balance", { token: h.a.token });
  assert.equal(balance.body.balances[0].frozen, true);

  const before = await snapshot(h);
  for (const [who, url, json] of [
    [h.a, "/v1/transfers", { toMsisdn: h.b.msisdn, amount: "100", currency: h.currency }],
    [h.b, "/v1/transfers", { toMsisdn: h.a.msisdn, amount: "100", currency: h.currency }],
    [h.a, "/v1/me/top-ups", { amount: "100", currency: h.currency }],
    [h.a, "/v1/me/withdrawals", { amount: "100", currency: h.currency }],
  ] as const) {
    assertError(await h.call("POST", url, { token: who.token, idem: true, json }), 422, "ERR_ACCOUNT_FROZEN", `${who.msisdn} ${url}`);
  }
  const after = await snapshot(h);
  assert.deepEqual(after.a, before.a);
  assert.deepEqual(after.b, before.b);
  assert.equal(after.transfers, before.transfers);

  const unfreeze = await h.call("POST", `/v1/admin/accounts/${h.a.accountId}/unfreeze`, { token: h.adminToken });
  assert.equal(unfreeze.status, 200, unfreeze.text);
  assert.deepEqual(unfreeze.body, { accountId: h.a.accountId, frozen: false });
  const out = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: true, json: { toMsisdn: h.b.msisdn, amount: "100", currency: h.currency } });
  assert.equal(out.status, 201, out.text);
  const back = await h.call("POST", "/v1/transfers", { token: h.b.token, idem: true, json: { toMsisdn: h.a.msisdn, amount: "40", currency: h.currency } });
  assert.equal(back.status, 201, back.text);
  assert.equal(BigInt((await wallet(h, h.a.id)).posted), BigInt(before.a.posted) - 60n);
  assert.equal(BigInt((await wallet(h, h.b.id)).posted), BigInt(before.b.posted) + 60n);
});

test("5 wrong passwords lock a login for 15 minutes, even for the right password", async (t) => {
  await t.test("user login", async () => {
    const user = await newUser();
    for (let i = 0; i < 5; i++) {
      assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: `wrong-${i}-password` } }), 401, "ERR_INVALID_CREDENTIALS", `attempt ${i + 1}`);
    }
    assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: user.password } }), 429, "ERR_LOGIN_LOCKED", "6th attempt, right password");
    // Another login is not affected.
    assert.equal((await h.call("POST", "/v1/auth/login", { json: { msisdn: h.a.msisdn, password: h.a.password } })).status, 200);

    h.clock.advance(15 * minute - 1_000);
    assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: user.password } }), 429, "ERR_LOGIN_LOCKED", "still locked");
    h.clock.advance(2_000);
    const ok = await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: user.password } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((await h.call("GET", "/v1/me", { token: ok.body.token })).body.id, user.id);
    // A success clears the count: one more wrong password is a 401, not a lock.
    assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: "wrong-again-pw" } }), 401, "ERR_INVALID_CREDENTIALS");
    await h.relogin();
  });

  await t.test("operator login", async () => {
    const risk = await operator("risk");
    for (let i = 0; i < 5; i++) {
      assertError(await h.call("POST", "/v1/admin/login", { json: { username: risk.username, password: `wrong-${i}` } }), 401, "ERR_INVALID_CREDENTIALS", `attempt ${i + 1}`);
    }
    assertError(await h.call("POST", "/v1/admin/login", { json: { username: risk.username, password: risk.password } }), 429, "ERR_LOGIN_LOCKED");
    h.clock.advance(15 * minute + 1_000);
    assert.equal((await h.call("POST", "/v1/admin/login", { json: { username: risk.username, password: risk.password } })).status, 200);
    await h.relogin();
  });
});

test("GET /v1/admin/ledger/verify is balanced after a series of movements", async () => {
  const n0 = await ledgerTransferCount(h);
  const moves: [typeof h.a, string, object][] = [];
  for (let i = 1; i <= 10; i++) {
    moves.push([i % 2 ? h.a : h.b, "/v1/transfers", { toMsisdn: i % 2 ? h.b.msisdn : h.a.msisdn, amount: String(i * 111), currency: h.currency }]);
  }
  moves.push([h.a, "/v1/me/top-ups", { amount: "25000", currency: h.currency }], [h.b, "/v1/me/withdrawals", { amount: "12345", currency: h.currency }]);
  for (const [who, url, json] of moves) {
    const reply = await h.call("POST", url, { token: who.token, idem: true, json });
    assert.equal(reply.status, 201, `${url}: ${reply.text}`);
  }
  assert.equal(await ledgerTransferCount(h), n0 + moves.length);
  const verify = await h.call("GET", "/v1/admin/ledger/verify", { token: h.adminToken });
  assert.equal(verify.status, 200, verify.text);
  assert.equal(verify.body.balanced, true, verify.text);
  assert.deepEqual(verify.body.mismatches, []);
  assert.equal(verify.body.postingsSum, "0");
  assert.ok(verify.body.accounts >= 5);
});

test("every response has an x-request-id, fresh per request and not taken from the client", async () => {
  const replies = [
    await h.call("GET", "/health"),
    await h.call("GET", "/v1/nope"),
    await h.call("GET", "/v1/me"),
    await h.call("GET", "/v1/me", { token: h.a.token }),
    await h.call("POST", "/v1/transfers", { token: h.a.token, idem: true, raw: "{" }),
    await h.call("POST", "/v1/transfers", { token: h.a.token, idem: true, json: { pad: "x".repeat(20_000) } }),
    await h.call("POST", "/v1/transfers", { token: h.a.token, idem: true, raw: "x", headers: { "content-type": "text/plain" } }),
    await h.call("GET", "/v1/me", { token: h.a.token, headers: { "x-request-id": "client-chosen-id" } }),
  ];
  assert.deepEqual(replies.map((r) => r.status), [200, 404, 401, 200, 400, 413, 415, 200]);
  const ids = replies.map((r) => r.headers["x-request-id"]);
  for (const id of ids) assert.match(String(id), uuidPattern);
  assert.equal(new Set(ids).size, ids.length, "request ids repeat");
});

test("an unknown route is 404 ERR_ROUTE_NOT_FOUND; a known route with another method is 405 ERR_METHOD_NOT_ALLOWED with Allow", async () => {
  for (const [method, url] of [["GET", "/v1/nope"], ["POST", "/nope"], ["GET", "/v2/me"]] as const) {
    const reply = await h.call(method, url, { token: h.a.token });
    assertError(reply, 404, "ERR_ROUTE_NOT_FOUND", `${method} ${url}`);
  }
  for (const [method, url, allow] of [["GET", "/v1/transfers", "POST"], ["DELETE", "/v1/me", "GET, HEAD"], ["PUT", "/v1/transfers", "POST"]] as const) {
    const reply = await h.call(method, url, { token: h.a.token });
    assertError(reply, 405, "ERR_METHOD_NOT_ALLOWED", `${method} ${url}`);
    assert.equal(reply.headers.allow, allow, `${method} ${url}`);
  }
});

test("/health, /ready and /metrics answer", async () => {
  const health = await h.call("GET", "/health");
  assert.equal(health.status, 200);
  assert.deepEqual(health.body, { status: "ok" });
  const ready = await h.call("GET", "/ready");
  assert.equal(ready.status, 200, ready.text);
  assert.deepEqual(ready.body, { status: "ready" });
  const metrics = await h.call("GET", "/metrics");
  assert.equal(metrics.status, 200);
  assert.match(String(metrics.headers["content-type"]), /^text\/plain/);
  assert.match(metrics.text, /^# TYPE obol_http_requests_total counter$/m);
  assert.match(metrics.text, /^obol_http_requests_total\{method="GET",route="\/health",status="200"\} [1-9]/m);
  assert.match(metrics.text, /^obol_http_requests_total\{method="POST",route="\/v1\/transfers",status="201"\} [1-9]/m);
});

test("/docs/json is OpenAPI 3 and documents /v1/transfers with the bearer security scheme", async () => {
  const docs = await h.call("GET", "/docs/json");
  assert.equal(docs.status, 200, docs.text.slice(0, 200));
  assert.match(docs.body.openapi, /^3\.\d+\.\d+$/);
  assert.deepEqual(docs.body.components.securitySchemes.bearerAuth, { ...docs.body.components.securitySchemes.bearerAuth, type: "http", scheme: "bearer" });
  const transfers = docs.body.paths["/v1/transfers"]?.post;
  assert.ok(transfers, `paths: ${Object.keys(docs.body.paths).join(", ")}`);
  assert.deepEqual(transfers.security, [{ bearerAuth: [] }]);
  assert.ok(transfers.requestBody, "the transfer body is documented");
  for (const path of ["/v1/users", "/v1/auth/login", "/v1/me/top-ups", "/v1/me/withdrawals", "/v1/merchants", "/v1/admin/ledger/verify", "/health"]) {
    assert.ok(docs.body.paths[path], `${path} is not documented`);
  }
  const ui = await h.call("GET", "/docs");
  assert.ok(ui.status === 200 || ui.status === 302, `/docs answered ${ui.status}`);
});

test("no password, token or API key reaches the logs", async () => {
  const linesBefore = logLines.length;
  const user = await newUser();
  const wrongPassword = `wrong-${randomUUID()}`;
  assertError(await h.call("POST", "/v1/auth/login", { json: { msisdn: user.msisdn, password: wrongPassword } }), 401, "ERR_INVALID_CREDENTIALS");
  const token = await h.login(user.msisdn, user.password);
  const topUp = await h.call("POST", "/v1/me/top-ups", { token, idem: true, json: { amount: "1000", currency: h.currency } });
  assert.equal(topUp.status, 201, topUp.text);
  const transfer = await h.call("POST", "/v1/transfers", { token, idem: true, json: { toMsisdn: h.a.msisdn, amount: "500", currency: h.currency } });
  assert.equal(transfer.status, 201, transfer.text);
  const signup = await h.call("POST", "/v1/merchants", { json: { legalName: "Log Check Ltd", category: "5812" } });
  const apiKey = signup.body.apiKey as string;
  assert.equal((await h.call("GET", "/v1/merchant", { token: apiKey })).status, 200);
  const adminLogin = await h.call("POST", "/v1/admin/login", { json: h.demo.operator });
  assert.equal(adminLogin.status, 200);
  await h.relogin();

  assert.ok(logLines.length > linesBefore, "nothing was logged: the capture does not work");
  const logs = logLines.join("");
  assert.match(logs, /"reqId":"[0-9a-f-]{36}"/, "request logs are missing");
  const secrets: [string, string][] = [
    ["user password", user.password], ["wrong password", wrongPassword], ["user token", token], ["user token secret", token.slice("obol_at_".length)],
    ["API key", apiKey], ["API key secret", apiKey.slice("obol_sk_".length)], ["admin password", h.demo.operator.password],
    ["admin token", adminLogin.body.token], ["demo user password", h.a.password], ["demo user token", h.a.token], ["demo API key", h.demo.merchant.apiKey],
  ];
  for (const [what, secret] of secrets) assert.ok(!logs.includes(secret), `the ${what} is in the logs`);
  assert.ok(!/authorization/i.test(logs), "an Authorization header is in the logs");
});

test("every response of this file had a documented error code, no 5xx, and an x-request-id", () => {
  assertEveryResponseWellFormed(h);
  for (const code of h.errorCodes.keys()) assert.ok(code in apiErrors);
});
