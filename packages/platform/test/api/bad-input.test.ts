// Specification: hostile input to the API is refused with a documented status and error code, and a
// refused request writes nothing: no money moves, no ledger transfer appears, and a request refused
// before any work (bad body, bad key) claims no Idempotency-Key. A business refusal (insufficient
// funds, unknown recipient, ...) is stored under its key, so that a retry gets the same answer.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import { assertEveryResponseWellFormed, ledgerTransferCount, openHarness, snapshot, storedAnswer, wallet, type Harness } from "./harness.js";

/** Set low on purpose, to check that the configured limit (not a constant) is enforced. */
const bankTransferAmountMax = 1_000_000n;
const int64Max = "9223372036854775807";

let h: Harness;
before(async () => {
  h = await openHarness({ env: { OBOL_BANK_TRANSFER_AMOUNT_MAX: String(bankTransferAmountMax) } });
});
after(async () => {
  await h?.stop();
});

interface Case {
  name: string;
  json?: unknown;
  /** A raw body, sent with content-type application/json unless headers say otherwise. */
  raw?: string;
  headers?: Record<string, string>;
  /** The Idempotency-Key: a fresh one unless given; null sends none. */
  key?: string | null;
  status: number;
  code: string;
  /** A business refusal: its answer is stored under the key. Otherwise no idempotency row may appear. */
  stored?: boolean;
}

async function countRows(table: "users" | "merchants" | "ledger_accounts" | "auth_api_keys"): Promise<number> {
  const rows = (await sql<{ n: string | number | bigint }>`SELECT count(*) AS n FROM ${sql.table(table)}`.execute(h.platform.services.db)).rows;
  return Number(rows[0]!.n);
}

