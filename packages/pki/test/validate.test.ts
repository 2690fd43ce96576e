import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { before, describe, it } from "node:test";
import { isPkiError, issueDeviceCertificate, issueServiceCertificate, validateCertificate } from "../src/index.js";
import type { CaKeyPair, IssuedCertificate, ValidateCertificateParams } from "../src/index.js";
import { certificateFields } from "../src/internal/cert-fields.js";
import { keyIdentifier, signingCryptoKey, spkiDerOf } from "../src/internal/keys.js";
import { x509 } from "../src/internal/x509.js";
import { CRL_URL, DAY_MS, NOW, OCSP_URL, makeCsr, makePki, p256PrivateKey } from "./helpers.js";
import type { TestPki } from "./helpers.js";

/** A certificate signed by `issuer` with whatever extensions a test needs (bypassing this package's profile). */
async function craft(issuer: CaKeyPair, subjectKey: ReturnType<typeof p256PrivateKey>, cn: string, extensions: x509.Extension[], notBefore = NOW, days = 30): Promise<Uint8Array> {
  const spki = spkiDerOf(subjectKey);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: "01020304",
    subject: new x509.Name([{ CN: [{ utf8String: cn }] }]),
    issuer: new x509.Name(certificateFields(issuer.certificateDer).subject),
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    publicKey: spki,
    signingKey: await signingCryptoKey(issuer.privateKey),
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } as x509.X509CertificateCreateParamsBase["signingAlgorithm"],
    extensions: [
      ...extensions,
      new x509.SubjectKeyIdentifierExtension(Buffer.from(keyIdentifier(spki)).toString("hex")),
      new x509.AuthorityKeyIdentifierExtension(Buffer.from(keyIdentifier(certificateFields(issuer.certificateDer).spki)).toString("hex")),
    ],
  });
  return new Uint8Array(cert.rawData);
}

const sanOf = (id: string) => new x509.SubjectAlternativeNameExtension([{ type: "url", value: `urn:obol:party:user:${id}` }]);
const deviceKu = () => new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true);

