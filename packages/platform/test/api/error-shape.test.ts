// Specification: every answer that is not a success has the one shape { error: { code, message } } with a
// stable ERR_ code and the right 4xx, framework errors included (unknown method, bad URL, over-long path
// parameter, bad JSON, wrong media type, too large a body, validation, rate limits); messages do not echo
// what the client sent; a client error is never a 500 and never logs a stack trace; an unauthenticated
// request is refused with 401 before its body is read.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { pino } from "pino";
import { openHarness, type Harness, type Reply } from "./harness.js";

/** A string that must never come back in an answer. */
const marker = "zq7hostilezq7";
const logged: { level: number; msg: string }[] = [];
let h: Harness;

before(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logged.push(JSON.parse(line));
      done();
    },
  });
  h = await openHarness({ logger: pino({ level: "info" }, sink) });
});
after(async () => {
  await h?.stop();
});

function refused(reply: Reply, status: number, code: string, what: string): void {
  assert.equal(reply.status, status, `${what}: ${reply.text.slice(0, 300)}`);
  assert.match(String(reply.headers["content-type"]), /^application\/json/, what);
  assert.deepEqual(Object.keys(reply.body).sort(), ["error"], `${what}: only { error }`);
  assert.equal(reply.body.error.code, code, `${what}: ${reply.text.slice(0, 300)}`);
  assert.equal(typeof reply.body.error.message, "string", what);
  assert.ok(!reply.text.includes(marker), `${what}: the answer echoes the request: ${reply.text.slice(0, 300)}`);
  assert.equal(typeof reply.headers["x-request-id"], "string", `${what}: x-request-id`);
}

