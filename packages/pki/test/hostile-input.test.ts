// Hostile DER: truncations, bit flips, random bytes and oversized inputs must give the documented PkiError
// code and nothing else (no TypeError, RangeError, or a crash). fast-check runs with a fixed seed, so every
// run sees the same inputs: a failure is a real bug, never flakiness.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import {
  PkiError,
  buildOcspRequest,
  buildOcspResponse,
  csrBytesMax,
  issueDeviceCertificate,
  ocspRequestBytesMax,
  openPrivateKey,
  parseCsr,
  parseOcspRequest,
  validateCertificate,
  verifyOcspResponse,
} from "../src/index.js";
import type { IssuedCertificate, PkiErrorCode } from "../src/index.js";
import { CRL_URL, NOW, OCSP_URL, makeCsr, makePki } from "./helpers.js";
import type { TestPki } from "./helpers.js";

const SEED = 20_261_121;
const RUNS = 300;

/** Runs f; it may succeed, or throw a PkiError whose code is in `codes`. Anything else fails the test. */
function onlyCodes(f: () => unknown, codes: readonly PkiErrorCode[]): "ok" | PkiErrorCode {
  try {
    f();
    return "ok";
  } catch (error) {
    if (!(error instanceof PkiError)) throw new Error(`not a PkiError: ${String(error)}`, { cause: error });
    if (!codes.includes(error.code)) throw new Error(`unexpected code ${error.code}: ${error.message}`);
    return error.code;
  }
}

function truncations(bytes: Uint8Array): Uint8Array[] {
  return Array.from({ length: bytes.length }, (_, n) => bytes.slice(0, n));
}

const mutation = (length: number) =>
  fc.record({ index: fc.nat({ max: length - 1 }), xor: fc.integer({ min: 1, max: 255 }) });

function mutate(bytes: Uint8Array, m: { index: number; xor: number }): Uint8Array {
  const out = bytes.slice();
  out[m.index]! ^= m.xor;
  return out;
}

/** SEQUENCE nested `depth` times, with long-form lengths: deep enough to trouble a recursive parser. */
function deepNesting(depth: number): Uint8Array {
  let inner = Uint8Array.of(0x05, 0x00);
  for (let i = 0; i < depth; i++) {
    const len = inner.length;
    const header = len < 128 ? [0x30, len] : len < 256 ? [0x30, 0x81, len] : [0x30, 0x82, len >> 8, len & 0xff];
    const next = new Uint8Array(header.length + len);
    next.set(header);
    next.set(inner, header.length);
    inner = next;
  }
  return inner;
}

