import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";

/**
 * A freshly initialised, empty PGlite cluster as a tar file, made once by the build (`npm install` runs it) so
 * that a new data directory is unpacked from it instead of running initdb. initdb in PGlite starts a second,
 * in-memory PostgreSQL, runs the initdb program against it and copies its files over: most of a first start's
 * time. The template holds no data and no secret (initdb's catalogs only; the platform's and the bank's
 * migrations run on it at start as on any empty database), and is named after the PGlite version that made
 * it, so an upgrade never unpacks another version's files: without a matching template PGlite runs initdb.
 */
const templateDir = fileURLToPath(new URL("../../pglite-template/", import.meta.url));

function pgliteVersion(): string {
  // The package's version, from the package.json beside its entry point (its exports map hides the file).
  const entry = fileURLToPath(import.meta.resolve("@electric-sql/pglite"));
  const packageJson = join(entry, "..", "..", "package.json");
  return (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
}

export function pgliteTemplatePath(): string {
  return join(templateDir, `pglite-${pgliteVersion()}.tar`);
}

let cached: WeakRef<Blob> | undefined;

/** The template of this PGlite version, or undefined when the build has not made it. */
export async function pgliteTemplate(): Promise<Blob | undefined> {
  const held = cached?.deref();
  if (held !== undefined) return held;
  const path = pgliteTemplatePath();
  if (!existsSync(path)) return undefined;
  const blob = new Blob([await readFile(path)]);
  cached = new WeakRef(blob);
  return blob;
}

/** True when `dataDir` holds no cluster yet, i.e. PGlite would run initdb (or unpack the template) there. */
export function isNewPgliteDir(dataDir: string): boolean {
  return !existsSync(join(dataDir, "PG_VERSION"));
}

/** Makes the template unless it exists (the build calls this). Written to a temporary name, then renamed. */
export async function writePgliteTemplate(): Promise<{ path: string; created: boolean }> {
  const path = pgliteTemplatePath();
  if (existsSync(path)) return { path, created: false };
  const pglite = await PGlite.create();
  try {
    await pglite.exec("CHECKPOINT");
    const tar = await pglite.dumpDataDir("none");
    await mkdir(templateDir, { recursive: true });
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, new Uint8Array(await tar.arrayBuffer()));
    await rename(temporary, path);
  } finally {
    await pglite.close();
  }
  return { path, created: true };
}
