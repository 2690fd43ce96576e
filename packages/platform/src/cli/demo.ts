import { randomUUID } from "node:crypto";
import { loadConfig } from "../config.js";
import { seedDemoData } from "../demo-data.js";
import { formatAmount } from "../money.js";
import { openPlatform, progress } from "./start.js";

/**
 * A scripted P2P transfer on a throwaway in-memory platform, through the real HTTP API on a
 * loopback port: log in, show balances, send money, show balances again.
 */
export async function runDemo(): Promise<number> {
  const config = { ...loadConfig({ ...process.env, DATABASE_URL: "" }), port: 0 };
  const platform = await openPlatform(config, { logger: false, memory: true });
  try {
    const done = progress("seeding demo users, merchant and operator\n");
    const logins = (await seedDemoData(platform.services))!;
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
    const proof = await call("GET", "/v1/admin/ledger/verify", undefined, admin);
    console.log(`\nLedger check: ${proof.accounts} accounts, postings sum ${proof.postingsSum}, ${proof.balanced ? "every balance equals its postings" : "MISMATCH"}`);
    return proof.balanced ? 0 : 1;
  } finally {
    await platform.stop();
  }
}
