/**
 * Issue 4's end-to-end flows with the platform and the reference bank as two real processes on
 * loopback, each on its own PostgreSQL database: a merchant requests payments over the HTTP API,
 * the payer's device confirms with a signed XML message, and the platform debits the payer's
 * linked bank account through the bank connector, under every fault switch of the bank, with the
 * bank process down, and with the platform killed (SIGKILL at a failpoint) between the bank's
 * debit and the ledger commit. Escrow and refunds run over the same processes.
 *
 * For every payment: exactly one final state; the payer's bank account is debited at most once,
 * and the merchant is credited if and only if the payer was debited. Afterwards both books prove.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate, type KeyObject } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import pg from "pg";
import { createCsr } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, openMessage, readNodes, verifyReceipt, type XmlNode } from "@obol/xml";
import { createTempDatabase, databaseUrlFromEnv, type TempDatabase } from "../support/postgres.js";
import { cliPath, freePort, spawnPlatform, waitReady, type PlatformProcess } from "../support/platform-process.js";
import { bankDataDir, registerPlatform, spawnBank, waitBankReady, type BankProcess } from "../support/bank-process.js";

const run = promisify(execFile);
const opening = 1_000_000n;
const passphrase = "integration-test-key-passphrase";
let platformDb: TempDatabase;
let bankDb: TempDatabase;
let sql: pg.Pool;
let bankDir: { dir: string; remove(): Promise<void> };
let bankPort: number;
let bank: BankProcess;
let platformPort: number;
let platform: PlatformProcess;
let adminToken: string;
const merchant = { id: "", apiKey: "" };
let signingCertificate: X509Certificate;

interface Payer { id: string; msisdn: string; token: string; account: string; key: KeyObject; compactId: string }

function platformEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    OBOL_BANK_URL: `http://127.0.0.1:${bankPort}`, OBOL_BANK_CERT: bank.certificateFile, OBOL_BANK_TIMEOUT_MS: "1000",
    OBOL_BANK_RETRY_MS: "50", OBOL_BANK_SWEEP_INTERVAL_MS: "100", OBOL_BANK_RESEND_WINDOW_MS: "600000",
    OBOL_PAYMENT_FUNDING_RETRY_MS: "200", OBOL_PAYMENT_CONFIRMATION_SECONDS: "120", ...extra,
  };
}

async function startPlatform(extra: Record<string, string> = {}): Promise<void> {
  platform = spawnPlatform({ databaseUrl: platformDb.url, port: platformPort, env: platformEnv(extra) });
  await waitReady(platform, 90_000);
}

async function startBank(): Promise<void> {
  bank = spawnBank({ port: bankPort, dataDir: bankDir.dir, databaseUrl: bankDb.url });
  await waitBankReady(bank, 90_000);
}

async function api(method: string, path: string, o: { token?: string; json?: unknown; idem?: string } = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(platform.url + path, {
    method, signal: AbortSignal.timeout(30_000),
    headers: { ...(o.json === undefined ? {} : { "content-type": "application/json" }), ...(o.token ? { authorization: `Bearer ${o.token}` } : {}), ...(o.idem ? { "idempotency-key": o.idem } : {}) },
    ...(o.json === undefined ? {} : { body: JSON.stringify(o.json) }),
  });
  return { status: response.status, body: response.status === 204 ? {} : await response.json() };
}

/** A user with a linked (bank-verified) account and an enrolled device key. */
async function newPayer(index: number): Promise<Payer> {
  const msisdn = `+2547${String(40_000_000 + index).padStart(8, "0")}`;
  const password = `pw-${randomUUID()}`;
  const created = await api("POST", "/v1/users", { json: { msisdn, displayName: `Payer ${index}`, password } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const { token } = (await api("POST", "/v1/auth/login", { json: { msisdn, password } })).body;
  const account = await bank.admin("POST", "/admin/accounts", { holderName: `Payer ${index}`, currency: "KES", msisdn, opening: opening.toString() });
  const started = await api("POST", "/v1/me/bank-accounts", { token, json: { accountNumber: account.number, currency: "KES" } });
  assert.equal(started.status, 201, JSON.stringify(started.body));
  const messages = await bank.admin("GET", `/admin/accounts/${account.number}/messages`);
  const code = /is ([0-9]{6})\./.exec(messages.messages[0].body)![1]!;
  assert.equal((await api("POST", `/v1/me/bank-accounts/${started.body.linkId}/confirm`, { token, json: { code } })).body.status, "active");
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const enrolmentCode = (await api("POST", "/v1/admin/enrolment-codes", { token: adminToken, json: { msisdn } })).body.code;
  const enrolled = await api("POST", "/v1/pki/enrol", { token, json: { code: enrolmentCode, csr: Buffer.from(await createCsr(key, "phone")).toString("base64") } });
  assert.equal(enrolled.status, 201, JSON.stringify(enrolled.body));
  return { id: created.body.id, msisdn, token, account: account.number, key, compactId: enrolled.body.compactId };
}

/** Signs a wallet message as the payer's device and posts it until the platform answers (it may be restarting). */
async function send(payer: Payer, type: string, body: XmlNode[]): Promise<{ status: number; xml: string; element: XmlNode | undefined }> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const xml = (await buildMessage({ type, body, now: new Date(), random: (n) => new Uint8Array(randomBytes(n)), signer: { privateKey: payer.key, keyName: payer.compactId } })).xml;
    const response = await fetch(`${platform.url}/v1/wallet/messages`, { method: "POST", headers: { "content-type": "application/xml" }, body: xml, signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
    if (response === undefined || response.status >= 500) { await new Promise((r) => setTimeout(r, 100)); continue; }
    const text = await response.text();
    assert.ok(response.headers.get("content-type")?.startsWith("application/xml"), text);
    const opened = await openMessage(text, { now: new Date(), replay: new MemoryReplayGuard({ now: Date.now }), trustedKeyFor: () => signingCertificate });
    return { status: response.status, xml: text, element: readNodes(opened.body).find((n): n is XmlNode => typeof n !== "string") };
  }
  throw new Error(`no answer to ${type}`);
}

async function request(payer: Payer, body: Record<string, unknown> = {}): Promise<any> {
  const created = await api("POST", "/v1/payments", { token: merchant.apiKey, idem: randomUUID(), json: { amount: "25000", currency: "KES", merchantReference: `e2e-${randomUUID()}`, payerMsisdn: payer.msisdn, ...body } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body;
}

const confirmation = (p: any, funding = "bank"): XmlNode[] => [{ name: "Confirm", attributes: { PaymentId: p.id, MerchantId: merchant.id, Amount: p.amount, Currency: "KES", Funding: funding } }];

/** Polls the merchant's status endpoint until the payment leaves `funding`. */
async function settled(paymentId: string): Promise<any> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const answer = await api("GET", `/v1/payments/${paymentId}`, { token: merchant.apiKey }).catch(() => undefined);
    if (answer?.status === 200 && answer.body.state !== "funding") return answer.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`payment ${paymentId} never left funding`);
}

async function bankBalance(account: string): Promise<bigint> {
  return BigInt((await bank.admin("GET", `/admin/accounts/${account}`)).balance);
}

async function merchantBalance(): Promise<bigint> {
  const { rows } = await sql.query(`SELECT (credits_posted - debits_posted)::text AS posted FROM ledger_accounts WHERE owner_id = $1 AND kind = 'merchant_balance'`, [merchant.id]);
  return BigInt(rows[0].posted);
}

async function walletOf(userId: string): Promise<{ posted: bigint; held: bigint }> {
  const { rows } = await sql.query(`SELECT (credits_posted - debits_posted)::text AS posted, debits_pending::text AS held FROM ledger_accounts WHERE owner_id = $1 AND kind = 'wallet'`, [userId]);
  return { posted: BigInt(rows[0].posted), held: BigInt(rows[0].held) };
}

/**
 * One payment's money: the payer's bank was debited `debited` (0 or the amount), and the merchant
 * got amount − fee exactly when it was. The wallet only passes the money through.
 */
async function assertExactlyOnce(payer: Payer, payment: any, merchantBefore: bigint, bankBefore: bigint): Promise<void> {
  const debited = bankBefore - (await bankBalance(payer.account));
  const credited = (await merchantBalance()) - merchantBefore;
  const paid = payment.state === "succeeded";
  assert.equal(debited, paid ? BigInt(payment.amount) : 0n, `bank debit of ${payer.msisdn} for a ${payment.state} payment`);
  assert.equal(credited, paid ? BigInt(payment.amount) - BigInt(payment.fee) : 0n, `merchant credit for a ${payment.state} payment`);
  assert.deepEqual(await walletOf(payer.id), { posted: 0n, held: 0n });
  const transitions = payment.transitions.map((t: any) => t.to);
  assert.equal(transitions.filter((s: string) => ["succeeded", "failed"].includes(s)).length, 1, `one final state: ${transitions.join(" → ")}`);
}

before(async () => {
  const server = databaseUrlFromEnv();
  platformDb = await createTempDatabase(server);
  bankDb = await createTempDatabase(server);
  sql = new pg.Pool({ connectionString: platformDb.url, max: 2 });
  bankDir = await bankDataDir();
  bankPort = await freePort();
  platformPort = await freePort();
  await startBank();
  // An operator for the enrolment codes and merchant approval, created the way an installer would.
  const adminPassword = `admin-${randomUUID()}`;
  const created = run(process.execPath, [cliPath, "admin", "create", "--username", "ops", "--password-stdin"], {
    env: { PATH: process.env.PATH ?? "", DATABASE_URL: platformDb.url, OBOL_KEY_PASSPHRASE: passphrase, LOG_LEVEL: "warn", ...platformEnv() },
  });
  created.child.stdin!.end(adminPassword + "\n");
  await created;
  await startPlatform();
  await registerPlatform(bank, platform.url);
  signingCertificate = new X509Certificate((await (await fetch(`${platform.url}/pki/ca`)).json() as { signing: string }).signing);
  adminToken = (await api("POST", "/v1/admin/login", { json: { username: "ops", password: adminPassword } })).body.token;
  const signup = await api("POST", "/v1/merchants", { json: { legalName: "Loopback Books Ltd", category: "5942" } });
  Object.assign(merchant, { id: signup.body.id, apiKey: signup.body.apiKey });
  assert.equal((await api("POST", `/v1/admin/merchants/${merchant.id}/approve`, { token: adminToken })).status, 200);
});

after(async () => {
  await platform?.kill("SIGTERM");
  await bank?.kill("SIGTERM");
  await sql?.end();
  await platformDb?.drop();
  await bankDb?.drop();
  await bankDir?.remove();
});

let payers = 0;

describe("bank-funded confirmed payments between two processes", { timeout: 600_000 }, () => {
  test("no fault: the bank debits, the merchant is credited net of the fee, the receipt verifies", async () => {
    const payer = await newPayer(payers++);
    const m0 = await merchantBalance();
    const p = await request(payer);
    const answer = await send(payer, "wallet.payment.confirm", confirmation(p));
    assert.equal(answer.status, 201, answer.xml);
    const receipt = (await verifyReceipt(answer.xml, signingCertificate));
    assert.equal(receipt.status, "completed");
    const done = await settled(p.id);
    assert.equal(done.fundingSource, "bank");
    await assertExactlyOnce(payer, done, m0, opening);
  });

  const cases: Array<[string, unknown[], string]> = [
    ["decline", [{ fault: "decline", kinds: ["debit"], count: 1 }], "failed"],
    ["slow", [{ fault: "slow", kinds: ["debit"], count: 1, delayMs: 2_500 }], "succeeded"],
    ["down", [{ fault: "down", count: 3 }], "succeeded"],
    ["applied_response_lost", [{ fault: "applied_response_lost", kinds: ["debit"], count: 1 }], "succeeded"],
  ];
  for (const [name, rules, expected] of cases) {
    test(`the bank fault ${name}: the payment ends ${expected}, the payer is debited at most once`, async () => {
      const payer = await newPayer(payers++);
      const m0 = await merchantBalance();
      const p = await request(payer);
      await bank.admin("PUT", "/admin/faults", rules);
      const answer = await send(payer, "wallet.payment.confirm", confirmation(p));
      await bank.admin("PUT", "/admin/faults", []);
      assert.ok([201, 202, 422].includes(answer.status), answer.xml);
      const done = await settled(p.id);
      assert.equal(done.state, expected, JSON.stringify(done));
      if (expected === "failed") assert.equal(done.reason, "ERR_BANK_DECLINED");
      await assertExactlyOnce(payer, done, m0, opening);
    });
  }

  test("the bank process is down: the confirmation is accepted as pending, and the payment completes once the bank is back", async () => {
    const payer = await newPayer(payers++);
    const m0 = await merchantBalance();
    const p = await request(payer);
    await bank.kill("SIGKILL");
    const answer = await send(payer, "wallet.payment.confirm", confirmation(p));
    assert.equal(answer.status, 202, answer.xml);
    assert.equal(answer.element!.attributes!.State, "funding");
    await startBank();
    const done = await settled(p.id);
    assert.equal(done.state, "succeeded");
    await assertExactlyOnce(payer, done, m0, opening);
  });
});

describe("kill -9 of the platform between the bank debit and the ledger commit", { timeout: 600_000 }, () => {
  test("payments.after_bank_debit: after the restart the payment succeeds once; the payer's status query sees it", async () => {
    const payer = await newPayer(payers++);
    const m0 = await merchantBalance();
    const p = await request(payer);
    await platform.kill("SIGTERM");
    await startPlatform({ OBOL_FAILPOINTS: "payments.after_bank_debit" });
    const died = await fetch(`${platform.url}/v1/wallet/messages`, {
      method: "POST", headers: { "content-type": "application/xml" },
      body: (await buildMessage({ type: "wallet.payment.confirm", body: confirmation(p), now: new Date(), random: (n) => new Uint8Array(randomBytes(n)), signer: { privateKey: payer.key, keyName: payer.compactId } })).xml,
    }).then(() => "answered", () => "connection lost");
    assert.equal(died, "connection lost");
    assert.equal(await platform.exited, null, "killed by SIGKILL, not exited");
    assert.equal(await bankBalance(payer.account), opening - 25_000n, "the bank debited before the platform died");
    await startPlatform();
    const done = await settled(p.id);
    assert.equal(done.state, "succeeded");
    await assertExactlyOnce(payer, done, m0, opening);
    const status = await send(payer, "wallet.payment.status", [{ name: "Status", attributes: { PaymentId: p.id } }]);
    assert.equal(status.element!.attributes!.State, "succeeded");
  });
});

describe("escrow and refunds over the same processes", { timeout: 600_000 }, () => {
  test("bank-funded escrow: held, shipped, released by the buyer's signed receipt confirmation; then a wallet-funded payment refunded in part", async () => {
    const payer = await newPayer(payers++);
    const m0 = await merchantBalance();
    const p = await request(payer, { kind: "escrow", amount: "40000" });
    const held = await send(payer, "wallet.payment.confirm", confirmation(p));
    assert.equal(held.status, 201, held.xml);
    assert.equal((await verifyReceipt(held.xml, signingCertificate)).status, "held");
    assert.equal((await walletOf(payer.id)).held, 40_000n);
    assert.equal((await api("POST", `/v1/payments/${p.id}/ship`, { token: merchant.apiKey })).body.state, "shipped");
    const released = await send(payer, "wallet.escrow.receipt", [{ name: "ReceiptConfirmation", attributes: { PaymentId: p.id } }]);
    assert.equal(released.element!.attributes!.State, "released");
    assert.equal(await merchantBalance(), m0 + 40_000n - 400n);
    assert.equal(await bankBalance(payer.account), opening - 40_000n);

    // Money in the wallet now (a bank top-up), then a wallet-funded payment and a partial refund.
    assert.equal((await api("POST", "/v1/me/top-ups", { token: payer.token, idem: randomUUID(), json: { amount: "30000", currency: "KES" } })).status, 201);
    const q = await request(payer, { amount: "20000" });
    assert.equal((await send(payer, "wallet.payment.confirm", confirmation(q, "wallet"))).status, 201);
    const refund = await api("POST", `/v1/payments/${q.id}/refunds`, { token: merchant.apiKey, idem: randomUUID(), json: { amount: "5000", reason: "damaged cover" } });
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    assert.equal((await walletOf(payer.id)).posted, 30_000n - 20_000n + 5_000n);
  });

  test("both books prove: the platform's ledger verifies, and every payment is in a documented state", async () => {
    const { rows } = await sql.query(`SELECT state, count(*)::int AS n FROM payments GROUP BY state`);
    assert.ok(rows.every((r) => ["succeeded", "failed", "released"].includes(r.state)), JSON.stringify(rows));
    const verify = await api("GET", "/v1/admin/ledger/verify", { token: adminToken });
    assert.equal(verify.body.balanced, true, JSON.stringify(verify.body));
  });
});

describe("settlement and reconciliation over the same processes", { timeout: 300_000 }, () => {
  test("the merchant is settled to its bank account once; the clearing account reconciles with the bank's statement, zero mismatches", async () => {
    const account = await bank.admin("POST", "/admin/accounts", { holderName: "Loopback Books Ltd", currency: "KES" });
    const linked = await api("POST", "/v1/merchant/bank-accounts", { token: merchant.apiKey, json: { accountNumber: account.number, currency: "KES" } });
    assert.equal(linked.status, 201, JSON.stringify(linked.body));
    const owed = await merchantBalance();
    assert.ok(owed > 0n, "the payments above left money on the merchant balance");
    const run = await api("POST", "/v1/admin/settlements/run", { token: adminToken });
    assert.equal(run.status, 200, JSON.stringify(run.body));
    let batch = run.body.settlements.find((s: { merchantId: string }) => s.merchantId === merchant.id);
    // The platform's own settlement timer may have started this batch first; wait for its payout.
    for (let i = 0; i < 300 && batch.state === "paying"; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      batch = (await api("GET", `/v1/admin/settlements?merchantId=${merchant.id}`, { token: adminToken })).body.settlements.find((s: { batchId: string }) => s.batchId === batch.batchId);
    }
    assert.deepEqual([batch.state, batch.payout], ["paid", owed.toString()], JSON.stringify(batch));
    assert.equal(await bankBalance(account.number), owed);
    const again = await api("POST", "/v1/admin/settlements/run", { token: adminToken });
    assert.ok(again.body.settlements.every((s: { merchantId: string; batchId: string }) => s.merchantId !== merchant.id || s.batchId === batch.batchId));
    assert.equal(await bankBalance(account.number), owed, "paid once");
    const report = await api("GET", "/v1/admin/bank/reconciliation?currency=KES", { token: adminToken });
    assert.equal(report.status, 200, JSON.stringify(report.body));
    assert.deepEqual(report.body.mismatches, []);
    assert.equal(report.body.ledgerBalance, report.body.bankBalance);
  });
});
