#!/usr/bin/env node
// Runs the compiled node:test files of every workspace package.
//
//   node scripts/run-tests.mjs unit         packages/*/dist/test/**/*.test.js, except dist/test/integration/
//   node scripts/run-tests.mjs integration  packages/*/dist/test/integration/**/*.test.js
//
// Node 20's `node --test` takes no glob patterns, so the file list is built here. Integration tests need
// PostgreSQL: without DATABASE_URL a throwaway cluster is started on loopback (and stopped afterwards, also on
// failure) with the same helper the tests use. Build first (`npm run build`); this script compiles nothing.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const TEST_CONCURRENCY = 2;
// A deadlock guard only, never a speed limit: a deadlocked test (e.g. querying through `db` inside a PGlite
// transaction) must fail, not hang CI, but a file that is merely slow on a busy machine must pass. On 2 cores
// shared with other work a file can get a tenth of a core; the slowest file needs about 25 CPU seconds.
const TEST_TIMEOUT_MS = 600_000;

const mode = process.argv[2];
if (mode !== "unit" && mode !== "integration") {
  console.error("usage: node scripts/run-tests.mjs unit|integration");
  process.exit(2);
}

function walk(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path) : [path];
  });
}

function findTestFiles() {
  const packagesDir = join(root, "packages");
  const files = [];
  const stale = [];
  for (const pkg of readdirSync(packagesDir, { withFileTypes: true })) {
    if (!pkg.isDirectory()) continue;
    const testDir = join(packagesDir, pkg.name, "dist", "test");
    for (const file of walk(testDir)) {
      if (!file.endsWith(".test.js")) continue;
      const isIntegration = relative(testDir, file).split(sep)[0] === "integration";
      if (isIntegration !== (mode === "integration")) continue;
      // tsc -b never deletes outputs: a test whose .ts source is gone would otherwise keep running.
      const source = join(packagesDir, pkg.name, "test", relative(testDir, file)).replace(/\.js$/, ".ts");
      (existsSync(source) ? files : stale).push(file);
    }
  }
  for (const file of stale) console.warn(`run-tests: skipping ${relative(root, file)} (its .ts source no longer exists)`);
  return files.sort();
}

function redact(url) {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = "***";
  return parsed.toString();
}

/**
 * A directory for this run's test fixtures (support/snapshot.ts: a migrated, keyed platform database and an
 * empty initdb'd PGlite cluster), made here once before the test files start so that they restore or copy
 * them instead of each running initdb.
 */
async function prepareFixtures() {
  const dir = mkdtempSync(join(tmpdir(), "obol-test-cache-"));
  const dist = join(root, "packages", "platform", "dist");
  const snapshot = join(dist, "test", "support", "snapshot.js");
  if (!existsSync(snapshot)) throw new Error(`${relative(root, snapshot)} is missing: run \`npm run build\` first`);
  const { prepareEmptyCluster, prepareSnapshot, snapshotKeyPassphrase } = await import(pathToFileURL(snapshot).href);
  const { loadConfig } = await import(pathToFileURL(join(dist, "src", "config.js")).href);
  process.env.OBOL_TEST_CACHE_DIR = dir;
  const startedAt = performance.now();
  await Promise.all([prepareSnapshot(loadConfig({ DATABASE_URL: "", OBOL_KEY_PASSPHRASE: snapshotKeyPassphrase })), prepareEmptyCluster(dir)]);
  console.log(`run-tests: made the test fixtures in ${dir} in ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  return dir;
}

async function startThrowawayServer() {
  const helper = join(root, "packages", "platform", "dist", "test", "support", "postgres.js");
  if (!existsSync(helper)) throw new Error(`${relative(root, helper)} is missing: run \`npm run build\` first`);
  const { startPostgres } = await import(pathToFileURL(helper).href);
  return startPostgres();
}

function runNodeTest(files, env) {
  const args = ["--test", `--test-concurrency=${TEST_CONCURRENCY}`, `--test-timeout=${TEST_TIMEOUT_MS}`, ...files];
  const child = spawn(process.execPath, args, { stdio: "inherit", env, cwd: root });
  // Ctrl-C reaches the child through the terminal too; forwarding covers `kill <pid>` of this script. Either
  // way the child exits and the `finally` below stops the throwaway server.
  const forward = (signal) => child.kill(signal);
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("error", (error) => {
      console.error(`run-tests: could not start node --test: ${error.message}`);
      resolve(1);
    });
    child.on("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const files = findTestFiles();
if (files.length === 0) {
  console.error(`run-tests: no ${mode} test files found under packages/*/dist/test — did the build run?`);
  process.exit(1);
}
console.log(`run-tests: ${files.length} ${mode} test file(s)`);

let server;
let cacheDir;
let exitCode = 1;
try {
  // The integration tests use neither fixture (they run on PostgreSQL).
  if (mode === "unit") cacheDir = await prepareFixtures();
  const env = { ...process.env };
  if (mode === "integration") {
    if (env.DATABASE_URL) {
      console.log(`run-tests: using DATABASE_URL from the environment: ${redact(env.DATABASE_URL)}`);
    } else {
      const startedAt = performance.now();
      server = await startThrowawayServer();
      env.DATABASE_URL = server.url;
      const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      console.log(`run-tests: started a throwaway PostgreSQL at ${server.url} (${server.dir}) in ${seconds} s`);
    }
  }
  exitCode = await runNodeTest(files, env);
} catch (error) {
  console.error(`run-tests: ${error instanceof Error ? error.message : String(error)}`);
  exitCode = 1;
} finally {
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  if (server) {
    await server.stop();
    console.log("run-tests: throwaway PostgreSQL stopped");
  }
}
process.exit(exitCode);