/** Sends one hostile request as user A and checks the answer and that nothing was written. */
async function refused(url: string, c: Case): Promise<void> {
  const key = c.key === undefined ? `bad-input-${randomUUID()}` : c.key;
  const before = await snapshot(h);
  const reply = await h.call("POST", url, {
    token: h.a.token,
    ...(key === null ? {} : { idem: key }),
    ...(c.json === undefined ? {} : { json: c.json }),
    ...(c.raw === undefined ? {} : { raw: c.raw }),
    ...(c.headers === undefined ? {} : { headers: c.headers }),
  });
  assert.equal(reply.status, c.status, `status; body: ${reply.text}`);
  assert.equal(reply.body?.error?.code, c.code, `error code; body: ${reply.text}`);
  assert.equal(typeof reply.body.error.message, "string");

  const after = await snapshot(h);
  assert.deepEqual(after.a, before.a, "the caller's wallet changed");
  assert.deepEqual(after.b, before.b, "the other user's wallet changed");
  assert.equal(after.transfers, before.transfers, "the ledger's transfer count changed");
  if (c.stored) {
    assert.equal(after.idempotency.answered, before.idempotency.answered + 1, "the business refusal was not stored");
    const stored = await storedAnswer(h, h.a.id, key!);
    assert.equal(stored?.status, c.status);
    assert.deepEqual(stored?.response, reply.body);
  } else {
    assert.deepEqual(after.idempotency, before.idempotency, "an idempotency row was written for a request refused before any work");
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype was polluted");
}

const badAmounts = ["0", "-5", "1.5", "01", "", "9223372036854775808", " 100", "100 ", "1e3", "0x10", "+100", "١٠٠", "1".repeat(21)];

/** Cases every money-moving endpoint shares; `base` is a valid body of the endpoint. */
function commonCases(base: Record<string, unknown>): Case[] {
  const text = JSON.stringify(base);
  const { amount: _amount, ...noAmount } = base;
  const { currency: _currency, ...noCurrency } = base;
  return [
    { name: "malformed JSON", raw: text.slice(0, -1), status: 400, code: "ERR_MALFORMED_JSON" },
    { name: "empty body with a JSON content-type", raw: "", status: 400, code: "ERR_MALFORMED_JSON" },
    { name: "no body at all", status: 400, code: "ERR_VALIDATION" },
    { name: "JSON null", raw: "null", status: 400, code: "ERR_VALIDATION" },
    { name: "JSON array of the body", raw: `[${text}]`, status: 400, code: "ERR_VALIDATION" },
    { name: "JSON string of the body", raw: JSON.stringify(text), status: 400, code: "ERR_VALIDATION" },
    { name: "text/plain content-type", raw: text, headers: { "content-type": "text/plain" }, status: 415, code: "ERR_UNSUPPORTED_MEDIA_TYPE" },
    { name: "form content-type", raw: "amount=100&currency=KES", headers: { "content-type": "application/x-www-form-urlencoded" }, status: 415, code: "ERR_UNSUPPORTED_MEDIA_TYPE" },
    { name: "body over the 16 KiB limit", json: { ...base, padding: "x".repeat(16 * 1024) }, status: 413, code: "ERR_BODY_TOO_LARGE" },
    { name: "unknown field", json: { ...base, memo: "hello" }, status: 400, code: "ERR_VALIDATION" },
    { name: "__proto__ pollution", raw: `${text.slice(0, -1)},"__proto__":{"polluted":true}}`, status: 400, code: "ERR_MALFORMED_JSON" },
    { name: "constructor.prototype pollution", raw: `${text.slice(0, -1)},"constructor":{"prototype":{"polluted":true}}}`, status: 400, code: "ERR_MALFORMED_JSON" },
    { name: "amount as a number", json: { ...base, amount: 100 }, status: 400, code: "ERR_AMOUNT_INVALID" },
    { name: "amount as an array", json: { ...base, amount: ["100"] }, status: 400, code: "ERR_AMOUNT_INVALID" },
    { name: "amount missing", json: noAmount, status: 400, code: "ERR_AMOUNT_INVALID" },
    ...badAmounts.map((amount): Case => ({ name: `amount ${JSON.stringify(amount)}`, json: { ...base, amount }, status: 400, code: "ERR_AMOUNT_INVALID" })),
    { name: "currency as a number", json: { ...base, currency: 404 }, status: 400, code: "ERR_CURRENCY_UNKNOWN" },
    { name: "currency missing", json: noCurrency, status: 400, code: "ERR_CURRENCY_UNKNOWN" },
    { name: "unknown currency XXQ", json: { ...base, currency: "XXQ" }, status: 400, code: "ERR_CURRENCY_UNKNOWN" },
    { name: "lower-case currency kes", json: { ...base, currency: "kes" }, status: 400, code: "ERR_CURRENCY_UNKNOWN" },
    { name: "over-long currency", json: { ...base, currency: "KESKES" }, status: 400, code: "ERR_CURRENCY_UNKNOWN" },
    { name: "ISO currency the platform does not hold (USD)", json: { ...base, currency: "USD" }, status: 422, code: "ERR_CURRENCY_UNSUPPORTED", stored: true },
    { name: "no Idempotency-Key", json: base, key: null, status: 400, code: "ERR_IDEMPOTENCY_KEY_REQUIRED" },
    ...([
      ["empty", ""], ["7 characters", "1234567"], ["256 characters", "k".repeat(256)], ["a space", "has a space"],
      ["non-ASCII", "schlüssel-123"], ["a tab", "tab\tinside-key"],
    ] as const).map(([what, key]): Case => ({ name: `Idempotency-Key with ${what}`, json: base, key, status: 400, code: "ERR_IDEMPOTENCY_KEY_INVALID" })),
  ];
}

test("POST /v1/transfers refuses hostile input with the exact code and moves nothing", async (t) => {
  const base = { toMsisdn: h.b.msisdn, amount: "100", currency: h.currency };
  const available = BigInt((await wallet(h, h.a.id)).available);
  const { toMsisdn: _to, ...noRecipient } = base;
  const cases: Case[] = [
    ...commonCases(base),
    { name: "toMsisdn as an array", json: { ...base, toMsisdn: [h.b.msisdn] }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "toMsisdn as a number", json: { ...base, toMsisdn: 254700000002 }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "toMsisdn of 100 characters", json: { ...base, toMsisdn: `+${"2".repeat(99)}` }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "toMsisdn not in E.164 form", json: { ...base, toMsisdn: "0700000002" }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "toMsisdn missing", json: noRecipient, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "unknown recipient", json: { ...base, toMsisdn: "+254799999999" }, status: 404, code: "ERR_RECIPIENT_NOT_FOUND", stored: true },
    { name: "transfer to oneself", json: { ...base, toMsisdn: h.a.msisdn }, status: 422, code: "ERR_SELF_TRANSFER", stored: true },
    { name: "one more than the balance", json: { ...base, amount: String(available + 1n) }, status: 422, code: "ERR_INSUFFICIENT_FUNDS", stored: true },
    { name: `amount ${int64Max} (valid format, no such funds)`, json: { ...base, amount: int64Max }, status: 422, code: "ERR_INSUFFICIENT_FUNDS", stored: true },
  ];
  for (const c of cases) await t.test(c.name, () => refused("/v1/transfers", c));
});

test("POST /v1/me/top-ups refuses hostile input with the exact code and moves nothing", async (t) => {
  const base = { amount: "100", currency: h.currency };
  const cases: Case[] = [
    ...commonCases(base),
    { name: "a transfer's toMsisdn field", json: { ...base, toMsisdn: h.b.msisdn }, status: 400, code: "ERR_VALIDATION" },
    { name: "one above OBOL_BANK_TRANSFER_AMOUNT_MAX", json: { ...base, amount: String(bankTransferAmountMax + 1n) }, status: 422, code: "ERR_AMOUNT_LIMIT", stored: true },
    { name: `amount ${int64Max}`, json: { ...base, amount: int64Max }, status: 422, code: "ERR_AMOUNT_LIMIT", stored: true },
  ];
  for (const c of cases) await t.test(c.name, () => refused("/v1/me/top-ups", c));
});

test("POST /v1/me/withdrawals refuses hostile input with the exact code and moves nothing", async (t) => {
  const base = { amount: "100", currency: h.currency };
  const available = BigInt((await wallet(h, h.a.id)).available);
  assert.ok(available + 1n <= bankTransferAmountMax, "the test needs a balance below the withdrawal limit");
  const cases: Case[] = [
    ...commonCases(base),
    { name: "one more than the balance", json: { ...base, amount: String(available + 1n) }, status: 422, code: "ERR_INSUFFICIENT_FUNDS", stored: true },
    { name: "one above OBOL_BANK_TRANSFER_AMOUNT_MAX", json: { ...base, amount: String(bankTransferAmountMax + 1n) }, status: 422, code: "ERR_AMOUNT_LIMIT", stored: true },
    { name: `amount ${int64Max}`, json: { ...base, amount: int64Max }, status: 422, code: "ERR_AMOUNT_LIMIT", stored: true },
  ];
  for (const c of cases) await t.test(c.name, () => refused("/v1/me/withdrawals", c));
});

test("the boundaries of the same inputs are accepted and move exactly the amount", async () => {
  const transfersBefore = await ledgerTransferCount(h);
  const a0 = BigInt((await wallet(h, h.a.id)).posted);
  const b0 = BigInt((await wallet(h, h.b.id)).posted);

  // Smallest amount, shortest key.
  const p2p = await h.call("POST", "/v1/transfers", { token: h.a.token, idem: "k".repeat(8), json: { toMsisdn: h.b.msisdn, amount: "1", currency: h.currency } });
  assert.equal(p2p.status, 201, p2p.text);
  assert.equal(p2p.body.amount, "1");
  // The top-up limit itself, longest key.
  const topUp = await h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: "t".repeat(255), json: { amount: String(bankTransferAmountMax), currency: h.currency } });
  assert.equal(topUp.status, 201, topUp.text);
  // The withdrawal limit itself, then the whole rest of the balance.
  const atLimit = await h.call("POST", "/v1/me/withdrawals", { token: h.a.token, idem: true, json: { amount: String(bankTransferAmountMax), currency: h.currency } });
  assert.equal(atLimit.status, 201, atLimit.text);
  const rest = (await wallet(h, h.a.id)).available;
  assert.equal(BigInt(rest), a0 - 1n);
  const all = await h.call("POST", "/v1/me/withdrawals", { token: h.a.token, idem: true, json: { amount: rest, currency: h.currency } });
  assert.equal(all.status, 201, all.text);

  assert.deepEqual(await wallet(h, h.a.id), { posted: "0", held: "0", available: "0", frozen: false });
  assert.equal(BigInt((await wallet(h, h.b.id)).posted), b0 + 1n);
  assert.equal(await ledgerTransferCount(h), transfersBefore + 4);

  // Put A's money back for any later test.
  const back = await h.call("POST", "/v1/me/top-ups", { token: h.a.token, idem: true, json: { amount: String(a0), currency: h.currency } });
  assert.equal(back.status, 201, back.text);
});