describe("framework errors in the one error shape", () => {
  test("an unknown HTTP method is 405 ERR_METHOD_NOT_ALLOWED (not a 500), with or without a body", async () => {
    for (const method of ["QUERY", "PROPFIND", "MKCOL", "TRACE"]) {
      refused(await h.call(method, "/health"), 405, "ERR_METHOD_NOT_ALLOWED", `${method} /health`);
      refused(await h.call(method, "/v1/transfers", { token: h.a.token, raw: "{}" }), 405, "ERR_METHOD_NOT_ALLOWED", `${method} /v1/transfers with a body`);
    }
  });

  test("a known path with a method it does not take is 405 with Allow; an unknown path is 404 without echoing it", async () => {
    const wrong = await h.call("DELETE", "/health");
    refused(wrong, 405, "ERR_METHOD_NOT_ALLOWED", "DELETE /health");
    assert.equal(wrong.headers.allow, "GET, HEAD");
    refused(await h.call("GET", `/v1/${marker}`), 404, "ERR_ROUTE_NOT_FOUND", "unknown path");
    refused(await h.call("POST", `/v1/payments/${marker}/${marker}`, { raw: "{}" }), 404, "ERR_ROUTE_NOT_FOUND", "unknown nested path");
  });

  test("a percent-encoded OCSP path is an in-band OCSP answer, not a 500", async () => {
    for (const path of ["%25", "%25%25", "%2F", "%00", "abc%25def", "%E2%82%AC"]) {
      const reply = await h.call("GET", `/pki/ocsp/${path}`);
      assert.equal(reply.status, 200, `/pki/ocsp/${path}: ${reply.text.slice(0, 200)}`);
      assert.equal(reply.headers["content-type"], "application/ocsp-response");
    }
  });

  test("an over-long path parameter is 414 ERR_URI_TOO_LONG and the path is not echoed", async () => {
    for (const url of [`/v1/payments/${marker.repeat(30)}`, `/v1/ecash/merchants/${marker.repeat(30)}`, `/pki/ocsp/${marker.repeat(400)}`]) {
      refused(await h.call("GET", url, { token: h.a.token }), 414, "ERR_URI_TOO_LONG", url.slice(0, 40));
    }
  });

  test("a malformed URL is 400 ERR_BAD_REQUEST without echoing it", async () => {
    refused(await h.call("GET", `/v1/payments/${marker}%E0%A4%A`, { token: h.a.token }), 400, "ERR_BAD_REQUEST", "bad percent-encoding");
  });

  test("bodies: bad JSON 400, wrong media type 415, too large 413, forbidden keys 400, schema 400, each with its code", async () => {
    const user = (json: unknown) => ({ json });
    refused(await h.call("POST", "/v1/users", { raw: `{"msisdn": "${marker}` }), 400, "ERR_MALFORMED_JSON", "truncated JSON");
    refused(await h.call("POST", "/v1/users", { raw: "" }), 400, "ERR_MALFORMED_JSON", "empty JSON body");
    refused(await h.call("POST", "/v1/users", { raw: marker, headers: { "content-type": "text/plain" } }), 415, "ERR_UNSUPPORTED_MEDIA_TYPE", "text/plain");
    refused(await h.call("POST", "/v1/users", { raw: marker, headers: { "content-type": `application/${marker}` } }), 415, "ERR_UNSUPPORTED_MEDIA_TYPE", "unknown media type");
    refused(await h.call("POST", "/v1/users", { raw: JSON.stringify({ pad: marker.repeat(200_000) }) }), 413, "ERR_BODY_TOO_LARGE", "2.6 MB");
    refused(await h.call("POST", "/v1/users", { raw: `{"__proto__": {"admin": true}, "msisdn": "+254711111111"}` }), 400, "ERR_MALFORMED_JSON", "__proto__");
    refused(await h.call("POST", "/v1/users", user({ msisdn: "+254711111111", displayName: "x", password: "long enough password", extra: marker })), 400, "ERR_VALIDATION", "unknown property");
    refused(await h.call("POST", "/v1/users", user({ msisdn: marker, displayName: "x", password: "long enough password" })), 400, "ERR_MSISDN_INVALID", "bad MSISDN");
    refused(await h.call("GET", `/v1/products?limit=${marker}`, { token: h.demo.merchant.apiKey }), 400, "ERR_VALIDATION", "bad query");
  });

  test("an unauthenticated request is 401 before its body is read: not 400, 413 or 415", async () => {
    refused(await h.call("POST", "/v1/transfers", { raw: "{not json" }), 401, "ERR_UNAUTHENTICATED", "bad JSON");
    refused(await h.call("POST", "/v1/transfers", { raw: JSON.stringify({ pad: "x".repeat(2_000_000) }) }), 401, "ERR_UNAUTHENTICATED", "too large");
    refused(await h.call("POST", "/v1/transfers", { raw: "x", headers: { "content-type": "text/plain" } }), 401, "ERR_UNAUTHENTICATED", "wrong media type");
    refused(await h.call("POST", "/v1/transfers", { json: { toMsisdn: marker } }), 401, "ERR_UNAUTHENTICATED", "invalid body");
    refused(await h.call("POST", "/v1/transfers", { token: marker, json: {} }), 401, "ERR_UNAUTHENTICATED", "garbage token");
    refused(await h.call("PATCH", `/v1/products/${marker}`, { raw: "{" }), 401, "ERR_UNAUTHENTICATED", "bad path parameter and body");
    // A caller of the wrong kind is 403 before its body is read, too.
    refused(await h.call("POST", "/v1/products", { token: h.a.token, raw: "{not json" }), 403, "ERR_FORBIDDEN", "a user on a merchant route");
  });

  test("a rate limit answers 429 in the same shape", async () => {
    const msisdn = h.demo.users[2]?.msisdn ?? h.b.msisdn;
    let last: Reply | undefined;
    for (let attempt = 0; attempt < 6; attempt += 1) last = await h.call("POST", "/v1/auth/login", { json: { msisdn, password: `${marker}-${attempt}` } });
    refused(last!, 429, "ERR_LOGIN_LOCKED", "locked login");
  });

  test("no client error was logged as an error or with a stack trace", () => {
    const errors = logged.filter((entry) => entry.level >= 50);
    assert.deepEqual(errors, [], "error-level log entries");
    assert.ok(!JSON.stringify(logged).includes("\"stack\""), "a stack trace in the log");
  });
});
