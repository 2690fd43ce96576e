import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * The passphrase a development install keeps beside its data (`<dir>/key-passphrase`, mode 0600), so
 * that sealed keys survive restarts with nothing to configure. Created on first use ("wx": two processes
 * starting together cannot both write one). Production configurations give the passphrase instead.
 */
export async function readOrCreatePassphraseFile(dir: string): Promise<string> {
  const file = join(dir, "key-passphrase");
  try {
    return (await readFile(file, "utf8")).trim();
  } catch (error) {
    if ((error as { code?: string }).code !== "ENOENT") throw error;
  }
  await mkdir(dir, { recursive: true });
  const generated = randomBytes(24).toString("base64url");
  await writeFile(file, generated + "\n", { mode: 0o600, flag: "wx" });
  return generated;
}