test("POST /v1/users refuses bad input with the exact code and creates nothing", async (t) => {
  const valid = { msisdn: "+254711000001", displayName: "Chebet Wanjiru", password: "correct horse battery" };
  const cases: { name: string; json: unknown; status: number; code: string }[] = [
    { name: "MSISDN without +", json: { ...valid, msisdn: "0711000001" }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "MSISDN with spaces", json: { ...valid, msisdn: "+254 711 000 001" }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "MSISDN with a leading 0 country code", json: { ...valid, msisdn: "+0254711000001" }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "MSISDN too short", json: { ...valid, msisdn: "+2547110" }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "MSISDN of 100 characters", json: { ...valid, msisdn: `+${"7".repeat(99)}` }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "MSISDN as a number", json: { ...valid, msisdn: 254711000001 }, status: 400, code: "ERR_MSISDN_INVALID" },
    { name: "duplicate MSISDN", json: { ...valid, msisdn: h.a.msisdn }, status: 409, code: "ERR_MSISDN_TAKEN" },
    { name: "password of 9 characters", json: { ...valid, password: "123456789" }, status: 400, code: "ERR_VALIDATION" },
    { name: "password of 129 characters", json: { ...valid, password: "p".repeat(129) }, status: 400, code: "ERR_VALIDATION" },
    { name: "password missing", json: { msisdn: valid.msisdn, displayName: valid.displayName }, status: 400, code: "ERR_VALIDATION" },
    { name: "displayName of 65 characters", json: { ...valid, displayName: "d".repeat(65) }, status: 400, code: "ERR_VALIDATION" },
    { name: "displayName of blanks only", json: { ...valid, displayName: "   " }, status: 400, code: "ERR_VALIDATION" },
    { name: "displayName with a NUL character", json: { ...valid, displayName: "Chebet\u0000Wanjiru" }, status: 400, code: "ERR_VALIDATION" },
    { name: "displayName as an object", json: { ...valid, displayName: { first: "Chebet" } }, status: 400, code: "ERR_VALIDATION" },
    { name: "unknown field (status)", json: { ...valid, status: "active" }, status: 400, code: "ERR_VALIDATION" },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const users = await countRows("users");
      const accounts = await countRows("ledger_accounts");
      const reply = await h.call("POST", "/v1/users", { json: c.json });
      assert.equal(reply.status, c.status, reply.text);
      assert.equal(reply.body?.error?.code, c.code, reply.text);
      assert.equal(await countRows("users"), users, "a user was created");
      assert.equal(await countRows("ledger_accounts"), accounts, "a ledger account was created");
    });
  }
  await t.test("the boundaries are accepted: 64-character name, 10-character password, a new wallet at zero", async () => {
    const reply = await h.call("POST", "/v1/users", { json: { ...valid, displayName: "n".repeat(64), password: "0123456789" } });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.body.displayName, "n".repeat(64));
    assert.equal(reply.body.passwordHash, undefined);
    assert.equal(reply.body.password, undefined);
    assert.deepEqual(await wallet(h, reply.body.id), { posted: "0", held: "0", available: "0", frozen: false });
  });
});

