import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openDatabase, type Database } from "../../src/db/database.js";
import { checkDurability } from "../../src/db/durability.js";
import { isObolError } from "../../src/errors/obol-error.js";
import { databaseUrlFromEnv, startPostgres, type ThrowawayPostgres } from "../support/postgres.js";

// T13: every unsafe setting runs on its own real server, so the guard is tested against what PostgreSQL
// actually reports, not against our idea of it. Four clusters start in parallel (~1–3 s in total).
const UNSAFE_SETTINGS = ["fsync", "synchronous_commit", "full_page_writes"] as const;
type ServerName = "safe" | (typeof UNSAFE_SETTINGS)[number];

const servers = new Map<ServerName, { cluster: ThrowawayPostgres; database: Database }>();

before(async () => {
  databaseUrlFromEnv(); // integration runs must have a server; fail here instead of passing vacuously
  const names: ServerName[] = ["safe", ...UNSAFE_SETTINGS];
  const started = await Promise.allSettled(
    names.map(async (name) => {
      const cluster = await startPostgres({ settings: name === "safe" ? {} : { [name]: "off" } });
      servers.set(name, { cluster, database: await openDatabase({ url: cluster.url, poolSize: 1 }) });
    }),
  );
  const failure = started.find((result) => result.status === "rejected");
  if (failure) throw failure.reason;
});

after(async () => {
  await Promise.all(
    [...servers.values()].map(async ({ cluster, database }) => {
      await database.close().catch(() => {});
      await cluster.stop();
    }),
  );
});

function server(name: ServerName): Database {
  const entry = servers.get(name);
  assert.ok(entry, `server ${name} did not start`);
  return entry.database;
}

test("production accepts a PostgreSQL server with default (safe) settings", async () => {
  const report = await checkDurability(server("safe"), { production: true });
  assert.equal(report.kind, "postgres");
  assert.deepEqual(report.problems, []);
  assert.equal(report.settings.fsync, "on");
  assert.equal(report.settings.synchronous_commit, "on");
  assert.equal(report.settings.full_page_writes, "on");
});

for (const setting of UNSAFE_SETTINGS) {
  test(`production refuses a server running with ${setting}=off`, async () => {
    await assert.rejects(checkDurability(server(setting), { production: true }), (error: unknown) => {
      assert.ok(isObolError(error, "ERR_UNSAFE_STORAGE"), String(error));
      assert.match(error.message, new RegExp(`${setting}=off`));
      assert.match(error.message, new RegExp(`${setting} = on`)); // says how to fix it
      const { problems } = error.details as { problems: Array<{ setting: string }> };
      assert.deepEqual(problems.map((problem) => problem.setting), [setting]);
      return true;
    });
  });

  test(`development starts on ${setting}=off but reports it`, async () => {
    const report = await checkDurability(server(setting), { production: false });
    assert.deepEqual(report.problems.map((problem) => problem.setting), [setting]);
    assert.equal(report.settings[setting], "off");
  });
}
