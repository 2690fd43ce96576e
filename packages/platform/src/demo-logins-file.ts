import { existsSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import type { DemoLogins } from "./demo-data.js";

/**
 * The demo logins, kept where `obol start --demo` made them so that they are never lost: the passwords and
 * the API key exist nowhere else (the database holds only their hashes). Shell-sourceable KEY=value lines
 * (`. ./data/demo-logins.env`), also readable by dotenv parsers: every value is plain [A-Za-z0-9+_.:@-].
 */
export const demoLoginsFileName = "demo-logins.env";

export function demoLoginsPath(dataDir: string): string {
  return join(dataDir, demoLoginsFileName);
}

const plainValue = /^[A-Za-z0-9+_.:@-]+$/;

/** The file's text (pure). Throws if a value would need quoting: none of the generated ones does. */
export function formatDemoLogins(logins: DemoLogins, createdAt: Date, shownPath: string): string {
  const [user1, user2] = logins.users;
  if (user1 === undefined || user2 === undefined) throw new Error("demo logins: two users expected");
  const entries: Array<[string, string]> = [
    ["OBOL_DEMO_USER1_MSISDN", user1.msisdn], ["OBOL_DEMO_USER1_PASSWORD", user1.password],
    ["OBOL_DEMO_USER2_MSISDN", user2.msisdn], ["OBOL_DEMO_USER2_PASSWORD", user2.password],
    ["OBOL_DEMO_ADMIN_USERNAME", logins.operator.username], ["OBOL_DEMO_ADMIN_PASSWORD", logins.operator.password],
    ["OBOL_DEMO_MERCHANT_API_KEY", logins.merchant.apiKey],
  ];
  for (const [index, user] of [user1, user2].entries()) {
    const account = logins.bankAccounts?.find((a) => a.msisdn === user.msisdn);
    if (account !== undefined) entries.push([`OBOL_DEMO_USER${index + 1}_BANK_ACCOUNT`, account.number]);
  }
  for (const [name, value] of entries) if (!plainValue.test(value)) throw new Error(`demo logins: ${name} would need quoting`);
  return [
    `# Obol demo logins, made by \`obol start --demo\` on ${createdAt.toISOString()}.`,
    "# Secret: the passwords and the API key are stored nowhere else (the database keeps only hashes).",
    `# Load them into your shell with:  . ${shownPath}   (\`set -a\` first to export them to commands too)`,
    `# Users: ${user1.displayName} (USER1) and ${user2.displayName} (USER2); merchant: ${logins.merchant.legalName}.`,
    ...entries.map(([name, value]) => `${name}=${value}`),
    "",
  ].join("\n");
}

/**
 * Writes the file atomically: a temporary file (mode 0600, flushed to disk), then a rename, so the file is
 * either absent or complete, never half written.
 */
export async function writeDemoLoginsFile(dataDir: string, text: string): Promise<string> {
  const path = demoLoginsPath(dataDir);
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, "w", 0o600);
  try {
    await file.writeFile(text);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return path;
}

export function demoLoginsFileExists(dataDir: string): boolean {
  return existsSync(demoLoginsPath(dataDir));
}
