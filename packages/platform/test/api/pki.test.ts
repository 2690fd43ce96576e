import assert from "node:assert/strict";
import { generateKeyPairSync, randomBytes, X509Certificate } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { buildOcspRequest, compactId, createCsr, verifyOcspResponse } from "@obol/pki";
import { openHarness, type Harness } from "./harness.js";

let h: Harness;
before(async () => { h = await openHarness(); });
after(async () => { await h.platform.stop(); });

const der = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[A-Z ]+-----|\s/g, ""), "base64"));

async function enrolmentCode(msisdn: string): Promise<string> {
  const reply = await h.call("POST", "/v1/admin/enrolment-codes", { token: h.adminToken, json: { msisdn } });
  assert.equal(reply.status, 201, reply.text);
  return reply.body.code;
}

async function ocspStatus(certificateDer: Uint8Array): Promise<string> {
  const issuing = der((await h.call("GET", "/pki/ca")).body.issuing);
  const nonce = new Uint8Array(randomBytes(16));
  const request = buildOcspRequest(certificateDer, issuing, nonce);
  const reply = await h.platform.app.inject({ method: "POST", url: "/pki/ocsp", headers: { "content-type": "application/ocsp-request" }, payload: Buffer.from(request) });
  assert.equal(reply.headers["content-type"], "application/ocsp-response");
  const answer = verifyOcspResponse(new Uint8Array(reply.rawPayload), { certificateDer, issuerCertificateDer: issuing, nonce, now: new Date(h.clock.now) });
  return answer.status;
}

describe("device enrolment, directory and revocation", () => {
  let certificateDer: Uint8Array;
  let serial: string;

  test("a user with an operator's enrolment code gets a certificate for the device's own key", async () => {
    const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const csr = Buffer.from(await createCsr(deviceKey, "my-phone")).toString("base64");
    const code = await enrolmentCode(h.a.msisdn);
    const reply = await h.call("POST", "/v1/pki/enrol", { token: h.a.token, json: { code, csr } });
    assert.equal(reply.status, 201, reply.text);
    certificateDer = der(reply.body.certificate);
    serial = reply.body.serial;
    assert.equal(reply.body.compactId, compactId(certificateDer));
    const certificate = new X509Certificate(certificateDer);
    assert.match(certificate.subjectAltName ?? "", new RegExp(`urn:obol:party:user:${h.a.id}`));
    assert.match(certificate.subjectAltName ?? "", /tel:\+254700000001/);
    assert.ok(certificate.checkPrivateKey(deviceKey), "the certificate is for the key the device holds");
    assert.ok(certificate.verify(new X509Certificate(der(reply.body.chain[0])).publicKey), "issued by the issuing CA");
  });

  test("the code works once", async () => {
    const deviceKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const csr = Buffer.from(await createCsr(deviceKey, "phone-2")).toString("base64");
    const code = await enrolmentCode(h.b.msisdn);
    assert.equal((await h.call("POST", "/v1/pki/enrol", { token: h.b.token, json: { code, csr } })).status, 201);
    const again = await h.call("POST", "/v1/pki/enrol", { token: h.b.token, json: { code, csr } });
    assert.deepEqual([again.status, again.body.error.code], [403, "ERR_ENROLMENT_CODE_INVALID"]);
  });

  test("another user's code, an RSA key and garbage are refused", async () => {
    const code = await enrolmentCode(h.b.msisdn);
    const ecCsr = Buffer.from(await createCsr(generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey, "x")).toString("base64");
    const stolen = await h.call("POST", "/v1/pki/enrol", { token: h.a.token, json: { code, csr: ecCsr } });
    assert.equal(stolen.body.error.code, "ERR_ENROLMENT_CODE_INVALID");
    const garbage = await h.call("POST", "/v1/pki/enrol", { token: h.b.token, json: { code, csr: Buffer.from("not a csr at all").toString("base64") } });
    assert.equal(garbage.body.error.code, "ERR_CSR_INVALID");
    const noToken = await h.call("POST", "/v1/pki/enrol", { json: { code, csr: ecCsr } });
    assert.equal(noToken.status, 401);
  });

  test("the directory resolves the compact identifier", async () => {
    const reply = await h.call("GET", `/v1/pki/certificates/${compactId(certificateDer)}`);
    assert.equal(reply.status, 200);
    assert.deepEqual([reply.body.serial, reply.body.status], [serial, "good"]);
    assert.equal((await h.call("GET", "/v1/pki/certificates/AAAAAAAAAAAAAAAAAAAAAA")).status, 404);
  });

  test("OCSP says good, the user revokes the lost phone, then OCSP and the CRL say revoked", async () => {
    assert.equal(await ocspStatus(certificateDer), "good");
    const otherUser = await h.call("POST", `/v1/me/certificates/${serial}/revoke`, { token: h.b.token });
    assert.equal(otherUser.status, 404, "nobody else may revoke it");
    const revoked = await h.call("POST", `/v1/me/certificates/${serial}/revoke`, { token: h.a.token });
    assert.equal(revoked.status, 200);
    assert.equal(await ocspStatus(certificateDer), "revoked");
    const crl = await h.platform.app.inject({ method: "GET", url: "/pki/crl" });
    assert.equal(crl.headers["content-type"], "application/pkix-crl");
    assert.ok(crl.rawPayload.includes(Buffer.from(serial, "hex")), "the CRL lists the serial");
    const validation = await h.platform.services.pki.validate(certificateDer);
    assert.deepEqual(validation.ok ? "ok" : validation.code, "ERR_PKI_REVOKED");
  });

  test("garbage to the OCSP responder gets an OCSP malformedRequest answer, not a crash", async () => {
    const reply = await h.platform.app.inject({ method: "POST", url: "/pki/ocsp", headers: { "content-type": "application/ocsp-request" }, payload: Buffer.from("garbage") });
    assert.equal(reply.statusCode, 200);
    assert.deepEqual([...reply.rawPayload.subarray(0, 5)], [0x30, 0x03, 0x0a, 0x01, 0x01], "OCSPResponse { responseStatus malformedRequest(1) }");
  });

  test("every revocation and issuance is in the audit chain", async () => {
    const report = await h.platform.services.audit.verify();
    assert.equal(report.ok, true);
  });
});
