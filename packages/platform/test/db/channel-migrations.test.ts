import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../src/db/database.js";
import { migrate } from "../../src/db/migrations.js";
import { channelMigrations } from "../../src/modules/channel/migrations.js";
import { ChannelStore } from "../../src/modules/channel/store.js";

// channel 0002 (issue 10): a MessageId is unique in the replay store, also on a database that already
// holds rows sharing a MessageId (recorded before the fix).

let database: Database;
before(async () => { database = await openDatabase({ memory: true }); });
after(() => database.close());

test("0002 keeps one row per MessageId, then refuses a reused MessageId with a fresh Nonce", async () => {
  const [init] = channelMigrations;
  await migrate(database.db, [init!]);
  const expires = new Date(Date.now() + 60_000);
  for (const nonce of ["nonce-aaaaaaaaaaaaaaaa", "nonce-bbbbbbbbbbbbbbbb"]) {
    await sql`INSERT INTO channel_nonces (nonce, message_id, expires_at) VALUES (${nonce}, 'reused-id', ${expires})`.execute(database.db);
  }
  await migrate(database.db, channelMigrations);
  const rows = (await sql<{ nonce: string }>`SELECT nonce FROM channel_nonces WHERE message_id = 'reused-id'`.execute(database.db)).rows;
  assert.deepEqual(rows.map((r) => r.nonce), ["nonce-aaaaaaaaaaaaaaaa"]);

  const store = new ChannelStore(database.db, () => Date.now());
  assert.equal(await store.firstSighting("nonce-cccccccccccccccc", "reused-id", 120_000), false, "a reused MessageId is a replay");
  assert.equal(await store.firstSighting("nonce-dddddddddddddddd", "fresh-id", 120_000), true);
  assert.equal(await store.firstSighting("nonce-dddddddddddddddd", "fresh-id-2", 120_000), false, "a reused Nonce is still a replay");
});
