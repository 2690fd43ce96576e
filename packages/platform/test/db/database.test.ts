import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../../src/db/database.js";
import { isObolError } from "../../src/errors/obol-error.js";

test("contradictory configurations are refused with ERR_DB_CONFIG", async () => {
  for (const config of [
    { url: "postgres://127.0.0.1/x", memory: true },
    { url: "postgres://127.0.0.1/x", dataDir: "/tmp/x" },
    { memory: true, dataDir: "/tmp/x" },
    { memory: true, poolSize: 4 },
    { url: "postgres://127.0.0.1/x", poolSize: 0 },
  ]) {
    await assert.rejects(openDatabase(config), (error: unknown) => isObolError(error, "ERR_DB_CONFIG"), JSON.stringify(config));
  }
});

test("an unreachable PostgreSQL fails at open with ERR_DB_UNAVAILABLE", async () => {
  // Port 1 on loopback: nothing listens there, so the connection is refused at once.
  await assert.rejects(openDatabase({ url: "postgres://obol@127.0.0.1:1/obol", connectTimeoutMs: 2_000 }), (error: unknown) =>
    isObolError(error, "ERR_DB_UNAVAILABLE"),
  );
});

test("a PGlite dataDir keeps committed data across close and reopen", async () => {
  const dir = await mkdtemp(join(tmpdir(), "obol-pglite-"));
  const dataDir = join(dir, "nested", "pglite"); // parent folders are created
  try {
    const first = await openDatabase({ dataDir });
    assert.equal(first.kind, "pglite");
    await first.db.schema.createTable("kept").addColumn("amount", "bigint").execute();
    await first.db.insertInto("kept").values({ amount: 42n }).execute();
    await first.close();

    const second = await openDatabase({ dataDir });
    try {
      assert.deepEqual(await second.db.selectFrom("kept").selectAll().execute(), [{ amount: 42n }]);
    } finally {
      await second.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
