import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { ObolError } from "./errors/obol-error.js";
import { demoLoginsFileName } from "./demo-logins-file.js";

/**
 * A data directory's first start is all or nothing. It is marked while under way (`first-start-incomplete`);
 * the mark goes only once the keys, the schema, the demo data and its logins file are all made, before the
 * platform answers any request. A start that finds the mark knows that the last first start died half way
 * and that nothing it made was ever served or shown (its demo logins included), so it removes what that start
 * made and begins again. Only the embedded storage is handled so: with DATABASE_URL the data lives in a
 * server this cannot roll back, and the directory then holds secrets (key-passphrase) that must never go.
 */
const markerName = "first-start-incomplete";
/** What a first start makes in the data directory: the only entries ever removed. */
const firstStartEntries = ["pglite", "bank", "key-passphrase", demoLoginsFileName];

export interface DataDirState {
  /** This start makes the data directory's database (and so its keys and demo data). */
  firstStart: boolean;
  /** An earlier first start died half way; what it made was removed. */
  restarted: boolean;
}

/**
 * Creates the data directory if needed and proves it writable (a probe file: permission bits alone say
 * nothing to root), then applies the first-start rule above. Errors are ERR_DATA_DIR with one clear sentence.
 */
export async function prepareDataDir(dataDir: string, embedded: boolean): Promise<DataDirState> {
  try {
    await mkdir(dataDir, { recursive: true });
    const probe = join(dataDir, `.write-test-${process.pid}`);
    await writeFile(probe, "");
    await rm(probe);
  } catch (error) {
    const code = (error as { code?: string }).code ?? "error";
    throw new ObolError("ERR_DATA_DIR", `cannot write to the data directory ${dataDir} (${code}): fix its permissions or choose another with OBOL_DATA_DIR=…`, { cause: error });
  }
  if (!embedded) return { firstStart: false, restarted: false };
  const marker = join(dataDir, markerName);
  const restarted = existsSync(marker);
  if (restarted) {
    // The marker lists what that start made (what did not exist before it); only those go.
    const listed = (await readFile(marker, "utf8")).split("\n").filter((line) => firstStartEntries.includes(line));
    for (const entry of listed) await rm(join(dataDir, entry), { recursive: true, force: true });
    for (const entry of await readdir(dataDir)) if (entry.startsWith(`${demoLoginsFileName}.`) && entry.endsWith(".tmp")) await rm(join(dataDir, entry), { force: true });
    await rm(marker);
  }
  const firstStart = !existsSync(join(dataDir, "pglite", "PG_VERSION"));
  if (firstStart) {
    const making = firstStartEntries.filter((entry) => entry !== "pglite" && !existsSync(join(dataDir, entry)));
    await writeFile(marker, [
      "# An Obol first start is making this directory. If this file stays, that start did not finish: the next",
      "# start removes what it made (listed below) and begins again.",
      "pglite", ...making, "",
    ].join("\n"));
  }
  return { firstStart, restarted };
}

/** The first start is complete: from now on nothing in the directory is ever removed. */
export async function finishFirstStart(dataDir: string): Promise<void> {
  await rm(join(dataDir, markerName), { force: true });
}
