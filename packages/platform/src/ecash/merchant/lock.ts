import { open, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/**
 * PGlite lets one process open a data directory. A merchant command takes the directory's lock file (its pid
 * inside, created exclusively); a lock whose process is gone is taken over. `obol merchant ecash serve` also
 * writes serve.json (its port and an admin token, mode 0600) so that the other commands can ask it instead.
 */
export interface ServeInfo {
  pid: number;
  url: string;
  adminToken: string;
}

export type Lock = { release(): Promise<void> };

export async function acquireLock(dataDir: string): Promise<Lock | { heldBy: number }> {
  const path = join(dataDir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(path, "wx", 0o600);
      await handle.writeFile(String(process.pid));
      await handle.close();
      return { release: () => unlink(path).catch(() => {}) };
    } catch (error) {
      if ((error as { code?: string }).code !== "EEXIST") throw error;
      const holder = Number((await readFile(path, "utf8").catch(() => "")).trim());
      if (Number.isSafeInteger(holder) && holder > 0 && isAlive(holder)) return { heldBy: holder };
      await unlink(path).catch(() => {});
    }
  }
  throw new Error(`cannot take ${path}`);
}

export async function writeServeInfo(dataDir: string, info: ServeInfo): Promise<void> {
  await writeFile(join(dataDir, "serve.json"), JSON.stringify(info) + "\n", { mode: 0o600 });
}

export async function removeServeInfo(dataDir: string): Promise<void> {
  await unlink(join(dataDir, "serve.json")).catch(() => {});
}

export async function readServeInfo(dataDir: string): Promise<ServeInfo | undefined> {
  try {
    return JSON.parse(await readFile(join(dataDir, "serve.json"), "utf8")) as ServeInfo;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
