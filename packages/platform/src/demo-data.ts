import { randomUUID } from "node:crypto";
import type { RouteContext } from "./http/context.js";
import { transferIdFor } from "./modules/idempotency/service.js";
import { generatePassword } from "./modules/parties/passwords.js";

export interface DemoLogins {
  users: { msisdn: string; displayName: string; password: string }[];
  merchant: { id: string; legalName: string; apiKey: string };
  operator: { username: string; password: string };
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
export async function seedDemoData(services: RouteContext): Promise<DemoLogins | undefined> {
  if ((await services.parties.countUsers()) > 0) return undefined;
  const currency = services.wallet.currencies[0]!;
  const users: DemoLogins["users"] = [];
  for (const [index, demo] of demoUsers.entries()) {
    const password = generatePassword();
    const created = await services.parties.createUser({ ...demo, password });
    if (!created.ok) throw new Error(`demo user ${demo.msisdn}: ${created.code}`);
    const topUp = await services.wallet.topUp(created.user, { amount: 500_000n, currency, transferId: transferIdFor(`demo:${created.user.id}`, `opening-${index}`) });
    if (!topUp.ok) throw new Error(`demo top-up: ${topUp.code}`);
    users.push({ ...demo, password });
  }
  const operatorPassword = generatePassword();
  const operator = await services.parties.createOperator({ username: "admin", password: operatorPassword, role: "admin" });
  if (!operator.ok) throw new Error(`demo operator: ${operator.code}`);
  const merchant = await services.parties.createMerchant({ legalName: "Demo Coffee Ltd", category: "5814" });
  const decided = await services.parties.decideMerchant(merchant.id, "approved", operator.operator.id);
  if (!decided.ok) throw new Error(`demo merchant: ${decided.code}`);
  const apiKey = await services.auth.issueApiKey(merchant.id, `demo-${randomUUID().slice(0, 8)}`);
  return { users, merchant: { id: merchant.id, legalName: merchant.legalName, apiKey }, operator: { username: "admin", password: operatorPassword } };
}
