// An in-memory platform wired to an in-memory reference bank (in-process transport), seeded with the
// demo data. The bank's fault switches, books and customer messages are at hand.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createReferenceBank, inProcessTransport, loadBankConfig, type ReferenceBank } from "@obol/bank";
import { sql } from "kysely";
import { loadConfig } from "../../src/config.js";
import { seedDemoData, type DemoLogins } from "../../src/demo-data.js";
import { createPlatform, type Platform } from "../../src/platform.js";
import { openSnapshotDatabase, snapshotKeyPassphrase } from "../support/snapshot.js";

export interface Banked {
  platform: Platform;
  bank: ReferenceBank;
  demo: DemoLogins;
  currency: string;
  call(method: string, url: string, o?: { token?: string; json?: unknown; idem?: string }): Promise<{ status: number; body: any }>;
  login(msisdn: string, password: string): Promise<string>;
  /** Opens a funded account at the bank for the user and links it through the API (reading the bank's code). */
  linkAccount(token: string, msisdn: string, opening?: bigint): Promise<{ number: string; linkId: string }>;
  /** A fresh user, logged in. */
  newUser(): Promise<{ id: string; msisdn: string; token: string }>;
  walletOf(userId: string): Promise<{ posted: bigint; held: bigint }>;
  bankBalance(number: string): Promise<bigint>;
  /** Runs the recovery sweeper (waiting out retry delays) until the operation is final; `timeoutMs` is a deadlock guard. */
  settle(operationId: string, timeoutMs?: number): Promise<string>;
  settlementBalance(): Promise<bigint>;
  clearingBalance(): Promise<bigint>;
  stop(): Promise<void>;
}

export async function openBanked(env: Record<string, string> = {}): Promise<Banked> {
  const bank = await createReferenceBank(loadBankConfig({ LOG_LEVEL: "silent" }), { logger: false, memory: true });
  const config = loadConfig({
    DATABASE_URL: "", OBOL_KEY_PASSPHRASE: snapshotKeyPassphrase, OBOL_BANK_TIMEOUT_MS: "1000", OBOL_BANK_RETRY_MS: "10", OBOL_BANK_SWEEP_INTERVAL_MS: "600000", ...env,
  });
  const platform = await createPlatform(config, {
    logger: false, memory: true, settlementScheduler: "manual", database: await openSnapshotDatabase(config), bank: { transport: inProcessTransport(bank.service), certificatesPem: bank.certificatesPem },
  });
  const keys = platform.services.pki.keys;
  await bank.books.registerClient(config.bank.clientId, keys.signing.certificateDer, keys.encryption.certificateDer);
  // The demo users' opening balances come from the bank too, so the clearing account reconciles.
  const demo = (await seedDemoData(platform.services, bank))!;
  const currency = config.currencies[0]!;

  const call: Banked["call"] = async (method, url, o = {}) => {
    const headers: Record<string, string> = {};
    if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
    if (o.idem !== undefined) headers["idempotency-key"] = o.idem;
    if (o.json !== undefined) headers["content-type"] = "application/json";
    const response = await platform.app.inject({ method: method as "GET", url, headers, ...(o.json === undefined ? {} : { payload: JSON.stringify(o.json) }) });
    return { status: response.statusCode, body: response.body === "" ? undefined : response.json() };
  };
  const login = async (msisdn: string, password: string) => {
    const reply = await call("POST", "/v1/auth/login", { json: { msisdn, password } });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    return reply.body.token as string;
  };
  let users = 0;
  const banked: Banked = {
    platform, bank, demo, currency, call, login,
    async linkAccount(token, msisdn, opening = 1_000_000n) {
      const me = (await call("GET", "/v1/me", { token })).body;
      const account = await bank.books.openAccount({ currency, holderName: me.displayName, msisdn });
      if (opening > 0n) await bank.books.fund(account.number, opening);
      const started = await call("POST", "/v1/me/bank-accounts", { token, json: { accountNumber: account.number, currency } });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const code = /is ([0-9]{6})\./.exec((await bank.books.customerMessages(account.number))[0]!.body)![1]!;
      const confirmed = await call("POST", `/v1/me/bank-accounts/${started.body.linkId}/confirm`, { token, json: { code } });
      assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
      assert.equal(confirmed.body.status, "active");
      return { number: account.number, linkId: started.body.linkId as string };
    },
    async newUser() {
      const msisdn = `+2547${String(20_000_000 + users++ * 7 + Math.floor(Math.random() * 7)).padStart(8, "0")}`;
      const password = `pw-${randomUUID()}`;
      const created = await call("POST", "/v1/users", { json: { msisdn, displayName: `Test ${users}`, password } });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return { id: created.body.id as string, msisdn, token: await login(msisdn, password) };
    },
    async walletOf(userId) {
      const wallet = (await platform.services.wallet.balances(userId)).find((w) => w.currency === currency)!;
      return { posted: BigInt(wallet.posted), held: BigInt(wallet.held) };
    },
    async settle(operationId, timeoutMs = 300_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await platform.services.banking.sweepOnce();
        const op = await platform.services.banking.operation(operationId);
        assert.ok(op !== undefined, `no operation ${operationId}`);
        if (["completed", "declined", "reversed"].includes(op.state) || (op.state === "applied" && !op.ownLedger)) return op.state;
        assert.ok(Date.now() < deadline, `operation ${operationId} still ${op.state}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    async bankBalance(number) {
      return (await bank.books.account(number))!.balance;
    },
    async settlementBalance() {
      return (await bank.books.settlementAccount(config.bank.clientId, currency)).balance;
    },
    async clearingBalance() {
      const rows = (await sql<{ b: bigint }>`SELECT coalesce(sum(credits_posted - debits_posted), 0)::bigint AS b FROM ledger_accounts WHERE kind = 'bank_clearing' AND currency = ${currency}`.execute(platform.services.db)).rows;
      return rows[0]!.b;
    },
    async stop() {
      await platform.stop();
      await bank.stop();
    },
  };
  return banked;
}
