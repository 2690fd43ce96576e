/**
 * Issue 5 end to end, the user confirms: three kinds of processes (platform, merchant server, wallet CLI; see
 * test/support/ecash-e2e.ts). A token of 100 pays 40 and 40, 30 is refused; after the deposit the user accepts:
 * the merchant is credited 80 and the ledger shows 20 still in escrow.
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

test("the user confirms the deposit: the merchant is credited 80 and 20 stays in escrow", async () => {
  const { wallet, merchant } = await world.payAndDeposit();
  const confirmed = await wallet(["confirm", "--accept", "--wait", "5"]);
  assert.match(confirmed, /2 payment\(s\), total 0\.80 KES\n {2}payment 0: 0\.40 KES\n {2}payment 1: 0\.40 KES\n {2}matches your wallet's log\n {2}accepted: the merchant is paid/);
  assert.match(await merchant(["deposit"]), /no new payment records to deposit\ndeposit [0-9a-f]{8}… {2}token [0-9a-f]{8}… {2}SETTLED {2}80/);
  assert.match(await merchant(["records"]), /totals: SETTLED 80/);
  assert.equal(await world.merchantBalance(), "80");
  const escrow = await world.escrow();
  assert.equal(escrow.escrowBalance, "20");
  assert.deepEqual(escrow.tokens, { PARTIAL: { count: 1, escrow: "20" } });
  assert.match(await wallet(["confirm"]), /no deposits wait for your confirmation/);
});
