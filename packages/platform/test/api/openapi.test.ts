// Specification: the OpenAPI document served at /openapi.json is the truth about every answer. Every
// request of this file goes through one recorder that checks its answer against the document: the status
// is declared for that operation, the content type is one the operation declares, and a JSON body
// validates against the declared schema (ajv, a real JSON Schema validator). The scenario drives every
// operation to a success and, where the document declares one, to a client error; a coverage check fails
// for any operation that was not, so a new route cannot skip this. The platform runs in memory with the
// reference bank in process, so banking and settlement answer for real. The bank timeout is long: it
// only catches a deadlock, never a busy machine.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { Ajv, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import { pino } from "pino";
import type { InjectOptions } from "fastify";
import { createReferenceBank, inProcessTransport, loadBankConfig, type ReferenceBank } from "@obol/bank";
import { fromHex, merchant, wallet, type PublicParams } from "@obol/svs";
import { loadConfig } from "../../src/config.js";
import { seedDemoData, type DemoLogins } from "../../src/demo-data.js";
import { createPlatform, type Platform } from "../../src/platform.js";
import { parseFrames } from "../../src/ecash/frames.js";
import { enrolDevice, type Device } from "../support/device.js";
import type { Harness, Party, Reply } from "./harness.js";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const rng = (n: number) => new Uint8Array(randomBytes(n));

interface Operation { responses: Record<string, { content?: Record<string, { schema: unknown }> }>; security?: unknown[]; parameters?: { in: string; name: string; required?: boolean }[]; requestBody?: unknown }

let platform: Platform;
let bank: ReferenceBank;
let demo: DemoLogins;
/** The real clock: the reference bank checks message timestamps against its own. */
const clock = { get now() { return Date.now(); }, read: () => Date.now() };
let currency: string;
let document: { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };
let routes: { template: string; pattern: RegExp }[];
const ajv = addFormats(new Ajv({ strict: false, allErrors: true }));
const validators = new Map<string, ValidateFunction>();
/** "METHOD /template" → statuses answered. */
const answered = new Map<string, Set<number>>();
/** Everything the platform logged at warn or above (an undeclared error code, an unhandled error). */
const logged: { level: number; msg: string; code?: string; route?: string }[] = [];

let a: Party;
let b: Party;
let adminToken: string;
let merchantKey: string;

function templateOf(url: string): string | undefined {
  const path = url.split("?")[0]!;
  return routes.find((route) => route.pattern.test(path))?.template;
}

function validatorFor(key: string, schema: unknown): ValidateFunction {
  let validate = validators.get(key);
  if (validate === undefined) {
    const rebased = JSON.parse(JSON.stringify(schema).replaceAll("\"#/components/", "\"openapi.json#/components/"));
    validate = ajv.compile(rebased);
    validators.set(key, validate);
  }
  return validate;
}

/** Injects a request and checks its answer against the document (status declared, content type declared, JSON body valid). */
async function inject(options: InjectOptions): Promise<Awaited<ReturnType<Platform["app"]["inject"]>>> {
  const response = await platform.app.inject(options);
  const method = String(options.method ?? "GET").toUpperCase();
  const url = String(options.url);
  const template = templateOf(url);
  assert.ok(template !== undefined, `${method} ${url}: no such path in the document`);
  const operation = document.paths[template]![method.toLowerCase()];
  assert.ok(operation !== undefined, `${method} ${template}: not in the document`);
  const label = `${method} ${template}`;
  const statuses = answered.get(label) ?? new Set<number>();
  statuses.add(response.statusCode);
  answered.set(label, statuses);
  const declared = operation.responses[String(response.statusCode)];
  assert.ok(declared !== undefined, `${label} answered ${response.statusCode}, which the document does not declare: ${response.body.slice(0, 300)}`);
  if (response.statusCode === 204) {
    assert.equal(response.body, "", `${label}: 204 with a body`);
    return response;
  }
  const contentType = String(response.headers["content-type"] ?? "").split(";")[0]!.trim();
  const content = declared.content ?? {};
  assert.ok(contentType in content, `${label} ${response.statusCode} answered ${contentType}; the document declares ${Object.keys(content).join(", ")}`);
  if (contentType === "application/json") {
    const validate = validatorFor(`${label} ${response.statusCode}`, content[contentType]!.schema);
    const body = JSON.parse(response.body);
    assert.ok(validate(body), `${label} ${response.statusCode}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${response.body.slice(0, 500)}`);
  }
  return response;
}

interface CallOptions { token?: string; json?: unknown; raw?: string; contentType?: string; binary?: Uint8Array; idem?: string | true; headers?: Record<string, string> }

async function call(method: string, url: string, o: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
  if (o.idem !== undefined) headers["idempotency-key"] = o.idem === true ? randomUUID() : o.idem;
  let payload: string | Buffer | undefined;
  if (o.json !== undefined) {
    payload = JSON.stringify(o.json);
    headers["content-type"] = "application/json";
  }
  if (o.raw !== undefined) {
    payload = o.raw;
    headers["content-type"] = o.contentType ?? "application/json";
  }
  if (o.binary !== undefined) {
    payload = Buffer.from(o.binary);
    headers["content-type"] = o.contentType ?? "application/octet-stream";
  }
  Object.assign(headers, o.headers);
  const response = await inject({ method: method as "GET", url, headers, ...(payload === undefined ? {} : { payload }) });
  let body: any;
  try {
    body = response.json();
  } catch {
    body = undefined;
  }
  return { status: response.statusCode, headers: response.headers, body, text: response.body, bytes: new Uint8Array(response.rawPayload) };
}

