import assert from "node:assert/strict";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { before, describe, it } from "node:test";
import {
  createIssuingCa,
  createRootCa,
  isPkiError,
  issueDeviceCertificate,
  issueServiceCertificate,
  parseCsr,
} from "../src/index.js";
import { certificateFields } from "../src/internal/cert-fields.js";
import { x509 } from "../src/internal/x509.js";
import { CRL_URL, DAY_MS, NOW, OCSP_URL, makeCsr, makePki, p256PrivateKey } from "./helpers.js";
import type { TestPki } from "./helpers.js";

function ext<T extends x509.Extension>(der: Uint8Array, oid: string, Type: new (raw: ArrayBuffer) => T): T {
  const found = new x509.X509Certificate(der).extensions.find((e) => e.type === oid);
  assert.ok(found, `extension ${oid} present`);
  return new Type(found.rawData);
}

describe("CA creation", () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki();
  });

  it("root: self-signed P-256, CA without pathLen, keyCertSign + cRLSign, SKI = AKI", () => {
    const cert = new X509Certificate(pki.root.certificateDer);
    assert.equal(cert.ca, true);
    assert.equal(cert.verify(cert.publicKey), true);
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    const bc = ext(pki.root.certificateDer, "2.5.29.19", x509.BasicConstraintsExtension);
    assert.equal(bc.ca, true);
    assert.equal(bc.critical, true);
    assert.equal(bc.pathLength, undefined);
    const ku = ext(pki.root.certificateDer, "2.5.29.15", x509.KeyUsagesExtension);
    assert.equal(ku.usages, x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);
    const ski = ext(pki.root.certificateDer, "2.5.29.14", x509.SubjectKeyIdentifierExtension);
    const aki = ext(pki.root.certificateDer, "2.5.29.35", x509.AuthorityKeyIdentifierExtension);
    assert.equal(aki.keyId, ski.keyId);
    assert.equal(new x509.X509Certificate(pki.root.certificateDer).notBefore.getTime(), NOW.getTime());
  });

  it("issuing CA: pathLen 0, signed by the root, AKI = root SKI, issuer Name copied byte for byte", () => {
    const cert = new X509Certificate(pki.issuing.certificateDer);
    const root = new X509Certificate(pki.root.certificateDer);
    assert.equal(cert.verify(root.publicKey), true);
    assert.equal(cert.checkIssued(root), true);
    const bc = ext(pki.issuing.certificateDer, "2.5.29.19", x509.BasicConstraintsExtension);
    assert.equal(bc.ca, true);
    assert.equal(bc.pathLength, 0);
    const aki = ext(pki.issuing.certificateDer, "2.5.29.35", x509.AuthorityKeyIdentifierExtension);
    const rootSki = ext(pki.root.certificateDer, "2.5.29.14", x509.SubjectKeyIdentifierExtension);
    assert.equal(aki.keyId, rootSki.keyId);
    assert.deepEqual(certificateFields(pki.issuing.certificateDer).issuer, certificateFields(pki.root.certificateDer).subject);
  });

  it("a subject with DN metacharacters stays one CN attribute", async () => {
    const root = await createRootCa({ subject: { commonName: "A, O=evil+CN=x" }, now: NOW, validityDays: 10 });
    // node escapes the metacharacters: one attribute, not three
    assert.equal(new X509Certificate(root.certificateDer).subject, "CN=A\\, O=evil\\+CN=x");
    assert.equal(new x509.X509Certificate(root.certificateDer).subjectName.toJSON().length, 1);
  });

  it("refuses a pathLen-0 CA as the root of another CA, a foreign key, and out-of-range validity", async () => {
    await assert.rejects(
      createIssuingCa({ root: pki.issuing, subject: { commonName: "x" }, now: NOW, validityDays: 10 }),
      (e) => isPkiError(e, "ERR_PKI_ISSUER"),
    );
    await assert.rejects(
      createIssuingCa({ root: { certificateDer: pki.root.certificateDer, privateKey: p256PrivateKey() }, subject: { commonName: "x" }, now: NOW, validityDays: 10 }),
      (e) => isPkiError(e, "ERR_PKI_ISSUER"),
    );
    await assert.rejects(
      createIssuingCa({ root: pki.root, subject: { commonName: "x" }, now: NOW, validityDays: 4000 }),
      (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"),
    );
    await assert.rejects(createRootCa({ subject: { commonName: "x" }, now: NOW, validityDays: 0 }), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
    await assert.rejects(createRootCa({ subject: { commonName: "" }, now: NOW, validityDays: 1 }), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
    await assert.rejects(
      createRootCa({ subject: { commonName: "x", country: "Kenya" }, now: NOW, validityDays: 1 }),
      (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"),
    );
  });
});

describe("device certificate issuance", () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki();
  });

  it("identity comes from the platform's data, not the CSR", async () => {
    const { csrDer } = await makeCsr();
    const issued = await issueDeviceCertificate({
      issuer: pki.issuing,
      csrDer,
      partyType: "merchant",
      partyId: "m-42",
      msisdn: "254700123456",
      now: NOW,
      validityDays: 365,
      ocspUrl: OCSP_URL,
      crlUrl: CRL_URL,
    });
    const cert = new X509Certificate(issued.certificateDer);
    assert.equal(cert.subject, "CN=m-42");
    assert.equal(cert.subjectAltName, "URI:urn:obol:party:merchant:m-42, URI:tel:+254700123456");
    assert.equal(cert.verify(new X509Certificate(pki.issuing.certificateDer).publicKey), true);
    assert.equal(cert.ca, false);
    assert.deepEqual(cert.keyUsage, ["1.3.6.1.5.5.7.3.2"]); // node's keyUsage is the EKU list
    assert.equal(cert.infoAccess?.trim(), `OCSP - URI:${OCSP_URL}`);
    const ku = ext(issued.certificateDer, "2.5.29.15", x509.KeyUsagesExtension);
    assert.equal(ku.usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation);
    assert.equal(ku.critical, true);
    const crldp = ext(issued.certificateDer, "2.5.29.31", x509.CRLDistributionPointsExtension);
    assert.ok(JSON.stringify(crldp.toTextObject()).includes(CRL_URL));
    // serial: 16 bytes, positive; validity window exact
    assert.match(issued.serialHex, /^[0-7][0-9a-f]{31}$/);
    assert.notEqual(issued.serialHex.slice(0, 2), "00");
    assert.equal(cert.serialNumber.toLowerCase(), issued.serialHex);
    assert.equal(issued.notAfter.getTime() - issued.notBefore.getTime(), 365 * DAY_MS);
    assert.equal(issued.compactId.length, 22);
  });

  it("serials are random and distinct; an explicit serial is used as given", async () => {
    const { csrDer } = await makeCsr();
    const base = { issuer: pki.issuing, csrDer, partyType: "user" as const, partyId: "u1", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    const a = await issueDeviceCertificate(base);
    const b = await issueDeviceCertificate(base);
    assert.notEqual(a.serialHex, b.serialHex);
    const c = await issueDeviceCertificate({ ...base, serial: "00FF01" });
    assert.equal(c.serialHex, "ff01");
    assert.equal(new X509Certificate(c.certificateDer).serialNumber, "FF01");
  });

  it("refuses bad platform data", async () => {
    const { csrDer } = await makeCsr();
    const base = { issuer: pki.issuing, csrDer, partyType: "user" as const, partyId: "u1", now: NOW, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    const invalid = (e: unknown) => isPkiError(e, "ERR_PKI_INVALID_INPUT");
    await assert.rejects(issueDeviceCertificate({ ...base, partyId: "a,b" }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, partyId: "" }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, partyType: "admin" as never }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, msisdn: "0700123456" }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, ocspUrl: "ldap://x/" }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, crlUrl: "http://x/\n" }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, serial: "0" }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, serial: "ff".repeat(20) }), invalid);
    await assert.rejects(issueDeviceCertificate({ ...base, validityDays: 826 }), invalid);
    // the issuer's validity bounds the certificate's
    await assert.rejects(issueDeviceCertificate({ ...base, now: new Date(NOW.getTime() - DAY_MS) }), (e) => isPkiError(e, "ERR_PKI_ISSUER"));
    // an end-entity certificate cannot issue
    const leaf = await issueDeviceCertificate(base);
    const fakeIssuer = { certificateDer: leaf.certificateDer, privateKey: p256PrivateKey() };
    await assert.rejects(issueDeviceCertificate({ ...base, issuer: fakeIssuer }), (e) => isPkiError(e, "ERR_PKI_ISSUER"));
  });

  it("refuses a P-384 CSR with ERR_PKI_CSR_KEY", async () => {
    const { csrDer } = await makeCsr("P-384");
    assert.throws(() => parseCsr(csrDer), (e) => isPkiError(e, "ERR_PKI_CSR_KEY"));
  });
});

