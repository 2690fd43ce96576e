import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrations.js";
import { auditMigrations } from "../../src/modules/audit/migrations.js";
import { AuditService, type CheckpointSigner } from "../../src/modules/audit/service.js";

const keys = generateKeyPairSync("ec", { namedCurve: "P-256" });
const signer: CheckpointSigner = {
  keyId: "test-key",
  sign: (payload) => sign("sha256", payload, keys.privateKey),
  verify: (keyId, payload, signature) => keyId === "test-key" && verify("sha256", payload, keys.publicKey, signature),
};

let database: Database;
let audit: AuditService;
let now = Date.UTC(2026, 10, 21);

before(async () => { database = await openDatabase({ memory: true }); });
after(async () => { await database.close(); });
beforeEach(async () => {
  // A fresh log per test: drop and migrate again (the migration row goes too).
  await sql`DROP TABLE IF EXISTS audit_log, audit_head, audit_checkpoints CASCADE; DROP FUNCTION IF EXISTS audit_append_only CASCADE`.execute(database.db);
  await sql`DELETE FROM schema_migrations WHERE module = 'audit'`.execute(database.db).catch(() => {});
  await migrate(database.db, auditMigrations);
  audit = new AuditService(database.db, () => (now += 1_000), signer);
});

async function appendSome(count: number): Promise<void> {
  for (let k = 1; k <= count; k += 1) {
    await audit.append({ actorType: "operator", actorId: `op-${k % 3}`, action: "merchant.approve", subject: `merchant:${k}`, details: { note: `entry ${k}`, amount: String(k * 100) } });
  }
}

/** What someone with direct database access could do, bypassing the append-only trigger. */
async function tamper(statement: ReturnType<typeof sql>): Promise<void> {
  await sql`ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only`.execute(database.db);
  await statement.execute(database.db);
  await sql`ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only`.execute(database.db);
}

describe("audit log", () => {
  test("an untouched chain verifies, with its signed checkpoint", async () => {
    await appendSome(5);
    assert.equal(await audit.checkpoint(), 5n);
    await appendSome(3);
    const report = await audit.verify();
    assert.equal(report.ok, true);
    assert.equal(report.ok && report.entries, 8);
    assert.deepEqual(report.checkpoints, { checked: 1, firstBadSeq: null });
  });

  test("the log refuses updates and deletes", async () => {
    await appendSome(2);
    await assert.rejects(sql`UPDATE audit_log SET action = 'x.y' WHERE seq = 1`.execute(database.db), /append-only/);
    await assert.rejects(sql`DELETE FROM audit_log WHERE seq = 2`.execute(database.db), /append-only/);
  });

  test("a changed entry is named as the first bad one", async () => {
    await appendSome(6);
    await tamper(sql`UPDATE audit_log SET details = '{"note":"entry 3","amount":"1"}' WHERE seq = 3`);
    const report = await audit.verify();
    assert.deepEqual([report.ok, !report.ok && report.firstBadSeq, !report.ok && report.reason], [false, 3n, "hash_mismatch"]);
  });

  test("a deleted entry in the middle is named", async () => {
    await appendSome(6);
    await tamper(sql`DELETE FROM audit_log WHERE seq = 4`);
    const report = await audit.verify();
    assert.deepEqual([report.ok, !report.ok && report.firstBadSeq, !report.ok && report.reason], [false, 4n, "sequence_gap"]);
  });

  test("entries cut off the end are detected against the recorded head", async () => {
    await appendSome(6);
    await tamper(sql`DELETE FROM audit_log WHERE seq > 4`);
    const report = await audit.verify();
    assert.deepEqual([report.ok, !report.ok && report.firstBadSeq, !report.ok && report.reason], [false, 5n, "head_mismatch"]);
  });

  test("a consistently rewritten chain is caught by the signed checkpoint", async () => {
    await appendSome(4);
    await audit.checkpoint();
    // Rewrite entry 2 and recompute every hash after it, as an attacker with the code could.
    const rows = (await sql<{ seq: bigint }>`SELECT seq FROM audit_log ORDER BY seq`.execute(database.db)).rows;
    await tamper(sql`DELETE FROM audit_log WHERE seq >= 2`);
    await sql`UPDATE audit_head SET seq = 1, hash = (SELECT hash FROM audit_log WHERE seq = 1)`.execute(database.db);
    const forger = new AuditService(database.db, () => (now += 1_000));
    for (const _ of rows.slice(1)) await forger.append({ actorType: "system", actorId: null, action: "forged.entry", subject: null, details: {} });
    const report = await audit.verify();
    assert.equal(report.ok, true, "the forged chain is internally consistent");
    assert.deepEqual(report.checkpoints, { checked: 1, firstBadSeq: 4n });
  });

  test("concurrent appends make one chain with no gaps", async () => {
    await Promise.all(Array.from({ length: 30 }, (_, k) => audit.append({ actorType: "user", actorId: `u${k}`, action: "auth.login", subject: null, details: {} })));
    const report = await audit.verify();
    assert.equal(report.ok && report.entries, 30);
  });
});