test("POST /v1/merchants refuses bad input and creates no merchant and no API key", async (t) => {
  const valid = { legalName: "Mama Mboga Ltd", category: "5411" };
  const cases: { name: string; json: unknown; status: number; code: string }[] = [
    { name: "legalName of 129 characters", json: { ...valid, legalName: "L".repeat(129) }, status: 400, code: "ERR_VALIDATION" },
    { name: "legalName empty", json: { ...valid, legalName: "" }, status: 400, code: "ERR_VALIDATION" },
    { name: "legalName with a NUL character", json: { ...valid, legalName: "Mama\u0000Mboga" }, status: 400, code: "ERR_VALIDATION" },
    { name: "category of 3 digits", json: { ...valid, category: "541" }, status: 400, code: "ERR_VALIDATION" },
    { name: "category with a letter", json: { ...valid, category: "54a1" }, status: 400, code: "ERR_VALIDATION" },
    { name: "category as a number", json: { ...valid, category: 5411 }, status: 400, code: "ERR_VALIDATION" },
    { name: "self-approval through an unknown field", json: { ...valid, status: "approved" }, status: 400, code: "ERR_VALIDATION" },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const merchants = await countRows("merchants");
      const keys = await countRows("auth_api_keys");
      const reply = await h.call("POST", "/v1/merchants", { json: c.json });
      assert.equal(reply.status, c.status, reply.text);
      assert.equal(reply.body?.error?.code, c.code, reply.text);
      assert.equal(await countRows("merchants"), merchants, "a merchant was created");
      assert.equal(await countRows("auth_api_keys"), keys, "an API key was issued");
    });
  }
  await t.test("a 128-character legalName is accepted", async () => {
    const reply = await h.call("POST", "/v1/merchants", { json: { ...valid, legalName: "L".repeat(128) } });
    assert.equal(reply.status, 201, reply.text);
    assert.equal(reply.body.status, "pending");
  });
});

