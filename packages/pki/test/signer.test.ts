import assert from "node:assert/strict";
import { X509Certificate, createPublicKey, randomBytes } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  buildCrl, buildOcspRequest, buildOcspResponse, certifyIssuingCa, isPkiError, issueDeviceCertificate, softwareSigner,
  validateCertificate, verifyOcspResponse,
} from "../src/index.js";
import type { Signer, SigningCa } from "../src/index.js";
import { x509 } from "../src/internal/x509.js";
import { CRL_URL, DAY_MS, NOW, OCSP_URL, makeCsr, makePki, p256PrivateKey } from "./helpers.js";
import type { TestPki } from "./helpers.js";

/** A Signer whose key is not a KeyObject the library can see: what a token looks like from here. */
function opaqueSigner(overrides: Partial<Signer> = {}): { signer: Signer; calls: Uint8Array[] } {
  const key = p256PrivateKey();
  const inner = softwareSigner(key);
  const calls: Uint8Array[] = [];
  const signer: Signer = {
    algorithm: "ecdsa-p256-sha256",
    publicKey: createPublicKey(key),
    sign: async (data) => { calls.push(data); return inner.sign(data); },
    ...overrides,
  };
  return { signer, calls };
}

describe("Signer: issuance by a CA whose key is behind an interface", () => {
  let pki: TestPki;
  let ca: SigningCa;
  let calls: Uint8Array[];

  before(async () => {
    pki = await makePki();
    const opaque = opaqueSigner();
    calls = opaque.calls;
    const certificateDer = await certifyIssuingCa({ root: pki.root, subject: { commonName: "Token Issuing CA" }, now: NOW, validityDays: 365, publicKey: opaque.signer.publicKey });
    ca = { certificateDer, signer: opaque.signer };
  });

  it("certifyIssuingCa: the root certifies a key it never sees; the profile matches createIssuingCa", () => {
    const certificate = new X509Certificate(ca.certificateDer);
    assert.ok(certificate.verify(new X509Certificate(pki.root.certificateDer).publicKey));
    assert.ok(certificate.publicKey.equals(ca.signer.publicKey));
    assert.equal(certificate.ca, true);
    const usages = new x509.KeyUsagesExtension(new x509.X509Certificate(ca.certificateDer).getExtension("2.5.29.15")!.rawData).usages;
    assert.equal(usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature);
  });

  it("certificates, CRLs and OCSP responses are signed through sign(), and validate", async () => {
    calls.length = 0;
    const device = await issueDeviceCertificate({ issuer: ca, csrDer: (await makeCsr()).csrDer, partyType: "user", partyId: "u1", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL });
    const result = validateCertificate({ certificateDer: device.certificateDer, trustedRootDer: pki.root.certificateDer, intermediatesDer: [ca.certificateDer], now: NOW, requiredKeyUsage: ["digitalSignature"] });
    assert.equal(result.ok, true);
    const crl = new x509.X509Crl(await buildCrl({ issuer: ca, revoked: [{ serialHex: device.serialHex, revokedAt: NOW, reason: "keyCompromise" }], crlNumber: 1, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY_MS) }));
    assert.equal(await crl.verify({ publicKey: new x509.X509Certificate(ca.certificateDer) }), true);
    const nonce = new Uint8Array(randomBytes(16));
    const response = await buildOcspResponse({ issuer: ca, request: buildOcspRequest(device.certificateDer, ca.certificateDer, nonce), statusOf: () => "good", now: NOW, nextUpdate: new Date(NOW.getTime() + DAY_MS) });
    assert.equal(verifyOcspResponse(response, { certificateDer: device.certificateDer, issuerCertificateDer: ca.certificateDer, nonce, now: NOW }).status, "good");
    assert.equal(calls.length, 3, "one sign() per certificate, CRL and OCSP response");
  });

  it("a signer whose key does not belong to the certificate is ERR_PKI_ISSUER before anything is signed", async () => {
    const stranger = opaqueSigner();
    const issuer = { certificateDer: ca.certificateDer, signer: stranger.signer };
    const csrDer = (await makeCsr()).csrDer;
    await assert.rejects(issueDeviceCertificate({ issuer, csrDer, partyType: "user", partyId: "u2", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL }), (e) => isPkiError(e, "ERR_PKI_ISSUER"));
    await assert.rejects(buildCrl({ issuer, revoked: [], crlNumber: 1, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY_MS) }), (e) => isPkiError(e, "ERR_PKI_ISSUER"));
    assert.equal(stranger.calls.length, 0);
  });

  it("a signature that does not verify (a faulty or swapped token key) is ERR_PKI_SIGNER: nothing is handed out", async () => {
    const other = softwareSigner(p256PrivateKey());
    const faulty = { certificateDer: ca.certificateDer, signer: { ...ca.signer, sign: (data: Uint8Array) => other.sign(data) } };
    const csrDer = (await makeCsr()).csrDer;
    await assert.rejects(issueDeviceCertificate({ issuer: faulty, csrDer, partyType: "user", partyId: "u3", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL }), (e) => isPkiError(e, "ERR_PKI_SIGNER"));
    const wrongLength = { certificateDer: ca.certificateDer, signer: { ...ca.signer, sign: async () => new Uint8Array(70) } };
    await assert.rejects(buildCrl({ issuer: wrongLength, revoked: [], crlNumber: 1, thisUpdate: NOW, nextUpdate: new Date(NOW.getTime() + DAY_MS) }), (e) => isPkiError(e, "ERR_PKI_SIGNER"));
    const failing = { certificateDer: ca.certificateDer, signer: { ...ca.signer, sign: async () => { throw new Error("device unplugged"); } } };
    const device = await issueDeviceCertificate({ issuer: ca, csrDer, partyType: "user", partyId: "u3", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL });
    const request = buildOcspRequest(device.certificateDer, ca.certificateDer, new Uint8Array(16));
    await assert.rejects(buildOcspResponse({ issuer: failing, request, statusOf: () => "good", now: NOW, nextUpdate: new Date(NOW.getTime() + DAY_MS) }), (e) => isPkiError(e, "ERR_PKI_SIGNER"));
  });

  it("only an ECDSA P-256 Signer is accepted", async () => {
    const csrDer = (await makeCsr()).csrDer;
    const params = { csrDer, partyType: "user" as const, partyId: "u4", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    for (const signer of [{ ...ca.signer, algorithm: "rsa-sha256" }, { ...ca.signer, publicKey: p256PrivateKey() }, { ...ca.signer, sign: undefined }, null]) {
      await assert.rejects(issueDeviceCertificate({ ...params, issuer: { certificateDer: ca.certificateDer, signer: signer as unknown as Signer } }), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
    }
    await assert.rejects(certifyIssuingCa({ root: pki.root, subject: { commonName: "x" }, now: NOW, validityDays: 1, publicKey: createPublicKey(pki.root.privateKey).export({ format: "pem", type: "spki" }) as never }), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
  });
});
