import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { openDatabase, type Database } from "../../src/db/database.js";
import { assessDurability, checkDurability } from "../../src/db/durability.js";
import { isObolError } from "../../src/errors/obol-error.js";

let database: Database;
before(async () => {
  database = await openDatabase({ memory: true });
});
after(() => database.close());

const SAFE = { fsync: "on", synchronous_commit: "on", full_page_writes: "on" };

test("production refuses PGlite with ERR_UNSAFE_STORAGE", async () => {
  await assert.rejects(checkDurability(database, { production: true }), (error: unknown) => {
    assert.ok(isObolError(error, "ERR_UNSAFE_STORAGE"), String(error));
    assert.match(error.message, /PGlite.*fsync/s);
    assert.match(error.message, /DATABASE_URL/);
    return true;
  });
});

test("development accepts PGlite and reports why it would not do for production", async () => {
  const report = await checkDurability(database, { production: false });
  assert.equal(report.kind, "pglite");
  assert.deepEqual(report.problems.map((problem) => problem.setting), ["storage"]);
});

test("each unsafe PostgreSQL setting is named, with its fix", () => {
  for (const [setting, value] of [
    ["fsync", "off"],
    ["synchronous_commit", "off"],
    ["full_page_writes", "off"],
  ] as const) {
    const problems = assessDurability("postgres", { ...SAFE, [setting]: value });
    assert.equal(problems.length, 1, setting);
    assert.equal(problems[0]?.setting, setting);
    assert.match(problems[0]?.message ?? "", new RegExp(`${setting} = on`));
  }
  assert.equal(assessDurability("postgres", { fsync: "off", synchronous_commit: "off", full_page_writes: "off" }).length, 3);
});

test("synchronous_commit levels that flush the local WAL are accepted", () => {
  for (const level of ["on", "local", "remote_write", "remote_apply"]) {
    assert.deepEqual(assessDurability("postgres", { ...SAFE, synchronous_commit: level }), [], level);
  }
});