test("POST /v1/admin/login refuses malformed usernames with 400, not a database error", async () => {
  for (const json of [
    { username: "ad\u0000min", password: "whatever-password" },
    { username: "a".repeat(33), password: "whatever-password" },
    { username: "admin", password: "whatever-password", role: "admin" },
  ]) {
    const reply = await h.call("POST", "/v1/admin/login", { json });
    assert.equal(reply.status, 400, `${JSON.stringify(json)}: ${reply.text}`);
    assert.equal(reply.body.error.code, "ERR_VALIDATION");
  }
});

test("GET /v1/me/history refuses bad query parameters", async (t) => {
  const cases: [string, number, string][] = [
    ["limit=0", 400, "ERR_VALIDATION"],
    ["limit=101", 400, "ERR_VALIDATION"],
    ["limit=abc", 400, "ERR_VALIDATION"],
    ["limit=1.5", 400, "ERR_VALIDATION"],
    ["limit=-1", 400, "ERR_VALIDATION"],
    ["limit=", 400, "ERR_VALIDATION"],
    ["limit=1&limit=2", 400, "ERR_VALIDATION"],
    ["foo=1", 400, "ERR_VALIDATION"],
    ["before=-1", 400, "ERR_VALIDATION"],
    ["before=abc", 400, "ERR_VALIDATION"],
    ["before=1234567890123456789", 400, "ERR_VALIDATION"],
    ["currency=XXQ", 400, "ERR_CURRENCY_UNKNOWN"],
    ["currency=USD", 422, "ERR_CURRENCY_UNSUPPORTED"],
  ];
  for (const [query, status, code] of cases) {
    await t.test(query, async () => {
      const reply = await h.call("GET", `/v1/me/history?${query}`, { token: h.a.token });
      assert.equal(reply.status, status, reply.text);
      assert.equal(reply.body?.error?.code, code, reply.text);
    });
  }
  await t.test("limit=1 and limit=100 are accepted, and the cursor pages", async () => {
    const first = await h.call("GET", "/v1/me/history?limit=1", { token: h.a.token });
    assert.equal(first.status, 200, first.text);
    assert.equal(first.body.entries.length, 1);
    assert.equal(typeof first.body.next, "string");
    const all = await h.call("GET", "/v1/me/history?limit=100", { token: h.a.token });
    assert.equal(all.status, 200, all.text);
    assert.ok(all.body.entries.length > 1);
    const second = await h.call("GET", `/v1/me/history?limit=1&before=${first.body.next}`, { token: h.a.token });
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.body.entries[0], all.body.entries[1]);
  });
});

test("every response of this file had a documented error code, no 5xx, and an x-request-id", () => {
  assertEveryResponseWellFormed(h);
});