describe("hostile input", () => {
  let pki: TestPki;
  let csrDer: Uint8Array;
  let device: IssuedCertificate;
  let requestDer: Uint8Array;
  let responseDer: Uint8Array;
  const nonce = new Uint8Array(16).fill(0x42);

  before(async () => {
    pki = await makePki();
    csrDer = (await makeCsr()).csrDer;
    device = await issueDeviceCertificate({ issuer: pki.issuing, csrDer, partyType: "user", partyId: "u", now: NOW, validityDays: 10, ocspUrl: OCSP_URL, crlUrl: CRL_URL });
    requestDer = buildOcspRequest(device.certificateDer, pki.issuing.certificateDer, nonce);
    responseDer = await buildOcspResponse({ issuer: pki.issuing, request: requestDer, statusOf: () => "good", now: NOW, nextUpdate: new Date(NOW.getTime() + 3_600_000) });
  });

  describe("parseCsr", () => {
    const codes: PkiErrorCode[] = ["ERR_PKI_CSR_MALFORMED", "ERR_PKI_CSR_SIGNATURE", "ERR_PKI_CSR_KEY"];

    it("every truncation is ERR_PKI_CSR_MALFORMED", () => {
      for (const t of truncations(csrDer)) assert.equal(onlyCodes(() => parseCsr(t), codes), "ERR_PKI_CSR_MALFORMED");
    });

    it("oversized, deeply nested and trailing-garbage inputs", () => {
      assert.equal(onlyCodes(() => parseCsr(new Uint8Array(csrBytesMax + 1)), codes), "ERR_PKI_CSR_MALFORMED");
      assert.equal(onlyCodes(() => parseCsr(new Uint8Array(1 << 20).fill(0x30)), codes), "ERR_PKI_CSR_MALFORMED");
      assert.equal(onlyCodes(() => parseCsr(deepNesting(1000).subarray(0, csrBytesMax)), codes), "ERR_PKI_CSR_MALFORMED");
      assert.equal(onlyCodes(() => parseCsr(Uint8Array.of(...csrDer, 0)), codes), "ERR_PKI_CSR_MALFORMED");
    });

    it("random bytes", () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (bytes) => {
        assert.equal(onlyCodes(() => parseCsr(bytes), codes), "ERR_PKI_CSR_MALFORMED");
      }), { seed: SEED, numRuns: RUNS });
    });

    it("single-byte corruptions never pass and never crash", () => {
      fc.assert(fc.property(mutation(csrDer.length), (m) => {
        assert.notEqual(onlyCodes(() => parseCsr(mutate(csrDer, m)), codes), "ok");
      }), { seed: SEED, numRuns: RUNS });
    });
  });

  describe("parseOcspRequest and the responder", () => {
    const codes: PkiErrorCode[] = ["ERR_PKI_OCSP_MALFORMED"];
    const respond = (request: Uint8Array) =>
      buildOcspResponse({ issuer: pki.issuing, request, statusOf: () => "good", now: NOW, nextUpdate: new Date(NOW.getTime() + 3_600_000) });

    it("every truncation is ERR_PKI_OCSP_MALFORMED and gets a malformedRequest response", async () => {
      for (const t of truncations(requestDer)) {
        assert.equal(onlyCodes(() => parseOcspRequest(t), codes), "ERR_PKI_OCSP_MALFORMED");
        assert.deepEqual([...(await respond(t))], [0x30, 0x03, 0x0a, 0x01, 0x01]);
      }
    });

    it("oversized and deeply nested", () => {
      assert.equal(onlyCodes(() => parseOcspRequest(new Uint8Array(ocspRequestBytesMax + 1)), codes), "ERR_PKI_OCSP_MALFORMED");
      assert.equal(onlyCodes(() => parseOcspRequest(deepNesting(1000).subarray(0, ocspRequestBytesMax)), codes), "ERR_PKI_OCSP_MALFORMED");
      assert.equal(onlyCodes(() => parseOcspRequest(deepNesting(1000)), codes), "ERR_PKI_OCSP_MALFORMED");
    });

    it("random bytes", async () => {
      await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        assert.equal(onlyCodes(() => parseOcspRequest(bytes), codes), "ERR_PKI_OCSP_MALFORMED");
        assert.equal((await respond(bytes))[4], 1);
      }), { seed: SEED, numRuns: RUNS });
    });

    it("single-byte corruptions: a parse error or a still-valid request, and always a response", async () => {
      await fc.assert(fc.asyncProperty(mutation(requestDer.length), async (m) => {
        const bytes = mutate(requestDer, m);
        onlyCodes(() => parseOcspRequest(bytes), codes);
        assert.ok((await respond(bytes)).length >= 5);
      }), { seed: SEED, numRuns: RUNS });
    });
  });

  describe("verifyOcspResponse", () => {
    const codes: PkiErrorCode[] = [
      "ERR_PKI_OCSP_MALFORMED", "ERR_PKI_OCSP_RESPONSE_STATUS", "ERR_PKI_OCSP_SIGNATURE", "ERR_PKI_OCSP_NONCE", "ERR_PKI_OCSP_NO_STATUS", "ERR_PKI_OCSP_STALE",
    ];
    const verify = (der: Uint8Array) => () =>
      verifyOcspResponse(der, { certificateDer: device.certificateDer, issuerCertificateDer: pki.issuing.certificateDer, nonce, now: NOW });

    it("the untouched response verifies", () => {
      assert.equal(onlyCodes(verify(responseDer), codes), "ok");
    });

    it("every truncation and random bytes are refused with an OCSP code", () => {
      for (const t of truncations(responseDer)) assert.notEqual(onlyCodes(verify(t), codes), "ok");
      fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        assert.notEqual(onlyCodes(verify(bytes), codes), "ok");
      }), { seed: SEED, numRuns: RUNS });
      assert.equal(onlyCodes(verify(new Uint8Array(70_000)), codes), "ERR_PKI_OCSP_MALFORMED");
      assert.equal(onlyCodes(verify(deepNesting(2000)), codes), "ERR_PKI_OCSP_MALFORMED");
    });

    it("no single-byte corruption of a signed response is accepted", () => {
      fc.assert(fc.property(mutation(responseDer.length), (m) => {
        assert.notEqual(onlyCodes(verify(mutate(responseDer, m)), codes), "ok");
      }), { seed: SEED, numRuns: RUNS });
    });
  });

  describe("validateCertificate", () => {
    const run = (certificateDer: Uint8Array) => {
      const result = validateCertificate({
        certificateDer, trustedRootDer: pki.root.certificateDer, intermediatesDer: [pki.issuing.certificateDer], now: NOW, requiredKeyUsage: ["digitalSignature"],
      });
      return result.ok ? "ok" : result.code;
    };

    it("truncations and random bytes are ERR_PKI_MALFORMED", () => {
      for (const t of truncations(device.certificateDer)) assert.equal(run(t), "ERR_PKI_MALFORMED");
      fc.assert(fc.property(fc.uint8Array({ maxLength: 800 }), (bytes) => {
        assert.equal(run(bytes), "ERR_PKI_MALFORMED");
      }), { seed: SEED, numRuns: RUNS });
    });

    it("no single-byte corruption of a certificate validates", () => {
      fc.assert(fc.property(mutation(device.certificateDer.length), (m) => {
        assert.notEqual(run(mutate(device.certificateDer, m)), "ok");
      }), { seed: SEED, numRuns: RUNS });
    });
  });

  it("openPrivateKey: random text is ERR_PKI_SEALED_FORMAT", () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), (text) => {
      assert.equal(onlyCodes(() => openPrivateKey(text, "a long enough passphrase"), ["ERR_PKI_SEALED_FORMAT"]), "ERR_PKI_SEALED_FORMAT");
    }), { seed: SEED, numRuns: RUNS });
  });
});
