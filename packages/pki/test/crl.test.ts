import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { buildCrl, isPkiError, issueDeviceCertificate } from "../src/index.js";
import type { BuildCrlParams } from "../src/index.js";
import { certificateFields } from "../src/internal/cert-fields.js";
import { x509 } from "../src/internal/x509.js";
import { CRL_URL, DAY_MS, NOW, OCSP_URL, makeCsr, makePki } from "./helpers.js";
import type { TestPki } from "./helpers.js";

describe("buildCrl", () => {
  let pki: TestPki;
  let base: BuildCrlParams;
  before(async () => {
    pki = await makePki();
    base = {
      issuer: pki.issuing,
      revoked: [
        { serialHex: "7f01020304", revokedAt: NOW, reason: "keyCompromise" },
        { serialHex: "ABCDEF", revokedAt: new Date(NOW.getTime() + 1000), reason: "unspecified" },
        { serialHex: "00c0ffee", revokedAt: NOW, reason: "cessationOfOperation" },
      ],
      crlNumber: 2n ** 100n,
      thisUpdate: NOW,
      nextUpdate: new Date(NOW.getTime() + DAY_MS),
    };
  });

  it("v2, issuer Name byte-identical, AKI, CRL number, entries with reason codes, signature verifies", async () => {
    const der = await buildCrl(base);
    const crl = new x509.X509Crl(der);
    assert.equal(crl.version, 1); // v2
    assert.equal(crl.thisUpdate.getTime(), NOW.getTime());
    assert.equal(crl.nextUpdate?.getTime(), NOW.getTime() + DAY_MS);
    assert.deepEqual(new Uint8Array(crl.issuerName.toArrayBuffer()), certificateFields(pki.issuing.certificateDer).subject);
    const aki = crl.extensions.find((e) => e.type === "2.5.29.35");
    assert.ok(aki);
    const ski = new x509.X509Certificate(pki.issuing.certificateDer).extensions.find((e) => e.type === "2.5.29.14");
    assert.equal(new x509.AuthorityKeyIdentifierExtension(aki.rawData).keyId, new x509.SubjectKeyIdentifierExtension(ski!.rawData).keyId);
    const number = crl.extensions.find((e) => e.type === "2.5.29.20");
    assert.ok(number);
    assert.equal(Buffer.from(number.value).toString("hex"), `020d10${"00".repeat(12)}`); // INTEGER 2^100 = 0x10 << 96
    assert.deepEqual(
      crl.entries.map((e) => [e.serialNumber, e.reason]),
      [["7f01020304", x509.X509CrlReason.keyCompromise], ["abcdef", undefined], ["c0ffee", x509.X509CrlReason.cessationOfOperation]],
    );
    assert.equal(await crl.verify({ publicKey: new x509.X509Certificate(pki.issuing.certificateDer) }), true);
  });

  it("an empty CRL is fine", async () => {
    const crl = new x509.X509Crl(await buildCrl({ ...base, revoked: [], crlNumber: 0 }));
    assert.equal(crl.entries.length, 0);
  });

  it("refuses bad input", async () => {
    const invalid = (e: unknown) => isPkiError(e, "ERR_PKI_INVALID_INPUT");
    await assert.rejects(buildCrl({ ...base, nextUpdate: NOW }), invalid);
    await assert.rejects(buildCrl({ ...base, crlNumber: -1 }), invalid);
    await assert.rejects(buildCrl({ ...base, crlNumber: 2n ** 160n }), invalid);
    await assert.rejects(buildCrl({ ...base, crlNumber: 1.5 }), invalid);
    await assert.rejects(buildCrl({ ...base, revoked: [base.revoked[0]!, { ...base.revoked[0]!, serialHex: "007F01020304" }] }), invalid);
    await assert.rejects(buildCrl({ ...base, revoked: [{ ...base.revoked[0]!, reason: "bored" as never }] }), invalid);
    await assert.rejects(buildCrl({ ...base, revoked: [{ ...base.revoked[0]!, serialHex: "xyz" }] }), invalid);
    await assert.rejects(buildCrl({ ...base, revoked: [{ ...base.revoked[0]!, revokedAt: new Date(Number.NaN) }] }), invalid);
    const { csrDer } = await makeCsr();
    const leaf = await issueDeviceCertificate({ issuer: pki.issuing, csrDer, partyType: "user", partyId: "u", now: NOW, validityDays: 1, ocspUrl: OCSP_URL, crlUrl: CRL_URL });
    await assert.rejects(buildCrl({ ...base, issuer: { certificateDer: leaf.certificateDer, privateKey: pki.issuing.privateKey } }), (e) => isPkiError(e, "ERR_PKI_ISSUER"));
  });
});
