import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as asn1js from "asn1js";
import * as pkijs from "pkijs";
import {
  buildOcspErrorResponse,
  buildOcspRequest,
  buildOcspResponse,
  isPkiError,
  issueDeviceCertificate,
  issueServiceCertificate,
  ocspRequestCertIdsMax,
  parseOcspRequest,
  verifyOcspResponse,
} from "../src/index.js";
import type { CertificateStatus, IssuedCertificate, VerifyOcspResponseOptions } from "../src/index.js";
import { certIdFor } from "../src/build-ocsp-request.js";
import { certificateFields } from "../src/internal/cert-fields.js";
import { contextTag, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from "../src/internal/der.js";
import { nonceExtension } from "../src/internal/ocsp-asn1.js";
import { CRL_URL, DAY_MS, NOW, OCSP_URL, makeCsr, makePki, p256PrivateKey } from "./helpers.js";
import type { TestPki } from "./helpers.js";

const HOUR_MS = 3_600_000;
const NONCE = Uint8Array.from({ length: 16 }, (_, i) => i + 1);

function ocspError(code: string) {
  return (e: unknown) => isPkiError(e) && e.code === code;
}

describe("OCSP", () => {
  let pki: TestPki;
  let good: IssuedCertificate;
  let revoked: IssuedCertificate;
  let statusOf: (serial: string) => CertificateStatus;
  let asked: string[];

  before(async () => {
    pki = await makePki();
    const { csrDer } = await makeCsr();
    const base = { issuer: pki.issuing, csrDer, partyType: "user" as const, now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    good = await issueDeviceCertificate({ ...base, partyId: "good" });
    revoked = await issueDeviceCertificate({ ...base, partyId: "revoked" });
    asked = [];
    statusOf = (serial) => {
      asked.push(serial);
      if (serial === good.serialHex) return "good";
      if (serial === revoked.serialHex) return { revokedAt: new Date(NOW.getTime() + DAY_MS), reason: "superseded" };
      return "unknown";
    };
  });

  const respond = (request: Uint8Array, now = NOW, extra: Partial<Parameters<typeof buildOcspResponse>[0]> = {}) =>
    buildOcspResponse({ issuer: pki.issuing, request, statusOf, now, nextUpdate: new Date(now.getTime() + HOUR_MS), ...extra });
  const options = (cert: IssuedCertificate, more: Partial<VerifyOcspResponseOptions> = {}): VerifyOcspResponseOptions => ({
    certificateDer: cert.certificateDer,
    issuerCertificateDer: pki.issuing.certificateDer,
    nonce: NONCE,
    now: NOW,
    ...more,
  });

  it("parses its own request: CertID hashes, serial, nonce", () => {
    for (const hashAlgorithm of ["sha1", "sha256", "sha384", "sha512"] as const) {
      const info = parseOcspRequest(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE, { hashAlgorithm }));
      assert.equal(info.certIds.length, 1);
      assert.equal(info.certIds[0]!.hashAlgorithm, hashAlgorithm);
      assert.equal(info.certIds[0]!.serialHex, good.serialHex);
      assert.deepEqual(info.nonce, NONCE);
      assert.equal(info.signed, false);
    }
  });

  it("good, revoked (time and reason) and unknown round trips; statusOf only for this issuer", async () => {
    const g = verifyOcspResponse(await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE)), options(good));
    assert.deepEqual(g, { status: "good", thisUpdate: NOW, producedAt: NOW, nextUpdate: new Date(NOW.getTime() + HOUR_MS) });
    const r = verifyOcspResponse(await respond(buildOcspRequest(revoked.certificateDer, pki.issuing.certificateDer, NONCE, { hashAlgorithm: "sha1" })), options(revoked));
    assert.equal(r.status, "revoked");
    assert.equal(r.reason, "superseded");
    assert.equal(r.revokedAt?.getTime(), NOW.getTime() + DAY_MS);

    asked.length = 0;
    const unknownSerial = verifyOcspResponse(await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE)), options(good));
    assert.equal(unknownSerial.status, "good");
    assert.deepEqual(asked, [good.serialHex]);
  });

  it("a CertID that names another issuer is unknown, without asking statusOf", async () => {
    const other = await makePki();
    const { csrDer } = await makeCsr();
    const foreign = await issueDeviceCertificate({ issuer: other.issuing, csrDer, partyType: "user", partyId: "f", now: NOW, validityDays: 1, ocspUrl: OCSP_URL, crlUrl: CRL_URL, serial: good.serialHex });
    asked.length = 0;
    const der = await respond(buildOcspRequest(foreign.certificateDer, other.issuing.certificateDer, NONCE));
    assert.deepEqual(asked, []);
    // signed by our CA, not theirs: their client refuses it
    assert.throws(
      () => verifyOcspResponse(der, { ...options(foreign), issuerCertificateDer: other.issuing.certificateDer }),
      ocspError("ERR_PKI_OCSP_SIGNATURE"),
    );
    const single = parseWithPkijs(der).tbsResponseData.responses[0]!;
    assert.equal(single.certStatus.idBlock.tagNumber, 2); // unknown [2]
  });

  it("an unsupported CertID hash algorithm is answered unknown", async () => {
    const request = buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE, { hashAlgorithm: "sha256" });
    // sha256 OID ...04 02 01 -> ...04 02 09 (not a hash we compute)
    const oid = Buffer.from("608648016503040201", "hex");
    const at = Buffer.from(request).indexOf(oid);
    const modified = request.slice();
    modified[at + oid.length - 1] = 0x09;
    const info = parseOcspRequest(modified);
    assert.equal(info.certIds[0]!.hashAlgorithm, null);
    asked.length = 0;
    const single = parseWithPkijs(await respond(modified)).tbsResponseData.responses[0]!;
    assert.equal(single.certStatus.idBlock.tagNumber, 2);
    assert.deepEqual(asked, []);
  });

  it("several CertIDs in one request each get an answer, CertIDs echoed byte for byte", async () => {
    const cert = certificateFields(good.certificateDer);
    const issuer = certificateFields(pki.issuing.certificateDer);
    const ids = [certIdFor(cert, issuer, "sha1"), certIdFor(certificateFields(revoked.certificateDer), issuer, "sha256")];
    const request = encodeSequence(encodeSequence(encodeSequence(...ids.map((id) => encodeSequence(id)))));
    const basic = parseWithPkijs(await respond(request));
    assert.equal(basic.tbsResponseData.responses.length, 2);
    for (const [i, single] of basic.tbsResponseData.responses.entries()) {
      assert.deepEqual(new Uint8Array(single.certID.toSchema().toBER()), ids[i]);
    }
    assert.equal(basic.tbsResponseData.responseExtensions, undefined); // no nonce asked, none sent
  });

  it("pkijs reads our response (issuer certificate included): signature verifies, status, nonce", async () => {
    const der = await respond(buildOcspRequest(revoked.certificateDer, pki.issuing.certificateDer, NONCE), NOW, { includeIssuerCertificate: true });
    const basic = parseWithPkijs(der);
    assert.equal(basic.certs?.length, 1);
    const issuer = pkijs.Certificate.fromBER(pki.issuing.certificateDer);
    assert.equal(await basic.verify({ trustedCerts: [pkijs.Certificate.fromBER(pki.root.certificateDer)] }), true);
    const status = await basic.getCertificateStatus(pkijs.Certificate.fromBER(revoked.certificateDer), issuer);
    assert.deepEqual(status, { isForCertificate: true, status: 1 });
    const nonceExt = basic.tbsResponseData.responseExtensions?.find((e) => e.extnID === "1.3.6.1.5.5.7.48.1.2");
    assert.ok(nonceExt);
    assert.deepEqual(new Uint8Array(nonceExt.extnValue.valueBlock.valueHexView), Uint8Array.of(0x04, 16, ...NONCE));
  });

  it("we read a pkijs-built request", async () => {
    const request = new pkijs.OCSPRequest();
    await request.createForCertificate(pkijs.Certificate.fromBER(good.certificateDer), {
      hashAlgorithm: "SHA-256",
      issuerCertificate: pkijs.Certificate.fromBER(pki.issuing.certificateDer),
    });
    request.tbsRequest.requestExtensions = [
      new pkijs.Extension({ extnID: "1.3.6.1.5.5.7.48.1.2", extnValue: new asn1js.OctetString({ valueHex: NONCE }).toBER(false) }),
    ];
    const info = parseOcspRequest(new Uint8Array(request.toSchema(true).toBER(false)));
    assert.equal(info.certIds[0]!.serialHex, good.serialHex);
    assert.deepEqual(info.nonce, NONCE);
    assert.equal(verifyOcspResponse(await respond(new Uint8Array(request.toSchema(true).toBER(false))), options(good)).status, "good");
  });

  it("nonce: missing or different is ERR_PKI_OCSP_NONCE; nonce null accepts a response without one", async () => {
    const withNonce = await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE));
    assert.throws(() => verifyOcspResponse(withNonce, options(good, { nonce: new Uint8Array(16) })), ocspError("ERR_PKI_OCSP_NONCE"));
    const cert = certificateFields(good.certificateDer);
    const noNonceRequest = encodeSequence(encodeSequence(encodeSequence(encodeSequence(certIdFor(cert, certificateFields(pki.issuing.certificateDer), "sha256")))));
    const withoutNonce = await respond(noNonceRequest);
    assert.throws(() => verifyOcspResponse(withoutNonce, options(good)), ocspError("ERR_PKI_OCSP_NONCE"));
    assert.equal(verifyOcspResponse(withoutNonce, options(good, { nonce: null })).status, "good");
  });

  it("freshness: ERR_PKI_OCSP_STALE after nextUpdate (+5 min skew) and before thisUpdate (-5 min)", async () => {
    const der = await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE));
    assert.equal(verifyOcspResponse(der, options(good, { now: new Date(NOW.getTime() + HOUR_MS + 299_000) })).status, "good");
    assert.throws(() => verifyOcspResponse(der, options(good, { now: new Date(NOW.getTime() + HOUR_MS + 301_000) })), ocspError("ERR_PKI_OCSP_STALE"));
    assert.equal(verifyOcspResponse(der, options(good, { now: new Date(NOW.getTime() - 299_000) })).status, "good");
    assert.throws(() => verifyOcspResponse(der, options(good, { now: new Date(NOW.getTime() - 301_000) })), ocspError("ERR_PKI_OCSP_STALE"));
  });

  it("authenticity: a flipped signature bit, another CA's key, or an error status are refused before any status is read", async () => {
    const der = await respond(buildOcspRequest(revoked.certificateDer, pki.issuing.certificateDer, NONCE));
    const flipped = der.slice();
    flipped[flipped.length - 3]! ^= 0x01; // inside the ECDSA s value at the end
    assert.throws(() => verifyOcspResponse(flipped, options(revoked)), ocspError("ERR_PKI_OCSP_SIGNATURE"));
    // "good" signed by another CA: the status must not leak through
    const otherCa = await makePki();
    const forged = await buildOcspResponse({
      issuer: otherCa.issuing,
      request: buildOcspRequest(revoked.certificateDer, pki.issuing.certificateDer, NONCE),
      statusOf: () => "good",
      now: NOW,
      nextUpdate: new Date(NOW.getTime() + HOUR_MS),
    });
    assert.throws(() => verifyOcspResponse(forged, options(revoked)), ocspError("ERR_PKI_OCSP_SIGNATURE"));
    for (const status of ["malformedRequest", "internalError", "tryLater", "sigRequired", "unauthorized"] as const) {
      assert.throws(() => verifyOcspResponse(buildOcspErrorResponse(status), options(good)), (e) => isPkiError(e, "ERR_PKI_OCSP_RESPONSE_STATUS") && e.message.includes(status));
    }
  });

  it("a response about another certificate is ERR_PKI_OCSP_NO_STATUS", async () => {
    const der = await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE));
    assert.throws(() => verifyOcspResponse(der, options(revoked)), ocspError("ERR_PKI_OCSP_NO_STATUS"));
  });

  it("a delegated responder from issueServiceCertificate(ocspSigning) signs; the client checks the delegation", async () => {
    const key = p256PrivateKey();
    const responderCert = await issueServiceCertificate({ issuer: pki.issuing, purpose: "ocspSigning", serviceName: "ocsp", publicKey: key, now: NOW, validityDays: 10 });
    const responder = { certificateDer: responderCert.certificateDer, privateKey: key };
    const der = await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE), NOW, { responder });
    assert.equal(verifyOcspResponse(der, options(good)).status, "good");
    // after the responder certificate expires its answers are refused
    const late = new Date(NOW.getTime() + 11 * DAY_MS);
    const lateDer = await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE), late, { responder });
    assert.throws(() => verifyOcspResponse(lateDer, options(good, { now: late })), ocspError("ERR_PKI_OCSP_SIGNATURE"));
    // a signing certificate of the same CA is no responder
    const signingKey = p256PrivateKey();
    const signingCert = await issueServiceCertificate({ issuer: pki.issuing, purpose: "signing", serviceName: "s", publicKey: signingKey, now: NOW, validityDays: 10 });
    const notResponder = await respond(buildOcspRequest(good.certificateDer, pki.issuing.certificateDer, NONCE), NOW, { responder: { certificateDer: signingCert.certificateDer, privateKey: signingKey } });
    assert.throws(() => verifyOcspResponse(notResponder, options(good)), ocspError("ERR_PKI_OCSP_SIGNATURE"));
  });

  it("malformed requests become a malformedRequest response; parseOcspRequest limits", async () => {
    assert.deepEqual([...(await respond(Uint8Array.of(1, 2, 3)))], [0x30, 0x03, 0x0a, 0x01, 0x01]);
    const cert = certificateFields(good.certificateDer);
    const issuer = certificateFields(pki.issuing.certificateDer);
    const request = (n: number, extensions?: Uint8Array) =>
      encodeSequence(
        encodeSequence(
          encodeSequence(...Array.from({ length: n }, () => encodeSequence(certIdFor(cert, issuer, "sha1")))),
          ...(extensions === undefined ? [] : [encodeTlv(contextTag(2, true), encodeSequence(extensions))]),
        ),
      );
    assert.equal(parseOcspRequest(request(ocspRequestCertIdsMax)).certIds.length, ocspRequestCertIdsMax);
    const malformed = ocspError("ERR_PKI_OCSP_MALFORMED");
    assert.throws(() => parseOcspRequest(request(ocspRequestCertIdsMax + 1)), malformed);
    assert.throws(() => parseOcspRequest(request(0)), malformed);
    assert.throws(() => parseOcspRequest(request(1, nonceExtension(new Uint8Array(33)))), malformed);
    assert.throws(() => parseOcspRequest(request(1, nonceExtension(new Uint8Array(0)))), malformed);
    assert.equal(parseOcspRequest(request(1, nonceExtension(new Uint8Array(32)))).nonce?.length, 32);
    // a raw (not OCTET STRING wrapped) nonce is refused
    assert.throws(() => parseOcspRequest(request(1, encodeSequence(encodeOid("1.3.6.1.5.5.7.48.1.2"), encodeOctetString(NONCE)))), malformed);
    // unknown critical extension refused, unknown non-critical ignored
    const unknown = (critical: boolean) =>
      encodeSequence(encodeOid("1.3.6.1.4.1.99999.7"), ...(critical ? [Uint8Array.of(0x01, 0x01, 0xff)] : []), encodeOctetString(Uint8Array.of(5, 0)));
    assert.throws(() => parseOcspRequest(request(1, unknown(true))), malformed);
    assert.equal(parseOcspRequest(request(1, unknown(false))).certIds.length, 1);
    assert.throws(() => parseOcspRequest(new Uint8Array(5000)), malformed);
  });
});

function parseWithPkijs(der: Uint8Array): pkijs.BasicOCSPResponse {
  const response = pkijs.OCSPResponse.fromBER(der);
  assert.equal(response.responseStatus.valueBlock.valueDec, 0);
  assert.ok(response.responseBytes);
  return pkijs.BasicOCSPResponse.fromBER(response.responseBytes.response.valueBlock.valueHexView);
}