function expect(reply: Reply, status: number, what: string): any {
  assert.equal(reply.status, status, `${what}: ${reply.text.slice(0, 300)}`);
  return reply.body;
}

function expectError(reply: Reply, status: number, code: string, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.text.slice(0, 300)}`);
  assert.equal(reply.body?.error?.code, code, `${what}: ${reply.text.slice(0, 300)}`);
}

async function login(msisdn: string, password: string): Promise<string> {
  return expect(await call("POST", "/v1/auth/login", { json: { msisdn, password } }), 200, `login ${msisdn}`).token;
}

/** What the device helper needs of a harness, with every request going through the recorder. */
function deviceHarness(): Harness {
  const recorded = { ...platform, app: { ...platform.app, inject } } as unknown as Platform;
  return { platform: recorded, clock, adminToken, call: (method: string, url: string, o: CallOptions = {}) => call(method, url, o) } as unknown as Harness;
}

before(async () => {
  bank = await createReferenceBank(loadBankConfig({ LOG_LEVEL: "silent" }), { logger: false, memory: true });
  const config = loadConfig({ DATABASE_URL: "", OBOL_BANK_TIMEOUT_MS: "60000", OBOL_BANK_RETRY_MS: "10", OBOL_BANK_SWEEP_INTERVAL_MS: "600000" });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logged.push(JSON.parse(line));
      done();
    },
  });
  platform = await createPlatform(config, {
    logger: pino({ level: "warn" }, sink), memory: true, settlementScheduler: "manual", webhookWorker: "manual",
    bank: { transport: inProcessTransport(bank.service), certificatesPem: bank.certificatesPem },
  });
  const keys = platform.services.pki.keys;
  await bank.books.registerClient(config.bank.clientId, keys.signing.certificateDer, keys.encryption.certificateDer);
  demo = (await seedDemoData(platform.services, bank))!;
  currency = config.currencies[0]!;
  const served = await platform.app.inject({ method: "GET", url: "/openapi.json" });
  assert.equal(served.statusCode, 200);
  document = served.json();
  ajv.addSchema({ $id: "openapi.json", components: document.components });
  routes = Object.keys(document.paths)
    .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{[^}]+\}/g, "[^/]+")}$`) }))
    // Literal segments before parameters: /v1/payments/by-reference/{reference} before /v1/payments/{id}/….
    .sort((x, y) => (x.template.match(/\{/g)?.length ?? 0) - (y.template.match(/\{/g)?.length ?? 0));
  const party = async (index: number): Promise<Party> => {
    const { msisdn, password } = demo.users[index]!;
    const user = (await platform.services.parties.userByMsisdn(msisdn))!;
    const account = (await platform.services.wallet.balances(user.id)).find((w) => w.currency === currency)!;
    return { id: user.id, msisdn, password, accountId: account.accountId, token: await login(msisdn, password) };
  };
  a = await party(0);
  b = await party(1);
  adminToken = expect(await call("POST", "/v1/admin/login", { json: demo.operator }), 200, "admin login").token;
  merchantKey = demo.merchant.apiKey;
});
after(async () => {
  await platform?.stop();
  await bank?.stop();
});

describe("the document", () => {
  test("has the product's own title, tags, security schemes, and a required Idempotency-Key on every money-moving operation", () => {
    const doc = document as any;
    assert.equal(doc.info.title, "Obol API");
    assert.match(doc.info.description, /minor units/);
    assert.deepEqual(Object.keys(doc.components.securitySchemes).sort(), ["bearerAuth", "merchantApiKey"]);
    assert.ok(doc.components.schemas.Error, "the shared Error component");
    for (const [path, method] of [["/v1/transfers", "post"], ["/v1/me/top-ups", "post"], ["/v1/me/withdrawals", "post"], ["/v1/payments", "post"], ["/v1/payments/{id}/refunds", "post"]] as const) {
      const header = doc.paths[path][method].parameters.find((p: { in: string; name: string }) => p.in === "header" && p.name === "idempotency-key");
      assert.equal(header?.required, true, `${method} ${path}: Idempotency-Key required`);
      assert.ok(doc.paths[path][method].responses["409"], `${method} ${path}: 409 ERR_IDEMPOTENCY_MISMATCH declared`);
    }
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations) as [string, any][]) {
        assert.ok(operation.tags?.length > 0, `${method} ${path}: no tag`);
        assert.ok(Object.keys(operation.responses).some((s) => s.startsWith("2")), `${method} ${path}: no success response`);
        assert.ok(!Object.values(operation.responses).some((r: any) => r.description === "Default Response"), `${method} ${path}: an undescribed response`);
        for (const [status, response] of Object.entries(operation.responses) as [string, any][]) {
          if (Number(status) < 400) continue;
          const schema = response.content["application/json"].schema;
          assert.equal(schema.allOf[0].$ref, "#/components/schemas/Error", `${method} ${path} ${status}: the shared Error shape`);
          assert.ok(schema.allOf[1].properties.error.properties.code.enum.length > 0, `${method} ${path} ${status}: its codes`);
        }
      }
    }
  });

  test("the transfer example pays someone else, in minor units", () => {
    const example = (document as any).paths["/v1/transfers"].post.requestBody.content["application/json"].schema.example;
    assert.match(example.amount, /^[0-9]+$/);
    assert.notEqual(example.toMsisdn, (document as any).paths["/v1/users"].post.requestBody.content["application/json"].schema.properties.msisdn.example);
    assert.notEqual(example.toMsisdn, demo.users[0]!.msisdn, "the first demo user (the walkthrough's sender) would pay itself");
  });
});

