/**
 * Issue 5 end to end, the user refuses: the same run as ecash-e2e-accept.test.ts up to the deposit; the user
 * answers REJECT: nothing is credited, the merchant's records are disputed and the 100 stays in escrow.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEcashWorld, type EcashWorld } from "../support/ecash-e2e.js";

let world: EcashWorld;
before(async () => {
  world = await startEcashWorld();
});
after(async () => {
  await world?.stop();
});

test("the user refuses the deposit: nothing is credited and the records are disputed", async () => {
  const { wallet, merchant } = await world.payAndDeposit();
  const refused = await wallet(["confirm", "--reject", "--wait-seconds", "5"] /* the deprecated spelling of --wait */);
  assert.match(refused, /total 0\.80 KES\n(.*\n){2} {2}matches your wallet's log\n {2}refused: the payments are disputed/);
  assert.match(await merchant(["deposit"]), /token [0-9a-f]{8}… {2}DISPUTED {2}80/);
  assert.match(await merchant(["records"]), /DISPUTED {2}deposit [0-9a-f]{8}…\n.*DISPUTED {2}deposit [0-9a-f]{8}…\ntotals: DISPUTED 80/);
  assert.equal(await world.merchantBalance(), "0");
  const escrow = await world.escrow();
  assert.equal(escrow.escrowBalance, "100");
  assert.deepEqual(escrow.tokens, { DISPUTED: { count: 1, escrow: "100" } });
});
