import assert from "node:assert/strict";
import { test } from "node:test";
import { ObolApiError, createObolClient, expectOk } from "../src/index.js";

/** A fetch that records the request and answers with the given status and body. */
function answering(status: number, body: unknown) {
  const seen: Request[] = [];
  const fetch = async (request: Request) => {
    seen.push(request);
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  };
  return { seen, fetch };
}

test("the bearer token (or a function giving it) goes on every request; a trailing slash in the base URL is ignored", async () => {
  const fixed = answering(200, { ok: true });
  await createObolClient({ baseUrl: "http://platform.test/", token: "obol_sk_x", fetch: fixed.fetch }).GET("/health");
  assert.equal(fixed.seen[0]!.url, "http://platform.test/health");
  assert.equal(fixed.seen[0]!.headers.get("authorization"), "Bearer obol_sk_x");
  const lazy = answering(200, {});
  await createObolClient({ baseUrl: "http://platform.test", token: async () => "t-1", fetch: lazy.fetch }).GET("/health");
  assert.equal(lazy.seen[0]!.headers.get("authorization"), "Bearer t-1");
  const none = answering(200, {});
  await createObolClient({ baseUrl: "http://platform.test", fetch: none.fetch }).GET("/health");
  assert.equal(none.seen[0]!.headers.get("authorization"), null);
});

test("expectOk returns the data of a 2xx and throws the platform's stable code otherwise", async () => {
  const ok = createObolClient({ baseUrl: "http://platform.test", fetch: answering(200, { status: "ok" }).fetch });
  assert.deepEqual(await expectOk(ok.GET("/health")), { status: "ok" });
  const refused = createObolClient({ baseUrl: "http://platform.test", fetch: answering(409, { error: { code: "ERR_INSUFFICIENT_FUNDS", message: "not enough" } }).fetch });
  await assert.rejects(expectOk(refused.GET("/health")), (e: ObolApiError) => e.code === "ERR_INSUFFICIENT_FUNDS" && e.status === 409 && e.message === "not enough");
  const odd = createObolClient({ baseUrl: "http://platform.test", fetch: answering(502, { nope: 1 }).fetch });
  await assert.rejects(expectOk(odd.GET("/health")), (e: ObolApiError) => e.code === "ERR_HTTP" && e.message === "HTTP 502");
});
