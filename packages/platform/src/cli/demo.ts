import { generateKeyPairSync, randomBytes, randomUUID, X509Certificate } from "node:crypto";
import { createCsr } from "@obol/pki";
import { buildMessage, MemoryReplayGuard, openMessage, readNodes, verifyReceipt, type XmlNode } from "@obol/xml";
import { createObolClient, expectOk } from "@obol/sdk";
import { loadConfig } from "../config.js";
import { seedDemoData } from "../demo-data.js";
import { formatAmount } from "../money.js";
import { getPayment } from "./merchant.js";
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
    // The tour's JSON calls go through @obol/sdk, the typed client generated from the platform's OpenAPI document.
    const client = (token?: string) => createObolClient({ baseUrl: base, ...(token === undefined ? {} : { token }) });
    const anonymous = client();
    const [amina, brian] = logins.users as [typeof logins.users[0], typeof logins.users[0]];
    const login = async (msisdn: string, password: string) => (await expectOk<unknown, { token: string }>(anonymous.POST("/v1/auth/login", { body: { msisdn, password } }))).token;
    const [tokenA, tokenB] = [await login(amina.msisdn, amina.password), await login(brian.msisdn, brian.password)];
    const show = async (title: string) => {
      console.log(title);
      for (const [user, token] of [[amina, tokenA], [brian, tokenB]] as const) {
        const { balances } = await expectOk<unknown, { balances: { available: string; currency: string }[] }>(client(token).GET("/v1/me/balance"));
        console.log(`  ${user.displayName.padEnd(14)} ${user.msisdn}  ${formatAmount(BigInt(balances[0]!.available), balances[0]!.currency)}`);
      }
    };
    await show("Balances before:");
    const currency = config.currencies[0]!;
    const key = randomUUID();
    const transfer = () => expectOk<unknown, { transferId: string }>(client(tokenA).POST("/v1/transfers", {
      params: { header: { "idempotency-key": key } }, body: { toMsisdn: brian.msisdn, amount: "125050", currency },
    }));
    const sent = await transfer();
    console.log(`\n${amina.displayName} sends ${formatAmount(125050n, currency)} to ${brian.displayName}: transfer ${sent.transferId}`);
    const replay = await transfer();
    console.log(`The same request retried with the same Idempotency-Key returns transfer ${replay.transferId} again; nothing moves twice.\n`);
    await show("Balances after:");
    const admin = client((await expectOk<unknown, { token: string }>(anonymous.POST("/v1/admin/login", { body: { username: logins.operator.username, password: logins.operator.password } }))).token);
    const merchantApi = client(logins.merchant.apiKey);

    // The user-confirmed payment, funded by Amina's linked bank account.
    const bank = platform.bank.embedded?.bank;
    const account = logins.bankAccounts?.find((a) => a.msisdn === amina.msisdn)?.number;
    const bankBalance = async () => (bank === undefined || account === undefined ? undefined : (await bank.books.account(account))?.balance);
    const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const { code } = await expectOk<unknown, { code: string }>(admin.POST("/v1/admin/enrolment-codes", { body: { msisdn: amina.msisdn } }));
    const device = await expectOk<unknown, { serial: string; compactId: string; platform: { signing: string } }>(client(tokenA).POST("/v1/pki/enrol", {
      body: { code, csr: Buffer.from(await createCsr(deviceKey, "demo-phone")).toString("base64") },
    }));
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
    const requested = await expectOk<unknown, { id: string; merchantId: string; amount: string; expiresAt: string }>(merchantApi.POST("/v1/payments", {
      body: { amount: "45000", currency, merchantReference: `demo-${randomUUID().slice(0, 8)}`, description: "Coffee beans, 1 kg", payerMsisdn: amina.msisdn },
      params: { header: { "idempotency-key": randomUUID() } },
    }));
    console.log(`${logins.merchant.legalName} requests ${formatAmount(45000n, currency)} from ${amina.msisdn}: payment ${requested.id}, expires ${requested.expiresAt}.`);
    const inbox = await signed("wallet.inbox", [{ name: "Inbox", attributes: { WaitSeconds: "0" } }]);
    const shown = (inbox.element?.children ?? []).find((c): c is XmlNode => typeof c !== "string" && c.attributes?.PaymentId === requested.id)!.attributes!;
    console.log(`Her wallet shows (platform-signed): pay ${formatAmount(BigInt(shown.Amount!), shown.Currency!)} to ${shown.MerchantName} (${shown.MerchantStatus}), reference ${shown.Reference}.`);
    const confirmed = await signed("wallet.payment.confirm", [{ name: "Confirm", attributes: { PaymentId: requested.id, MerchantId: requested.merchantId, Amount: requested.amount, Currency: currency, Funding: "bank" } }]);
    if (confirmed.status !== 201) throw new Error(`confirmation refused: ${confirmed.text}`);
    const receipt = await verifyReceipt(confirmed.text, platformCertificate);
    console.log(`She confirms with her device key; the platform debits her bank account and answers with a receipt (signature verified): ${receipt.status} ${formatAmount(BigInt(receipt.amountMinor), receipt.currency)} ${receipt.payer} → ${receipt.payee}.`);
    const detail = await getPayment(merchantApi, requested.id);
    console.log(`The merchant's status query: ${detail.state}, funded from ${detail.fundingSource}, fee ${formatAmount(BigInt(detail.fee ?? "0"), currency)}; transitions ${detail.transitions.map((t) => t.to).join(" → ")}.`);
    const bankAfter = await bankBalance();
    if (bankBefore !== undefined && bankAfter !== undefined) {
      console.log(`Her account at the reference bank: ${formatAmount(bankBefore, currency)} → ${formatAmount(bankAfter, currency)}.`);
    }
    const merchant = await expectOk<unknown, { balances: { available: string }[] }>(merchantApi.GET("/v1/merchant"));
    console.log(`${logins.merchant.legalName}'s balance: ${formatAmount(BigInt(merchant.balances[0]!.available), currency)} (the amount less the platform's fee).`);
    const events = await expectOk<unknown, { events: { type: string }[] }>(merchantApi.GET("/v1/merchant/webhook-events", { params: { query: { limit: 5 } } }));
    console.log(`Webhook events queued for the merchant: ${events.events.map((e: { type: string }) => e.type).join(", ")}.`);

    const proof = await expectOk<unknown, { accounts: number; postingsSum: string; balanced: boolean }>(admin.GET("/v1/admin/ledger/verify"));
    console.log(`\nLedger check: ${proof.accounts} accounts, postings sum ${proof.postingsSum}, ${proof.balanced ? "every balance equals its postings" : "MISMATCH"}`);
    return proof.balanced ? 0 : 1;
  } finally {
    await platform.stop();
  }
}
