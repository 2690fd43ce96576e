import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { openDatabase, type Database } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrations.js";
import { channelMigrations } from "../../src/modules/channel/migrations.js";
import { ChannelStore } from "../../src/modules/channel/store.js";
import { EnrolmentCodes, enrolmentAttemptsMax, enrolmentCodeTtlMs } from "../../src/modules/pki/enrolment-codes.js";
import { pkiMigrations } from "../../src/modules/pki/migrations.js";

let database: Database;
let now = Date.UTC(2026, 10, 21);
let codes: EnrolmentCodes;
let channel: ChannelStore;

before(async () => {
  database = await openDatabase({ memory: true });
  await migrate(database.db, [...pkiMigrations, ...channelMigrations]);
  codes = new EnrolmentCodes(database.db, () => now);
  channel = new ChannelStore(database.db, () => now);
});
after(async () => { await database.close(); });

describe("enrolment codes", () => {
  test("a code works once, in any human spelling", async () => {
    const party = randomUUID();
    const { code } = await codes.issue("user", party);
    assert.match(code, /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    const sloppy = ` ${code.toLowerCase().replace(/-/g, " ")} `;
    assert.deepEqual(await codes.consume("user", party, sloppy), { ok: true });
    assert.deepEqual(await codes.consume("user", party, code), { ok: false, code: "ERR_ENROLMENT_CODE_INVALID" });
  });

  test("a code belongs to its party only", async () => {
    const { code } = await codes.issue("user", randomUUID());
    assert.deepEqual(await codes.consume("user", randomUUID(), code), { ok: false, code: "ERR_ENROLMENT_CODE_INVALID" });
  });

  test("a code expires", async () => {
    const party = randomUUID();
    const { code } = await codes.issue("user", party);
    now += enrolmentCodeTtlMs;
    assert.deepEqual(await codes.consume("user", party, code), { ok: false, code: "ERR_ENROLMENT_CODE_EXPIRED" });
  });

  test(`${enrolmentAttemptsMax} wrong tries burn the code, even for the right one after`, async () => {
    const party = randomUUID();
    const { code } = await codes.issue("user", party);
    for (let k = 1; k < enrolmentAttemptsMax; k += 1) assert.deepEqual(await codes.consume("user", party, "0000-0000-0000"), { ok: false, code: "ERR_ENROLMENT_CODE_INVALID" });
    assert.deepEqual(await codes.consume("user", party, "0000-0000-0000"), { ok: false, code: "ERR_ENROLMENT_CODE_LOCKED" });
    assert.deepEqual(await codes.consume("user", party, code), { ok: false, code: "ERR_ENROLMENT_CODE_LOCKED" });
  });

  test("a new code replaces the old one", async () => {
    const party = randomUUID();
    const first = await codes.issue("user", party);
    const second = await codes.issue("user", party);
    assert.deepEqual(await codes.consume("user", party, first.code), { ok: false, code: "ERR_ENROLMENT_CODE_INVALID" });
    assert.deepEqual(await codes.consume("user", party, second.code), { ok: true });
  });
});

describe("channel store", () => {
  test("a nonce is accepted once, also when two arrive together", async () => {
    const nonce = randomUUID().replace(/-/g, "");
    const results = await Promise.all([channel.firstSighting(nonce, "m1", 120_000), channel.firstSighting(nonce, "m2", 120_000)]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal(await channel.firstSighting(nonce, "m3", 120_000), false);
  });

  test("nonces are kept at least twice the window", async () => {
    const nonce = randomUUID().replace(/-/g, "");
    await channel.firstSighting(nonce, "m4", 120_000);
    now += 2 * 120_000 - 1;
    await channel.purgeExpiredNonces();
    assert.equal(await channel.firstSighting(nonce, "m5", 120_000), false, "still remembered just before 2x the window");
  });
});
