/**
 * A migrated, keyed platform database made once and restored per test file: a fresh PGlite runs initdb
 * (about 5 CPU seconds of WebAssembly), which cost more than everything else a test file's platform does.
 * The snapshot is an in-memory PGlite after every migration and the first start's key creation (PKI,
 * session-key KEK, e-cash seed, webhook sealer salt), sealed under `snapshotKeyPassphrase` with the
 * production scrypt cost: keys are reused, never weakened. It holds no users, sessions or money.
 *
 * `scripts/run-tests.mjs` sets OBOL_TEST_CACHE_DIR to a directory made for one run (and removed after
 * it), so a snapshot is made once per run and read by every test process; without it (one file run
 * by hand) each process makes its own, once. A restored database starts from the same bytes, so it is
 * as isolated as a fresh one.
 */
import { createHash } from "node:crypto";
import { existsSync, openAsBlob } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { Kysely } from "kysely";
import { loadConfig, type Config } from "../../src/config.js";
import type { Database } from "../../src/db/database.js";
import { INT8_OID, parseInt8 } from "../../src/db/int8-parsing.js";
import { PGliteDialect } from "../../src/db/pglite-dialect.js";
import { createPlatform } from "../../src/platform.js";

/** The passphrase the snapshot's keys are sealed under; a test platform restored from it must use it. */
export const snapshotKeyPassphrase = "obol-test-snapshot-key-passphrase";

const made = new Map<string, Promise<Blob>>();

function wrap(pglite: PGlite, close: () => Promise<void>): Database {
  return { kind: "pglite", db: new Kysely<any>({ dialect: new PGliteDialect(pglite) }), close };
}

/** A fresh in-memory PGlite, as openDatabase({ memory: true }) makes it (int8 as bigint). */
function newPglite(loadDataDir?: Blob): Promise<PGlite> {
  return PGlite.create({ parsers: { [INT8_OID]: parseInt8 }, ...(loadDataDir === undefined ? {} : { loadDataDir }) });
}

/** Makes the snapshot for this config: the first start of an in-memory platform, then a dump of its database. */
async function makeSnapshot(publicUrl: string): Promise<Blob> {
  // Only the public URL (in the certificates) and the passphrase shape what the first start stores.
  const config = loadConfig({ DATABASE_URL: "", OBOL_KEY_PASSPHRASE: snapshotKeyPassphrase, OBOL_PUBLIC_URL: publicUrl });
  const pglite = await newPglite();
  // The platform's stop() closes its storage; the dump is taken after that, from the still-open PGlite.
  const platform = await createPlatform(config, { logger: false, memory: true, webhookWorker: "manual", settlementScheduler: "manual", database: wrap(pglite, async () => {}) });
  await platform.stop();
  const dump = await pglite.dumpDataDir("none");
  await pglite.close();
  return dump;
}

async function snapshotFor(config: Config): Promise<Blob> {
  // Service certificates carry the OCSP and CRL URLs: one snapshot per public URL.
  const key = createHash("sha256").update(config.publicUrl).digest("hex").slice(0, 16);
  let snapshot = made.get(key);
  if (snapshot === undefined) {
    snapshot = (async () => {
      const cacheDir = process.env.OBOL_TEST_CACHE_DIR;
      const file = cacheDir === undefined || cacheDir === "" ? undefined : join(cacheDir, `platform-${key}.tar`);
      if (file !== undefined && existsSync(file)) return openAsBlob(file);
      const dump = await makeSnapshot(config.publicUrl);
      if (file !== undefined) {
        // Written aside and renamed: a process reading at the same time sees the whole file or none.
        const partial = `${file}.${process.pid}.partial`;
        await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
        await rename(partial, file);
      }
      return dump;
    })();
    made.set(key, snapshot);
  }
  return snapshot;
}

/**
 * An in-memory database holding the snapshot for `config`, to pass as createPlatform's `database`.
 * `config.keyPassphrase` must be snapshotKeyPassphrase.
 */
export async function openSnapshotDatabase(config: Config): Promise<Database> {
  if (config.keyPassphrase !== snapshotKeyPassphrase) throw new Error("a platform restored from the snapshot needs OBOL_KEY_PASSPHRASE = snapshotKeyPassphrase");
  const pglite = await newPglite(await snapshotFor(config));
  return wrap(pglite, () => pglite.close());
}

/** Makes the default harness snapshot into OBOL_TEST_CACHE_DIR (run-tests.mjs, before the test files start). */
export async function prepareSnapshot(config: Config): Promise<void> {
  await snapshotFor(config);
}

/** Where run-tests.mjs keeps an initdb'd, empty PGlite cluster for processes that open PGlite on a directory. */
export function emptyClusterTemplate(cacheDir: string): string {
  return join(cacheDir, "pglite-empty");
}

/** Makes the empty cluster template (run-tests.mjs, before the test files start). */
export async function prepareEmptyCluster(cacheDir: string): Promise<void> {
  const pglite = await PGlite.create({ dataDir: emptyClusterTemplate(cacheDir) });
  await pglite.close();
}
