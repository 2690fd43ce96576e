// The bank operation state machine: the database allows exactly the transitions operations.ts
// documents, every state can reach a final one, and final states have no way out.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, test } from "node:test";
import { sql } from "kysely";
import { loadConfig } from "../../src/config.js";
import { createPlatform, type Platform } from "../../src/platform.js";
import { openSnapshotDatabase, snapshotKeyPassphrase } from "../support/snapshot.js";
import { canTransition, finalStates, operationStates, transitions, type OperationState } from "../../src/modules/banking/operations.js";

let platform: Platform;
let linkId: string;
before(async () => {
  const config = loadConfig({ DATABASE_URL: "", OBOL_KEY_PASSPHRASE: snapshotKeyPassphrase });
  platform = await createPlatform(config, { logger: false, memory: true, database: await openSnapshotDatabase(config) });
  linkId = randomUUID();
  await sql`INSERT INTO banking_links (id, party_type, party_id, currency, account_number, method, status)
            VALUES (${linkId}::uuid, 'user', ${randomUUID()}::uuid, 'KES', 'RB0000000001', 'msisdn', 'pending')`.execute(platform.services.db);
});
after(async () => { await platform.stop(); });

async function operationIn(state: OperationState): Promise<string> {
  const id = randomUUID();
  const hex = id.replaceAll("-", "");
  await sql`INSERT INTO banking_operations (id, kind, purpose, party_type, party_id, link_id, currency, amount, remittance, msg_id, end_to_end_id, reversal_msg_id,
              state, bank_reference, own_ledger, next_attempt_at)
            VALUES (${id}::uuid, 'debit', 'payment', 'user', ${randomUUID()}::uuid, ${linkId}::uuid, 'KES', 100, 'test', ${`D${hex}`}, ${`E${hex}`}, ${`R${hex}`},
              ${state}, 'RB1', false, now())`.execute(platform.services.db);
  return id;
}

test("the database accepts exactly the documented transitions", async () => {
  for (const from of operationStates) {
    for (const to of operationStates) {
      if (from === to) continue;
      const id = await operationIn(from);
      let accepted = true;
      try {
        await sql`UPDATE banking_operations SET state = ${to} WHERE id = ${id}::uuid`.execute(platform.services.db);
      } catch {
        accepted = false;
      }
      assert.equal(accepted, canTransition(from, to), `${from} -> ${to}`);
    }
  }
});

test("every state reaches a final state, and final states are final", () => {
  for (const final of finalStates) assert.deepEqual(transitions.filter(([from]) => from === final), [], `${final} has no way out`);
  for (const state of operationStates) {
    const seen = new Set<OperationState>([state]);
    const queue = [state];
    while (queue.length > 0) {
      const next = queue.shift()!;
      for (const [from, to] of transitions) if (from === next && !seen.has(to)) { seen.add(to); queue.push(to); }
    }
    assert.ok(finalStates.some((f) => seen.has(f)), `${state} can end`);
  }
});