describe("service certificates", () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki();
  });

  it("signing (P-256, digitalSignature + nonRepudiation) and encryption (RSA-2048, keyEncipherment)", async () => {
    const signing = await issueServiceCertificate({
      issuer: pki.issuing, purpose: "signing", serviceName: "platform-sign", publicKey: p256PrivateKey(), now: NOW, validityDays: 365,
    });
    assert.equal(ext(signing.certificateDer, "2.5.29.15", x509.KeyUsagesExtension).usages, x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation);
    assert.equal(new X509Certificate(signing.certificateDer).subjectAltName, "URI:urn:obol:service:platform-sign");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const encryption = await issueServiceCertificate({
      issuer: pki.issuing, purpose: "encryption", serviceName: "platform-enc", publicKey: rsa.publicKey, now: NOW, validityDays: 365,
      ocspUrl: OCSP_URL, crlUrl: CRL_URL,
    });
    const cert = new X509Certificate(encryption.certificateDer);
    assert.equal(cert.publicKey.asymmetricKeyType, "rsa");
    assert.equal(ext(encryption.certificateDer, "2.5.29.15", x509.KeyUsagesExtension).usages, x509.KeyUsageFlags.keyEncipherment);
    await assert.rejects(
      issueServiceCertificate({ issuer: pki.issuing, purpose: "encryption", serviceName: "x", publicKey: p256PrivateKey(), now: NOW, validityDays: 1 }),
      (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"),
    );
    await assert.rejects(
      issueServiceCertificate({ issuer: pki.issuing, purpose: "signing", serviceName: "x", publicKey: rsa.publicKey, now: NOW, validityDays: 1 }),
      (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"),
    );
  });
});