describe("every operation, driven for real", () => {
  let phoneA: Device;
  let params: PublicParams;

  test("ops and PKI", async () => {
    expect(await call("GET", "/health"), 200, "health");
    expect(await call("GET", "/ready"), 200, "ready");
    expect(await call("GET", "/metrics"), 200, "metrics");
    expect(await call("GET", "/pki/ca"), 200, "CA");
    expect(await call("GET", "/pki/crl"), 200, "CRL");
    expect(await call("POST", "/pki/ocsp", { binary: new Uint8Array([0x30, 0x00]), contentType: "application/ocsp-request" }), 200, "OCSP POST, malformedRequest in band");
    expectError(await call("POST", "/pki/ocsp", { json: {} }), 415, "ERR_UNSUPPORTED_MEDIA_TYPE", "OCSP POST as JSON");
    expect(await call("GET", "/pki/ocsp/MAA%3D"), 200, "OCSP GET");
    expectError(await call("GET", `/pki/ocsp/${"A".repeat(5000)}`), 414, "ERR_URI_TOO_LONG", "OCSP GET, too long");

    expectError(await call("POST", "/v1/admin/enrolment-codes", { token: adminToken, json: { msisdn: "+254799999999" } }), 404, "ERR_NOT_FOUND", "code for nobody");
    phoneA = await enrolDevice(deviceHarness(), a);
    const compactId = phoneA.compactId;
    expectError(await call("POST", "/v1/pki/enrol", { token: a.token, json: { code: "000000000000", csr: "not a certificate request" } }), 400, "ERR_CSR_INVALID", "bad CSR");
    const found = expect(await call("GET", `/v1/pki/certificates/${compactId}`), 200, "certificate by compact id");
    expectError(await call("GET", `/v1/pki/certificates/${"A".repeat(22)}`), 404, "ERR_CERTIFICATE_NOT_FOUND", "unknown compact id");
    expect(await call("GET", "/v1/me/certificates", { token: a.token }), 200, "my certificates");

    // A second device of B: revoked by B, then (another) by an operator.
    const phoneB = await enrolDevice(deviceHarness(), b);
    const serialB = expect(await call("GET", `/v1/pki/certificates/${phoneB.compactId}`), 200, "B's certificate").serial;
    expectError(await call("POST", `/v1/me/certificates/${found.serial}/revoke`, { token: b.token }), 404, "ERR_CERTIFICATE_NOT_FOUND", "someone else's certificate");
    expect(await call("POST", `/v1/me/certificates/${serialB}/revoke`, { token: b.token }), 200, "revoke mine");
    const phoneB2 = await enrolDevice(deviceHarness(), b);
    const serialB2 = expect(await call("GET", `/v1/pki/certificates/${phoneB2.compactId}`), 200, "B's second certificate").serial;
    expect(await call("POST", `/v1/admin/certificates/${serialB2}/revoke`, { token: adminToken, json: { reason: "superseded" } }), 200, "operator revokes");
    expectError(await call("POST", "/v1/admin/certificates/00ff/revoke", { token: adminToken, json: { reason: "superseded" } }), 404, "ERR_CERTIFICATE_NOT_FOUND", "operator revokes nothing");
  });

  test("users: register, log in, balances, history, transfers, top-ups, withdrawals", async () => {
    const msisdn = `+2547${String(30_000_000 + Math.floor(Math.random() * 9_000_000))}`;
    expect(await call("POST", "/v1/users", { json: { msisdn, displayName: "Openapi Test", password: "long enough password" } }), 201, "register");
    expectError(await call("POST", "/v1/users", { json: { msisdn, displayName: "Again", password: "long enough password" } }), 409, "ERR_MSISDN_TAKEN", "register twice");
    expectError(await call("POST", "/v1/auth/login", { json: { msisdn, password: "wrong password" } }), 401, "ERR_INVALID_CREDENTIALS", "wrong password");
    expect(await call("GET", "/v1/me", { token: a.token }), 200, "me");
    expect(await call("GET", "/v1/me/balance", { token: a.token }), 200, "balance");
    expectError(await call("GET", "/v1/me/history?currency=USD", { token: a.token }), 422, "ERR_CURRENCY_UNSUPPORTED", "history in another currency");
    expect(await call("POST", "/v1/transfers", { token: a.token, idem: true, json: { toMsisdn: b.msisdn, amount: "1250", currency } }), 201, "transfer");
    expectError(await call("POST", "/v1/transfers", { token: a.token, idem: true, json: { toMsisdn: a.msisdn, amount: "1250", currency } }), 422, "ERR_SELF_TRANSFER", "pay yourself");
    expectError(await call("POST", "/v1/transfers", { token: a.token, json: { toMsisdn: b.msisdn, amount: "1250", currency } }), 400, "ERR_IDEMPOTENCY_KEY_REQUIRED", "no key");
    const history = expect(await call("GET", "/v1/me/history", { token: a.token }), 200, "history");
    assert.ok(history.entries.length > 0);
    const topUp = await call("POST", "/v1/me/top-ups", { token: a.token, idem: true, json: { amount: "5000", currency } });
    assert.ok(topUp.status === 201 || topUp.status === 202, topUp.text);
    const withdrawal = await call("POST", "/v1/me/withdrawals", { token: a.token, idem: true, json: { amount: "2000", currency } });
    assert.ok(withdrawal.status === 201 || withdrawal.status === 202, withdrawal.text);
    const newcomer = await login(msisdn, "long enough password");
    expectError(await call("POST", "/v1/me/withdrawals", { token: newcomer, idem: true, json: { amount: "1000", currency } }), 422, "ERR_BANK_ACCOUNT_NOT_LINKED", "withdraw without a bank account");
    expectError(await call("POST", "/v1/me/top-ups", { token: newcomer, idem: true, json: { amount: "1000", currency } }), 422, "ERR_BANK_ACCOUNT_NOT_LINKED", "top up without a bank account");
    expect(await call("GET", `/v1/me/bank-operations/${topUp.body.operationId}`, { token: a.token }), 200, "bank operation");
    expectError(await call("GET", `/v1/me/bank-operations/${randomUUID()}`, { token: a.token }), 404, "ERR_NOT_FOUND", "unknown bank operation");
  });

  test("account: a transfer with a note looked up by id, password change, logout", async () => {
    const sent = expect(await call("POST", "/v1/transfers", { token: a.token, idem: true, json: { toMsisdn: b.msisdn, amount: "100", currency, note: "openapi" } }), 201, "transfer with a note");
    assert.equal(sent.note, "openapi");
    expectError(await call("POST", "/v1/transfers", { token: a.token, idem: true, json: { toMsisdn: b.msisdn, amount: "100", currency, note: "bad\u0007note" } }), 400, "ERR_NOTE_INVALID", "note with a control character");
    assert.equal(expect(await call("GET", `/v1/transfers/${sent.transferId}`, { token: b.token }), 200, "transfer by id, as its receiver").note, "openapi");
    expectError(await call("GET", `/v1/transfers/${randomUUID()}`, { token: a.token }), 404, "ERR_TRANSFER_NOT_FOUND", "unknown transfer");
    const msisdn = `+2547${String(30_000_000 + Math.floor(Math.random() * 9_000_000))}`;
    expect(await call("POST", "/v1/users", { json: { msisdn, displayName: "Password Changer", password: "long enough password" } }), 201, "register");
    const token = await login(msisdn, "long enough password");
    expectError(await call("POST", "/v1/me/password", { token, json: { currentPassword: "not my password", newPassword: "another long password" } }), 403, "ERR_CURRENT_PASSWORD_WRONG", "wrong current password");
    expect(await call("POST", "/v1/me/password", { token, json: { currentPassword: "long enough password", newPassword: "another long password" } }), 200, "password change");
    expect(await call("POST", "/v1/auth/logout", { token }), 204, "logout");
    expect(await call("POST", "/v1/auth/logout", { token }), 204, "logout again: idempotent");
    expectError(await call("POST", "/v1/auth/logout", {}), 401, "ERR_UNAUTHENTICATED", "logout without a token");
  });

  test("banking: link a bank account with the bank's code", async () => {
    const me = expect(await call("GET", "/v1/me", { token: b.token }), 200, "me");
    const account = await bank.books.openAccount({ currency, holderName: me.displayName, msisdn: b.msisdn });
    const started = expect(await call("POST", "/v1/me/bank-accounts", { token: b.token, json: { accountNumber: account.number, currency } }), 201, "link");
    expectError(await call("POST", `/v1/me/bank-accounts/${started.linkId}/confirm`, { token: b.token, json: { code: "000000" } }), 422, "ERR_BANK_LINK_CODE_WRONG", "wrong code");
    const code = /is ([0-9]{6})\./.exec((await bank.books.customerMessages(account.number))[0]!.body)![1]!;
    expect(await call("POST", `/v1/me/bank-accounts/${started.linkId}/confirm`, { token: b.token, json: { code } }), 200, "confirm");
    expect(await call("GET", "/v1/me/bank-accounts", { token: b.token }), 200, "links");
  });

  test("merchants, products, validation settings, request signing", async () => {
    const signup = expect(await call("POST", "/v1/merchants", { json: { legalName: "Openapi Shop Ltd", category: "5814" } }), 201, "sign up");
    expectError(await call("POST", "/v1/merchants", { json: { legalName: "Openapi Shop Ltd", category: "coffee" } }), 400, "ERR_VALIDATION", "category not an MCC");
    expectError(await call("POST", "/v1/admin/login", { json: { username: demo.operator.username, password: "wrong password" } }), 401, "ERR_INVALID_CREDENTIALS", "operator, wrong password");
    expect(await call("POST", `/v1/admin/merchants/${signup.id}/suspend`, { token: adminToken }), 200, "suspend");
    expectError(await call("POST", `/v1/admin/merchants/${randomUUID()}/approve`, { token: adminToken }), 404, "ERR_MERCHANT_NOT_FOUND", "approve nobody");
    const other = expect(await call("POST", "/v1/merchants", { json: { legalName: "Second Shop Ltd", category: "5814" } }), 201, "sign up");
    expect(await call("POST", `/v1/admin/merchants/${other.id}/approve`, { token: adminToken }), 200, "approve");
    expect(await call("GET", "/v1/admin/merchants?status=approved", { token: adminToken }), 200, "list merchants");
    expect(await call("POST", `/v1/admin/accounts/${b.accountId}/freeze`, { token: adminToken }), 200, "freeze");
    expect(await call("POST", `/v1/admin/accounts/${b.accountId}/unfreeze`, { token: adminToken }), 200, "unfreeze");
    expectError(await call("POST", `/v1/admin/accounts/${randomUUID()}/freeze`, { token: adminToken }), 404, "ERR_ACCOUNT_NOT_FOUND", "freeze nothing");
    expectError(await call("POST", `/v1/admin/accounts/${randomUUID()}/unfreeze`, { token: adminToken }), 404, "ERR_ACCOUNT_NOT_FOUND", "unfreeze nothing");
    expect(await call("GET", "/v1/admin/ledger/verify", { token: adminToken }), 200, "verify");
    expect(await call("GET", "/v1/merchant", { token: merchantKey }), 200, "merchant");

    const publicKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
    expectError(await call("PUT", "/v1/merchant/request-signing-key", { token: other.apiKey, json: { publicKey: "nope" } }), 400, "ERR_REQUEST_KEY_INVALID", "bad key");
    expect(await call("PUT", "/v1/merchant/request-signing-key", { token: other.apiKey, json: { publicKey } }), 200, "set key");
    expect(await call("DELETE", "/v1/merchant/request-signing-key", { token: other.apiKey }), 204, "remove key");
    expectError(await call("DELETE", "/v1/merchant/request-signing-key", { token: other.apiKey }), 404, "ERR_NOT_FOUND", "remove again");

    const product = expect(await call("POST", "/v1/products", { token: merchantKey, json: { sku: "openapi-1", name: "Chai", price: "45000", currency } }), 201, "product");
    expectError(await call("POST", "/v1/products", { token: merchantKey, json: { sku: "openapi-1", name: "Chai", price: "45000", currency } }), 409, "ERR_SKU_TAKEN", "same sku");
    expect(await call("GET", "/v1/products", { token: merchantKey }), 200, "products");
    expect(await call("GET", `/v1/products/${product.id}`, { token: merchantKey }), 200, "product");
    expect(await call("PATCH", `/v1/products/${product.id}`, { token: merchantKey, json: { price: "40000" } }), 200, "change product");
    expectError(await call("PATCH", `/v1/products/${randomUUID()}`, { token: merchantKey, json: { price: "40000" } }), 404, "ERR_PRODUCT_NOT_FOUND", "change nothing");
    expect(await call("DELETE", `/v1/products/${product.id}`, { token: merchantKey }), 204, "remove product");
    expectError(await call("DELETE", `/v1/products/${product.id}`, { token: merchantKey }), 404, "ERR_PRODUCT_NOT_FOUND", "remove again");
    expectError(await call("GET", `/v1/products/${product.id}`, { token: merchantKey }), 404, "ERR_PRODUCT_NOT_FOUND", "removed product");

    expectError(await call("GET", "/v1/merchant/validation", { token: merchantKey }), 404, "ERR_NOT_FOUND", "no validation URL yet");
    expect(await call("PUT", "/v1/merchant/validation", { token: merchantKey, json: { url: "https://shop.example/validate", defaultResult: "accept" } }), 200, "set validation");
    expect(await call("GET", "/v1/merchant/validation", { token: merchantKey }), 200, "validation");
  });

  test("payment requests, refunds, escrow, disputes, through the payer's signed wallet messages", async () => {
    const request = (body: Record<string, unknown>) => call("POST", "/v1/payments", {
      token: merchantKey, idem: true, json: { amount: "10000", currency, merchantReference: `ref-${randomUUID()}`, payerMsisdn: a.msisdn, ...body },
    });
    const confirm = async (p: { id: string; amount: string }) => {
      const confirmed = await phoneA.send("wallet.payment.confirm", [{ name: "Confirm", attributes: { PaymentId: p.id, MerchantId: demo.merchant.id, Amount: p.amount, Currency: currency, Funding: "wallet" } }]);
      assert.equal(confirmed.status, 201, confirmed.text);
    };
    expectError(await request({ payerMsisdn: "+254799999998" }), 404, "ERR_PAYER_NOT_FOUND", "unknown payer");
    const direct = expect(await request({}), 201, "payment request");
    expect(await call("GET", "/v1/payments", { token: merchantKey }), 200, "payments");
    expect(await call("GET", `/v1/payments/${direct.id}`, { token: merchantKey }), 200, "payment");
    expectError(await call("GET", `/v1/payments/${randomUUID()}`, { token: merchantKey }), 404, "ERR_PAYMENT_NOT_FOUND", "no payment");
    expect(await call("GET", `/v1/payments/by-reference/${direct.merchantReference}`, { token: merchantKey }), 200, "by reference");
    expectError(await call("GET", "/v1/payments/by-reference/nothing-here", { token: merchantKey }), 404, "ERR_PAYMENT_NOT_FOUND", "no reference");
    expectError(await call("POST", `/v1/payments/${direct.id}/refunds`, { token: merchantKey, idem: true, json: { amount: "100" } }), 409, "ERR_PAYMENT_STATE", "refund before payment");
    await confirm(direct);
    expect(await call("POST", `/v1/payments/${direct.id}/refunds`, { token: merchantKey, idem: true, json: { amount: "1000", reason: "one item out of stock" } }), 201, "refund");
    expect(await call("GET", `/v1/payments/${direct.id}/refunds`, { token: merchantKey }), 200, "refunds");
    expectError(await call("GET", `/v1/payments/${randomUUID()}/refunds`, { token: merchantKey }), 404, "ERR_PAYMENT_NOT_FOUND", "refunds of nothing");
    expectError(await call("POST", `/v1/payments/${direct.id}/cancel`, { token: merchantKey }), 409, "ERR_PAYMENT_STATE", "cancel a paid one");

    const open = expect(await request({}), 201, "another request");
    expect(await call("POST", `/v1/payments/${open.id}/cancel`, { token: merchantKey }), 200, "cancel");

    const escrow = expect(await request({ kind: "escrow" }), 201, "escrow request");
    expectError(await call("POST", `/v1/payments/${escrow.id}/ship`, { token: merchantKey }), 409, "ERR_PAYMENT_STATE", "ship before payment");
    await confirm(escrow);
    expect(await call("POST", `/v1/payments/${escrow.id}/ship`, { token: merchantKey }), 200, "ship");
    const disputed = await phoneA.send("wallet.escrow.dispute", [{ name: "Dispute", attributes: { PaymentId: escrow.id, Reason: "one item missing" } }]);
    assert.equal(disputed.status, 200, disputed.text);
    expect(await call("GET", "/v1/admin/disputes", { token: adminToken }), 200, "disputes");
    expectError(await call("POST", `/v1/admin/payments/${direct.id}/resolve`, { token: adminToken, json: { refundAmount: "0" } }), 409, "ERR_PAYMENT_STATE", "resolve a direct payment");
    expect(await call("POST", `/v1/admin/payments/${escrow.id}/resolve`, { token: adminToken, json: { refundAmount: "3000", note: "partial" } }), 200, "resolve");

    // The wallet channel itself, through the recorder: an inbox query (200) and a refused message (401).
    const device = deviceHarness();
    const inboxReply = await device.platform.app.inject({ method: "POST", url: "/v1/wallet/messages", headers: { "content-type": "application/xml" }, payload: "<not-a-message/>" });
    assert.equal(inboxReply.statusCode, 400, inboxReply.body);
    const inbox = await phoneA.send("wallet.inbox", [{ name: "Inbox", attributes: { WaitSeconds: "0" } }]);
    assert.equal(inbox.status, 200, inbox.text);
  });

  test("notifications and webhooks", async () => {
    const mine = expect(await call("GET", "/v1/me/notifications", { token: a.token }), 200, "notifications");
    expectError(await call("GET", "/v1/me/notifications?before=1&after=2", { token: a.token }), 400, "ERR_VALIDATION", "before and after");
    expect(await call("POST", "/v1/me/notifications/read", { token: a.token, json: { through: mine.notifications[0]?.cursor ?? "1" } }), 200, "mark read");
    expect(await call("GET", "/v1/merchant/notifications", { token: merchantKey }), 200, "merchant notifications");
    expect(await call("POST", "/v1/merchant/notifications/read", { token: merchantKey, json: { ids: [randomUUID()] } }), 200, "merchant mark read");

    expectError(await call("GET", "/v1/merchant/webhook-endpoint", { token: merchantKey }), 404, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND", "no endpoint yet");
    expectError(await call("POST", "/v1/merchant/webhook-events/test", { token: merchantKey }), 404, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND", "test without endpoint");
    expectError(await call("POST", "/v1/merchant/webhook-endpoint/rotate-secret", { token: merchantKey }), 404, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND", "rotate without endpoint");
    expectError(await call("PUT", "/v1/merchant/webhook-endpoint", { token: merchantKey, json: { url: "ftp://shop.example/hooks" } }), 400, "ERR_WEBHOOK_URL_INVALID", "bad URL");
    expect(await call("PUT", "/v1/merchant/webhook-endpoint", { token: merchantKey, json: { url: "https://shop.example/obol/webhooks" } }), 201, "set endpoint");
    expect(await call("PUT", "/v1/merchant/webhook-endpoint", { token: merchantKey, json: { url: "https://shop.example/obol/webhooks2" } }), 200, "change endpoint");
    expect(await call("GET", "/v1/merchant/webhook-endpoint", { token: merchantKey }), 200, "endpoint");
    expect(await call("POST", "/v1/merchant/webhook-endpoint/rotate-secret", { token: merchantKey }), 200, "rotate");
    const queued = expect(await call("POST", "/v1/merchant/webhook-events/test", { token: merchantKey }), 202, "test event");
    expect(await call("GET", "/v1/merchant/webhook-events", { token: merchantKey }), 200, "events");
    expect(await call("GET", `/v1/merchant/webhook-events/${queued.eventId}`, { token: merchantKey }), 200, "event");
    const missing = "evt_00000000000000000000000000000000";
    expectError(await call("GET", `/v1/merchant/webhook-events/${missing}`, { token: merchantKey }), 404, "ERR_WEBHOOK_EVENT_NOT_FOUND", "no event");
    expect(await call("POST", `/v1/merchant/webhook-events/${queued.eventId}/redeliver`, { token: merchantKey }), 202, "redeliver");
    expectError(await call("POST", `/v1/merchant/webhook-events/${missing}/redeliver`, { token: merchantKey }), 404, "ERR_WEBHOOK_EVENT_NOT_FOUND", "redeliver nothing");
    expect(await call("GET", "/v1/merchant/webhook-attempts", { token: merchantKey }), 200, "attempts");
    expect(await call("DELETE", "/v1/merchant/webhook-endpoint", { token: merchantKey }), 204, "remove endpoint");
    expectError(await call("DELETE", "/v1/merchant/webhook-endpoint", { token: merchantKey }), 404, "ERR_WEBHOOK_ENDPOINT_NOT_FOUND", "remove again");
  });

  test("settlement and reconciliation", async () => {
    const account = await bank.books.openAccount({ currency, holderName: demo.merchant.legalName });
    const wrong = await bank.books.openAccount({ currency, holderName: "Someone Else Ltd" });
    expectError(await call("POST", "/v1/merchant/bank-accounts", { token: merchantKey, json: { accountNumber: wrong.number, currency } }), 422, "ERR_BANK_ACCOUNT_NOT_VERIFIED", "another holder");
    expect(await call("POST", "/v1/merchant/bank-accounts", { token: merchantKey, json: { accountNumber: account.number, currency } }), 201, "link by name");
    expect(await call("GET", "/v1/merchant/bank-accounts", { token: merchantKey }), 200, "merchant links");
    // Today's payments settle tomorrow; a batch over everything so far is made through the service (as the scheduler would).
    const shop = (await platform.services.parties.merchantById(demo.merchant.id))!;
    await platform.services.settlement.settle(shop, currency, { start: 0, end: Date.now() });
    const run = expect(await call("POST", "/v1/admin/settlements/run", { token: adminToken }), 200, "run");
    expect(await call("GET", "/v1/admin/settlements", { token: adminToken }), 200, "all settlements");
    const mine = expect(await call("GET", "/v1/merchant/settlements", { token: merchantKey }), 200, "my settlements");
    const batchId = (mine.settlements[0] ?? run.settlements[0])?.batchId;
    assert.ok(batchId !== undefined, "a settlement batch");
    expect(await call("GET", `/v1/merchant/settlements/${batchId}/report`, { token: merchantKey }), 200, "report");
    expect(await call("GET", `/v1/merchant/settlements/${batchId}/report?format=csv`, { token: merchantKey }), 200, "CSV report");
    expectError(await call("GET", `/v1/merchant/settlements/${randomUUID()}/report`, { token: merchantKey }), 404, "ERR_NOT_FOUND", "no report");
    expect(await call("GET", `/v1/admin/settlements/${batchId}/report`, { token: adminToken }), 200, "admin report");
    expectError(await call("GET", `/v1/admin/settlements/${randomUUID()}/report`, { token: adminToken }), 404, "ERR_NOT_FOUND", "admin, no report");
    expect(await call("GET", `/v1/admin/bank/reconciliation?currency=${currency}`, { token: adminToken }), 200, "reconciliation");
    expectError(await call("GET", "/v1/admin/bank/reconciliation?currency=USD", { token: adminToken }), 422, "ERR_CURRENCY_UNSUPPORTED", "reconcile another currency");
  });

  test("e-cash: register, withdraw, pay, deposit, confirm", async () => {
    const published = expect(await call("GET", "/v1/ecash/params"), 200, "params");
    params = { idN: published.idN, qN: fromHex(published.qN), qNSig: fromHex(published.qNSig), freshnessWindowMs: published.freshnessWindowMs };
    const ok = <T extends { ok: boolean }>(outcome: T) => {
      assert.ok(outcome.ok, JSON.stringify(outcome, (_key, value) => (typeof value === "bigint" ? value.toString() : value)));
      return outcome as Extract<T, { ok: true }>;
    };
    const shopIdentity = expect(await call("GET", "/v1/ecash/registration", { token: merchantKey }), 200, "merchant identity");
    const shopStart = ok(merchant.startMerchantEnrolment(merchant.emptyMerchantState(), params, shopIdentity.id, rng));
    const r3 = await call("POST", "/v1/ecash/registrations", { token: merchantKey, binary: shopStart.request });
    expect(r3, 200, "merchant registration");
    let shop = ok(merchant.finishMerchantEnrolment(shopStart.state, r3.bytes, clock.now)).state;
    const shopId = merchant.merchantDescriptor(shop)!.id;
    const descriptor = expect(await call("GET", `/v1/ecash/merchants/${encodeURIComponent(shopId)}`), 200, "merchant descriptor");
    expectError(await call("GET", "/v1/ecash/merchants/nobody"), 404, "ERR_MERCHANT_NOT_FOUND", "no such merchant");

    const identity = expect(await call("GET", "/v1/ecash/registration", { token: a.token }), 200, "user identity");
    expectError(await call("POST", "/v1/ecash/withdrawals", { token: a.token, binary: new Uint8Array([1, 2, 3]) }), 400, "ERR_ECASH_REJECTED", "garbage W1");
    const started = ok(wallet.startWalletEnrolment(wallet.emptyWalletState(), params, identity.id, rng));
    const w3 = await call("POST", "/v1/ecash/registrations", { token: a.token, binary: started.request });
    expect(w3, 200, "wallet registration");
    let state = ok(wallet.finishWalletEnrolment(started.state, w3.bytes, clock.now)).state;
    state = ok(wallet.addMerchant(state, { id: descriptor.id, v: fromHex(descriptor.v), notAfterMs: descriptor.notAfterMs })).state;
    const withdrawal = ok(wallet.startWithdrawal(state, { amount: 40n, payee: shopId }, clock.now, rng));
    const w2 = await call("POST", "/v1/ecash/withdrawals", { token: a.token, binary: withdrawal.request });
    expect(w2, 200, "withdrawal");
    const got = ok(wallet.handleW2(withdrawal.state, withdrawal.withdrawalId, w2.bytes, clock.now));
    const catalogue: merchant.Catalogue = () => ({ price: 40n, goods: Buffer.from("goods") });
    const order = ok(wallet.pay(got.state, { sn: Buffer.from(got.token.sn).toString("hex"), merchantId: shopId, goodsInfo: Buffer.from("coffee"), price: 40n }, clock.now, rng));
    const handled = ok(merchant.handlePayment(shop, order.request, { now: clock.now, rng, catalogue }));
    shop = handled.state;
    state = ok(wallet.handlePaymentReply(order.state, order.sid, handled.reply, clock.now)).state;
    const deposit = ok(merchant.startDeposit(shop, clock.now, rng));
    shop = deposit.state;
    expect(await call("POST", "/v1/ecash/deposits", { token: merchantKey, binary: deposit.request }), 200, "deposit");
    expect(await call("GET", `/v1/ecash/deposits/${deposit.depId}`, { token: merchantKey }), 200, "deposit again");
    expectError(await call("GET", `/v1/ecash/deposits/${"0".repeat(32)}`, { token: merchantKey }), 404, "ERR_NOT_FOUND", "no deposit");
    const pending = await call("GET", "/v1/ecash/confirmations?waitMs=0", { token: a.token });
    expect(pending, 200, "confirmations");
    const frames = parseFrames(pending.bytes);
    assert.ok(frames.length > 0, "a D2 waits for the payer");
    const answered = ok(wallet.answerConfirmation(state, frames[0]!, "ACCEPT", clock.now, rng));
    expect(await call("POST", "/v1/ecash/confirmations", { token: a.token, binary: answered.request }), 200, "confirm");
    expectError(await call("POST", "/v1/ecash/confirmations", { token: a.token, binary: new Uint8Array([9]) }), 400, "ERR_ECASH_REJECTED", "garbage D3");
    expectError(await call("POST", "/v1/ecash/registrations", { token: a.token, binary: new Uint8Array([9]) }), 400, "ERR_ECASH_REJECTED", "garbage R1");
    expectError(await call("POST", "/v1/ecash/deposits", { token: merchantKey, binary: new Uint8Array([9]) }), 400, "ERR_ECASH_REJECTED", "garbage D1");
    expect(await call("GET", "/v1/admin/ecash", { token: adminToken }), 200, "e-cash summary");
  });

  test("every protected operation refuses an unauthenticated call with 401, before its body is read", async () => {
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if ((operation.security ?? []).length === 0) continue;
        const url = template.replace(/\{[^}]+\}/g, "x");
        const hasBody = ["post", "put", "patch", "delete"].includes(method);
        // A body that is not even JSON: a 401 proves authentication ran before parsing and validation.
        const reply = await call(method.toUpperCase(), url, hasBody ? { raw: "{not json" } : {});
        expectError(reply, 401, "ERR_UNAUTHENTICATED", `${method} ${template}`);
        const wrongCaller = await call(method.toUpperCase(), url, { token: "garbage-token", ...(hasBody ? { raw: "{not json" } : {}) });
        expectError(wrongCaller, 401, "ERR_UNAUTHENTICATED", `${method} ${template} with a garbage token`);
      }
    }
  });

  test("every operation answered a success and, where it declares one, a client error; every answer matched the document", () => {
    const missing: string[] = [];
    for (const [template, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const label = `${method.toUpperCase()} ${template}`;
        const statuses = [...(answered.get(label) ?? [])];
        if (!statuses.some((s) => s >= 200 && s < 300)) missing.push(`${label}: no 2xx`);
        const declares4xx = Object.keys(operation.responses).some((s) => s.startsWith("4"));
        if (declares4xx && !statuses.some((s) => s >= 400 && s < 500)) missing.push(`${label}: no 4xx`);
      }
    }
    assert.deepEqual(missing, [], "operations this test did not exercise");
    assert.ok(Object.keys(document.paths).length >= 70, "the document lists the API");
    const problems = logged.filter((l) => l.level >= 40 && !["wallet message refused", "e-cash message refused"].includes(l.msg));
    assert.deepEqual(problems, [], "warnings or errors logged (an undeclared error code, an unhandled error)");
  });
});
