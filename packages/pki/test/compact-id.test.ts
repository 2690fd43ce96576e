import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { compactId, isCompactId, isPkiError } from "../src/index.js";
import { makePki } from "./helpers.js";

describe("compactId", () => {
  it("is base64url of the first 16 bytes of SHA-256(DER): 22 chars, stable, distinct per certificate", async () => {
    const { root, issuing } = await makePki();
    const id = compactId(root.certificateDer);
    assert.equal(id.length, 22);
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(compactId(root.certificateDer), id);
    assert.equal(id, createHash("sha256").update(root.certificateDer).digest().subarray(0, 16).toString("base64url"));
    assert.notEqual(compactId(issuing.certificateDer), id);
    assert.equal(isCompactId(id), true);
  });

  it("known answer", () => {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    assert.equal(compactId(new TextEncoder().encode("abc")), "ungWv48Bz-pBQUDeXa4iIw");
  });

  it("isCompactId rejects other shapes; compactId rejects empty or huge input", () => {
    assert.equal(isCompactId("ungWv48Bz-pBQUDeXa4iIx"), false); // non-zero padding bits
    assert.equal(isCompactId("ungWv48Bz-pBQUDeXa4iI"), false);
    assert.equal(isCompactId("ungWv48Bz+pBQUDeXa4iIw"), false);
    assert.equal(isCompactId(42), false);
    assert.throws(() => compactId(new Uint8Array(0)), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
    assert.throws(() => compactId(new Uint8Array(20_000)), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
  });
});