describe("validateCertificate", () => {
  let pki: TestPki;
  let device: IssuedCertificate;
  let params: ValidateCertificateParams;
  const at = new Date(NOW.getTime() + 10 * DAY_MS);

  before(async () => {
    pki = await makePki();
    const { csrDer } = await makeCsr();
    device = await issueDeviceCertificate({
      issuer: pki.issuing, csrDer, partyType: "merchant", partyId: "m-7", msisdn: "+254711000222", now: NOW, validityDays: 100, ocspUrl: OCSP_URL, crlUrl: CRL_URL,
    });
    params = {
      certificateDer: device.certificateDer,
      trustedRootDer: pki.root.certificateDer,
      intermediatesDer: [pki.issuing.certificateDer],
      now: at,
      requiredKeyUsage: ["digitalSignature", "nonRepudiation"],
      requiredExtendedKeyUsage: ["clientAuth"],
      statusOf: (serial) => (serial === device.serialHex ? "good" : "unknown"),
    };
  });

  const codeOf = (p: ValidateCertificateParams) => {
    const result = validateCertificate(p);
    return result.ok ? "ok" : result.code;
  };
  const reasonOf = (p: ValidateCertificateParams) => {
    const result = validateCertificate(p);
    return result.ok ? "ok" : result.reason;
  };

  it("accepts a live device certificate and returns the identity from its SAN", () => {
    const result = validateCertificate(params);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.partyType, "merchant");
    assert.equal(result.partyId, "m-7");
    assert.equal(result.msisdn, "+254711000222");
    assert.equal(result.serialHex, device.serialHex);
    assert.equal(result.compactId, device.compactId);
    assert.equal(result.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    // without statusOf, without EKU requirement, and with the issuing CA listed twice
    assert.equal(codeOf({ ...params, statusOf: undefined, requiredExtendedKeyUsage: undefined, intermediatesDer: [pki.issuing.certificateDer, pki.issuing.certificateDer] }), "ok");
  });

  it("expired and not yet valid", () => {
    assert.equal(codeOf({ ...params, now: new Date(NOW.getTime() + 101 * DAY_MS) }), "ERR_PKI_EXPIRED");
    assert.equal(codeOf({ ...params, now: new Date(NOW.getTime() - 1000) }), "ERR_PKI_NOT_YET_VALID");
    // exactly at the edges it is valid (RFC 5280 §4.1.2.5: inclusive)
    assert.equal(codeOf({ ...params, now: NOW }), "ok");
    assert.equal(codeOf({ ...params, now: device.notAfter }), "ok");
  });

  it("a certificate issued for later is not yet valid even though its issuer is", async () => {
    const { csrDer } = await makeCsr();
    const later = await issueDeviceCertificate({ issuer: pki.issuing, csrDer, partyType: "user", partyId: "u", now: new Date(NOW.getTime() + 20 * DAY_MS), validityDays: 10, ocspUrl: OCSP_URL, crlUrl: CRL_URL });
    assert.equal(codeOf({ ...params, certificateDer: later.certificateDer, statusOf: undefined }), "ERR_PKI_NOT_YET_VALID");
  });

  it("a foreign root, a missing intermediate, or a forged issuer: ERR_PKI_UNTRUSTED", async () => {
    const other = await makePki();
    assert.equal(codeOf({ ...params, trustedRootDer: other.root.certificateDer }), "ERR_PKI_UNTRUSTED");
    // the foreign root's own issuing CA does not help either
    assert.equal(codeOf({ ...params, trustedRootDer: other.root.certificateDer, intermediatesDer: [pki.issuing.certificateDer, other.issuing.certificateDer] }), "ERR_PKI_UNTRUSTED");
    assert.equal(codeOf({ ...params, intermediatesDer: [] }), "ERR_PKI_UNTRUSTED");
    assert.equal(codeOf({ ...params, intermediatesDer: [other.issuing.certificateDer] }), "ERR_PKI_UNTRUSTED");
    // Same issuer Name as our issuing CA, different key: the signature does not verify.
    const impostor = { certificateDer: pki.issuing.certificateDer, privateKey: p256PrivateKey() };
    const forged = await craft(impostor, p256PrivateKey(), "m-7", [deviceKu(), sanOf("m-7")], NOW);
    assert.equal(codeOf({ ...params, certificateDer: forged, statusOf: undefined, requiredExtendedKeyUsage: undefined }), "ERR_PKI_UNTRUSTED");
  });

  it("revoked, and unknown to the status source", () => {
    assert.equal(codeOf({ ...params, statusOf: () => ({ revokedAt: NOW, reason: "keyCompromise" }) }), "ERR_PKI_REVOKED");
    assert.equal(codeOf({ ...params, statusOf: () => "unknown" }), "ERR_PKI_STATUS_UNKNOWN");
    let asked = "";
    validateCertificate({ ...params, statusOf: (serial) => ((asked = serial), "good") });
    assert.equal(asked, device.serialHex);
  });

  it("wrong key usage: ERR_PKI_KEY_USAGE", async () => {
    assert.equal(codeOf({ ...params, requiredKeyUsage: ["keyEncipherment"] }), "ERR_PKI_KEY_USAGE");
    assert.equal(codeOf({ ...params, requiredExtendedKeyUsage: ["serverAuth"] }), "ERR_PKI_KEY_USAGE");
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey;
    const encryption = await issueServiceCertificate({ issuer: pki.issuing, purpose: "encryption", serviceName: "enc", publicKey: rsa, now: NOW, validityDays: 30 });
    const base = { ...params, certificateDer: encryption.certificateDer, statusOf: undefined, requiredExtendedKeyUsage: undefined };
    assert.equal(codeOf(base), "ERR_PKI_KEY_USAGE");
    const ok = validateCertificate({ ...base, requiredKeyUsage: ["keyEncipherment"] });
    assert.ok(ok.ok && ok.partyType === "service" && ok.partyId === "enc");
    // a CA certificate is no end entity
    assert.equal(codeOf({ ...params, certificateDer: pki.issuing.certificateDer, requiredKeyUsage: [], requiredExtendedKeyUsage: undefined, statusOf: undefined }), "ERR_PKI_KEY_USAGE");
  });

  it("malformed input: ERR_PKI_MALFORMED, never an exception", () => {
    for (const bad of [new Uint8Array(0), Uint8Array.of(0x30, 0x03, 0x02, 0x01), new Uint8Array(50_000), Buffer.concat([device.certificateDer, Uint8Array.of(0)])]) {
      assert.equal(codeOf({ ...params, certificateDer: new Uint8Array(bad) }), "ERR_PKI_MALFORMED");
      assert.equal(codeOf({ ...params, trustedRootDer: new Uint8Array(bad) }), "ERR_PKI_MALFORMED");
      assert.equal(codeOf({ ...params, intermediatesDer: [new Uint8Array(bad)] }), "ERR_PKI_MALFORMED");
    }
    assert.equal(codeOf({ ...params, intermediatesDer: Array(5).fill(pki.issuing.certificateDer) }), "ERR_PKI_MALFORMED");
    assert.throws(() => validateCertificate({ ...params, requiredKeyUsage: ["everything" as never] }), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
    assert.throws(() => validateCertificate({ ...params, certificateDer: "x" as never }), (e) => isPkiError(e, "ERR_PKI_INVALID_INPUT"));
  });

  it("a chained certificate without an Obol identity URI: ERR_PKI_MALFORMED", async () => {
    const plain = await craft(pki.issuing, p256PrivateKey(), "nobody", [deviceKu()]);
    assert.equal(codeOf({ ...params, certificateDer: plain, statusOf: undefined, requiredExtendedKeyUsage: undefined }), "ERR_PKI_MALFORMED");
  });

  it("CA constraints: pathLen 0 exceeded, a non-CA issuer, an unknown critical extension", async () => {
    const subCaKey = p256PrivateKey();
    const subCaDer = await craft(pki.issuing, subCaKey, "sub CA", [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ]);
    const subCa = { certificateDer: subCaDer, privateKey: subCaKey };
    const underSubCa = await craft(subCa, p256PrivateKey(), "x", [deviceKu(), sanOf("x")]);
    const loose = { ...params, statusOf: undefined, requiredExtendedKeyUsage: undefined };
    assert.equal(codeOf({ ...loose, certificateDer: underSubCa, intermediatesDer: [subCaDer, pki.issuing.certificateDer] }), "ERR_PKI_UNTRUSTED");
    assert.match(reasonOf({ ...loose, certificateDer: underSubCa, intermediatesDer: [subCaDer, pki.issuing.certificateDer] }), /pathLenConstraint/);

    const leafKey = p256PrivateKey();
    const leafDer = await craft(pki.issuing, leafKey, "leaf", [new x509.BasicConstraintsExtension(false, undefined, true), deviceKu(), sanOf("leaf")]);
    assert.equal(codeOf({ ...loose, certificateDer: leafDer }), "ok");
    const underLeaf = await craft({ certificateDer: leafDer, privateKey: leafKey }, p256PrivateKey(), "y", [deviceKu(), sanOf("y")]);
    assert.equal(codeOf({ ...loose, certificateDer: underLeaf, intermediatesDer: [leafDer, pki.issuing.certificateDer] }), "ERR_PKI_UNTRUSTED");
    assert.match(reasonOf({ ...loose, certificateDer: underLeaf, intermediatesDer: [leafDer, pki.issuing.certificateDer] }), /not a CA/);

    const critical = await craft(pki.issuing, p256PrivateKey(), "z", [deviceKu(), sanOf("z"), new x509.Extension("1.3.6.1.4.1.99999.1", true, Uint8Array.of(5, 0))]);
    assert.equal(codeOf({ ...loose, certificateDer: critical }), "ERR_PKI_UNTRUSTED");
    assert.match(reasonOf({ ...loose, certificateDer: critical }), /critical extension 1\.3\.6\.1\.4\.1\.99999\.1/);
    const nonCritical = await craft(pki.issuing, p256PrivateKey(), "z", [deviceKu(), sanOf("z"), new x509.Extension("1.3.6.1.4.1.99999.1", false, Uint8Array.of(5, 0))]);
    assert.equal(codeOf({ ...loose, certificateDer: nonCritical }), "ok");
  });
});
