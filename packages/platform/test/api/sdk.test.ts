// The API through @obol/sdk, the typed client generated from the OpenAPI document: a real socket, the
// platform in this process. If the document and the routes disagree, these calls fail to compile or to work.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createObolClient, expectOk, ObolApiError, type ObolClient } from "@obol/sdk";
import { openHarness, type Harness } from "./harness.js";

let h: Harness;
let base: string;

before(async () => {
  h = await openHarness();
  base = await h.platform.app.listen({ host: "127.0.0.1", port: 0 });
});
after(async () => { await h?.stop(); });

interface Balances { balances: { currency: string; available: string }[] }
interface History { currency: string; entries: { transferId: string; direction: string; amount: string }[] }

const available = async (client: ObolClient) => (await expectOk<unknown, Balances>(client.GET("/v1/me/balance"))).balances.find((b) => b.currency === h.currency)!.available;

describe("@obol/sdk against a live platform", { timeout: 120_000 }, () => {
  test("login, a P2P transfer with an Idempotency-Key (retried: moves once), and both histories", async () => {
    const anonymous = createObolClient({ baseUrl: base });
    const { token: tokenA } = await expectOk<unknown, { token: string }>(anonymous.POST("/v1/auth/login", { body: { msisdn: h.a.msisdn, password: h.a.password } }));
    const { token: tokenB } = await expectOk<unknown, { token: string }>(anonymous.POST("/v1/auth/login", { body: { msisdn: h.b.msisdn, password: h.b.password } }));
    const amina = createObolClient({ baseUrl: base, token: tokenA });
    const brian = createObolClient({ baseUrl: base, token: tokenB });
    const [aBefore, bBefore] = [BigInt(await available(amina)), BigInt(await available(brian))];

    const key = randomUUID();
    const send = () => expectOk<unknown, { transferId: string }>(amina.POST("/v1/transfers", {
      params: { header: { "idempotency-key": key } }, body: { toMsisdn: h.b.msisdn, amount: "1250", currency: h.currency },
    }));
    const first = await send();
    const again = await send();
    assert.equal(again.transferId, first.transferId, "the retry answers the same transfer");
    assert.equal(BigInt(await available(amina)), aBefore - 1250n);
    assert.equal(BigInt(await available(brian)), bBefore + 1250n);

    const sent = await expectOk<unknown, History>(amina.GET("/v1/me/history", { params: { query: { limit: 10 } } }));
    assert.deepEqual(sent.entries.filter((e) => e.transferId === first.transferId).map((e) => [e.direction, e.amount]), [["debit", "1250"]]);
    const received = await expectOk<unknown, History>(brian.GET("/v1/me/history", { params: { query: { limit: 10 } } }));
    assert.deepEqual(received.entries.filter((e) => e.transferId === first.transferId).map((e) => [e.direction, e.amount]), [["credit", "1250"]]);
  });

  test("refusals arrive as ObolApiError with the platform's stable code", async () => {
    const anonymous = createObolClient({ baseUrl: base });
    await assert.rejects(expectOk(anonymous.POST("/v1/auth/login", { body: { msisdn: h.a.msisdn, password: "not her password" } })),
      (e: ObolApiError) => e instanceof ObolApiError && e.code === "ERR_INVALID_CREDENTIALS" && e.status === 401);
    await assert.rejects(expectOk(anonymous.GET("/v1/me/balance")), (e: ObolApiError) => e.status === 401 && /^ERR_/.test(e.code));
    const amina = createObolClient({ baseUrl: base, token: h.a.token });
    await assert.rejects(expectOk(amina.POST("/v1/transfers", {
      params: { header: { "idempotency-key": randomUUID() } }, body: { toMsisdn: h.b.msisdn, amount: "-5", currency: h.currency },
    })), (e: ObolApiError) => e.status === 400 && /^ERR_/.test(e.code));
  });

  test("a merchant requests a payment and reads it back through the SDK", async () => {
    const merchant = createObolClient({ baseUrl: base, token: h.demo.merchant.apiKey });
    const reference = `sdk-${randomUUID().slice(0, 8)}`;
    const created = await expectOk<unknown, { id: string; state: string; amount: string }>(merchant.POST("/v1/payments", {
      body: { amount: "4500", currency: h.currency, merchantReference: reference, payerMsisdn: h.a.msisdn }, params: { header: { "idempotency-key": randomUUID() } },
    }));
    assert.equal(created.state, "awaiting_confirmation");
    const read = await expectOk<unknown, { id: string; merchantReference: string; amount: string }>(merchant.GET("/v1/payments/{id}", { params: { path: { id: created.id } } }));
    assert.deepEqual([read.id, read.merchantReference, read.amount], [created.id, reference, "4500"]);
  });
});
