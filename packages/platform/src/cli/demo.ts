import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { createCsr } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, openMessage, readNodes, verifyReceipt, type XmlNode } from "@obol/xml";
import { loadConfig } from "../config.js";
import { seedDemoData } from "../demo-data.js";
import { formatAmount } from "../money.js";
import { openPlatform, progress } from "./start.js";

/**
 * A scripted tour on a throwaway in-memory platform with the reference bank in the same process,
 * through the real HTTP API on a loopback port: a P2P transfer, then the full user-confirmed
 * payment (issue 4): the merchant requests, the payer's device reads the request from its inbox
 * and confirms with a signed XML message, the platform debits the payer's linked bank account
 * through the bank connector and credits the merchant net of the fee, and the payer's receipt is
 * verified with the platform certificate.
 */
export async function runDemo(): Promise<number> {
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: "", OBOL_BANK_URL: "embedded" }), port: 0 };
  const platform = await openPlatform(config, { logger: false, memory: true });
  try {
    const done = progress("seeding demo users, merchant and operator\n");
    const logins = (await seedDemoData(platform.services, platform.bank.embedded?.bank))!;
    done();
    const base = await platform.app.listen({ host: "127.0.0.1", port: 0 });
    const call = async (method: string, path: string, body?: unknown, token?: string, headers: Record<string, string> = {}) => {
      const response = await fetch(base + path, {
        method, headers: { ...(body ? { "content-type": "application/json" } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const json = (await response.json()) as any;
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    };
    const [amina, brian] = logins.users as [typeof logins.users[0], typeof logins.users[0]];
    const tokenA = (await call("POST", "/v1/auth/login", { msisdn: amina.msisdn, password: amina.password })).token;
    const tokenB = (await call("POST", "/v1/auth/login", { msisdn: brian.msisdn, password: brian.password })).token;
    const show = async (title: string) => {
      console.log(title);
      for (const [user, token] of [[amina, tokenA], [brian, tokenB]] as const) {
        const { balances } = await call("GET", "/v1/me/balance", undefined, token);
        console.log(`  ${user.displayName.padEnd(14)} ${user.msisdn}  ${formatAmount(BigInt(balances[0].available), balances[0].currency)}`);
      }
    };
    await show("Balances before:");
    const currency = config.currencies[0]!;
    const key = randomUUID();
    const sent = await call("POST", "/v1/transfers", { toMsisdn: brian.msisdn, amount: "125050", currency }, tokenA, { "idempotency-key": key });
    console.log(`\n${amina.displayName} sends ${formatAmount(125050n, currency)} to ${brian.displayName}: transfer ${sent.transferId}`);
    const replay = await call("POST", "/v1/transfers", { toMsisdn: brian.msisdn, amount: "125050", currency }, tokenA, { "idempotency-key": key });
    console.log(`The same request retried with the same Idempotency-Key returns transfer ${replay.transferId} again; nothing moves twice.\n`);
    await show("Balances after:");
    const admin = (await call("POST", "/v1/admin/login", { username: logins.operator.username, password: logins.operator.password })).token;

    // The user-confirmed payment, funded by Amina's linked bank account.
    const bank = platform.bank.embedded?.bank;
    const account = logins.bankAccounts?.find((a) => a.msisdn === amina.msisdn)?.number;
    const bankBalance = async () => (bank === undefined || account === undefined ? undefined : (await bank.books.account(account))?.balance);
    const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const { code } = await call("POST", "/v1/admin/enrolment-codes", { msisdn: amina.msisdn }, admin);
    const device = await call("POST", "/v1/pki/enrol", { code, csr: Buffer.from(await createCsr(deviceKey, "demo-phone")).toString("base64") }, tokenA);
    console.log(`\n${amina.displayName}'s phone is enrolled: certificate ${device.serial} (compact id ${device.compactId}).`);
    const platformCertificate = new X509Certificate(device.platform.signing);
    const signed = async (type: string, body: XmlNode[]) => {
      const xml = (await buildMessage({ type, body, now: new Date(), random: (n) => new Uint8Array(randomBytes(n)), signer: { privateKey: deviceKey, keyName: device.compactId } })).xml;
      const response = await fetch(`${base}/v1/wallet/messages`, { method: "POST", headers: { "content-type": "application/xml" }, body: xml });
      const text = await response.text();
      const opened = await openMessage(text, { now: new Date(), replay: new MemoryReplayGuard({ now: Date.now }), trustedKeyFor: () => platformCertificate });
      return { status: response.status, text, element: readNodes(opened.body).find((n): n is XmlNode => typeof n !== "string") };
    };
    const bankBefore = await bankBalance();
    const requested = await call("POST", "/v1/payments", { amount: "45000", currency, merchantReference: `demo-${randomUUID().slice(0, 8)}`, description: "Coffee beans, 1 kg", payerMsisdn: amina.msisdn },
      logins.merchant.apiKey, { "idempotency-key": randomUUID() });
    console.log(`${logins.merchant.legalName} requests ${formatAmount(45000n, currency)} from ${amina.msisdn}: payment ${requested.id}, expires ${requested.expiresAt}.`);
    const inbox = await signed("wallet.inbox", [{ name: "Inbox", attributes: { WaitSeconds: "0" } }]);
    const shown = (inbox.element?.children ?? []).find((c): c is XmlNode => typeof c !== "string" && c.attributes?.PaymentId === requested.id)!.attributes!;
    console.log(`Her wallet shows (platform-signed): pay ${formatAmount(BigInt(shown.Amount!), shown.Currency!)} to ${shown.MerchantName} (${shown.MerchantStatus}), reference ${shown.Reference}.`);
    const confirmed = await signed("wallet.payment.confirm", [{ name: "Confirm", attributes: { PaymentId: requested.id, MerchantId: requested.merchantId, Amount: requested.amount, Currency: currency, Funding: "bank" } }]);
    if (confirmed.status !== 201) throw new Error(`confirmation refused: ${confirmed.text}`);
    const receipt = await verifyReceipt(confirmed.text, platformCertificate);
    console.log(`She confirms with her device key; the platform debits her bank account and answers with a receipt (signature verified): ${receipt.status} ${formatAmount(BigInt(receipt.amountMinor), receipt.currency)} ${receipt.payer} → ${receipt.payee}.`);
    const detail = await call("GET", `/v1/payments/${requested.id}`, undefined, logins.merchant.apiKey);
    console.log(`The merchant's status query: ${detail.state}, funded from ${detail.fundingSource}, fee ${formatAmount(BigInt(detail.fee), currency)}; transitions ${detail.transitions.map((t: { to: string }) => t.to).join(" → ")}.`);
    const bankAfter = await bankBalance();
    if (bankBefore !== undefined && bankAfter !== undefined) {
      console.log(`Her account at the reference bank: ${formatAmount(bankBefore, currency)} → ${formatAmount(bankAfter, currency)}.`);
    }
    const merchant = await call("GET", "/v1/merchant", undefined, logins.merchant.apiKey);
    console.log(`${logins.merchant.legalName}'s balance: ${formatAmount(BigInt(merchant.balances[0].available), currency)} (the amount less the platform's fee).`);
    const events = await call("GET", "/v1/merchant/webhook-events?limit=5", undefined, logins.merchant.apiKey);
    console.log(`Webhook events queued for the merchant: ${events.events.map((e: { type: string }) => e.type).join(", ")}.`);

    const proof = await call("GET", "/v1/admin/ledger/verify", undefined, admin);
    console.log(`\nLedger check: ${proof.accounts} accounts, postings sum ${proof.postingsSum}, ${proof.balanced ? "every balance equals its postings" : "MISMATCH"}`);
    return proof.balanced ? 0 : 1;
  } finally {
    await platform.stop();
  }
}
