import { randomUUID } from "node:crypto";
import type { ReferenceBank } from "@obol/bank";
import { failpoint } from "./failpoints.js";
import type { RouteContext } from "./http/context.js";
import { transferIdFor } from "./modules/idempotency/service.js";
import { generatePassword } from "./modules/parties/passwords.js";
import type { User } from "./modules/parties/service.js";

export interface DemoLogins {
  users: { msisdn: string; displayName: string; password: string }[];
  merchant: { id: string; legalName: string; apiKey: string };
  operator: { username: string; password: string };
  /** With a bank in this process: each demo user's account at the reference bank, linked and used for the opening top-up. */
  bankAccounts?: { msisdn: string; number: string }[];
}

const demoUsers = [
  { msisdn: "+254700000001", displayName: "Amina Otieno" },
  { msisdn: "+254700000002", displayName: "Brian Kamau" },
];

/**
 * Seeds a fresh platform with two funded users, one approved merchant and one admin, with
 * passwords and a key generated now: they are returned once and stored only as hashes.
 * Returns undefined when the platform already has users.
 */
export async function seedDemoData(services: RouteContext, bank?: ReferenceBank): Promise<DemoLogins | undefined> {
  if ((await services.parties.countUsers()) > 0) return undefined;
  const currency = services.wallet.currencies[0]!;
  // The users and the operator are made at once: their password hashes (scrypt) run side by side on the thread pool.
  const makeUser = async (demo: (typeof demoUsers)[number], index: number) => {
    const password = generatePassword();
    const created = await services.parties.createUser({ ...demo, password });
    if (!created.ok) throw new Error(`demo user ${demo.msisdn}: ${created.code}`);
    const transferId = transferIdFor(`demo:${created.user.id}`, `opening-${index}`);
    let bankAccount: string | undefined;
    if (bank !== undefined && services.banking.enabled) {
      bankAccount = await linkDemoAccount(services, bank, created.user, currency);
      const topUp = await services.banking.topUp(created.user, { amount: 500_000n, currency, operationId: transferId });
      if (!topUp.ok || topUp.value.status !== "completed") throw new Error(`demo top-up through the bank: ${JSON.stringify(topUp)}`);
    } else {
      const topUp = await services.wallet.topUp(created.user, { amount: 500_000n, currency, transferId });
      if (!topUp.ok) throw new Error(`demo top-up: ${topUp.code}`);
    }
    return { user: { ...demo, password }, bankAccount };
  };
  const operatorPassword = generatePassword();
  const [made, operator] = await Promise.all([
    Promise.all(demoUsers.map(makeUser)),
    services.parties.createOperator({ username: "admin", password: operatorPassword, role: "admin" }),
  ]);
  if (!operator.ok) throw new Error(`demo operator: ${operator.code}`);
  failpoint("demo.after_users"); // tests: a first start that dies here is made again, whole, by the next one
  const users: DemoLogins["users"] = made.map((m) => m.user);
  const bankAccounts = made.flatMap((m) => (m.bankAccount === undefined ? [] : [{ msisdn: m.user.msisdn, number: m.bankAccount }]));
  const merchant = await services.parties.createMerchant({ legalName: "Demo Coffee Ltd", category: "5814" });
  const decided = await services.parties.decideMerchant(merchant.id, "approved", operator.operator.id);
  if (!decided.ok) throw new Error(`demo merchant: ${decided.code}`);
  const apiKey = await services.auth.issueApiKey(merchant.id, `demo-${randomUUID().slice(0, 8)}`);
  return {
    users, merchant: { id: merchant.id, legalName: merchant.legalName, apiKey }, operator: { username: "admin", password: operatorPassword },
    ...(bankAccounts.length > 0 ? { bankAccounts } : {}),
  };
}

/**
 * Opens a funded account at the in-process reference bank and links it the way a user would: the
 * platform asks the bank to verify it, the bank sends the holder a code, the "holder" reads it from
 * the bank's messages and the platform confirms it.
 */
async function linkDemoAccount(services: RouteContext, bank: ReferenceBank, user: User, currency: string): Promise<string> {
  const account = await bank.books.openAccount({ currency, holderName: user.displayName, msisdn: user.msisdn });
  await bank.books.fund(account.number, 10_000_000n);
  const started = await services.banking.startLink(user, { accountNumber: account.number, currency });
  if (!started.ok) throw new Error(`demo bank link: ${started.code}`);
  const code = /is ([0-9]{6})\./.exec((await bank.books.customerMessages(account.number))[0]?.body ?? "")?.[1];
  if (code === undefined) throw new Error("demo bank link: the bank sent no code");
  const confirmed = await services.banking.confirmLink(user, started.value.linkId, code);
  if (!confirmed.ok) throw new Error(`demo bank link: ${confirmed.code}`);
  return account.number;
}
