// Legacy RSA devices (issue 3: "RSA-SHA256 only when configured for legacy devices"): RSA CSRs are refused
// unless the caller allows them, and then only RSA 2048-4096 with e >= 65537 signed with sha256WithRSAEncryption.
// The signature algorithm must follow the key type both ways. CSRs come from openssl req and from createCsr.
import assert from "node:assert/strict";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { PkiError, createCsr, isPkiError, issueDeviceCertificate, parseCsr, validateCertificate } from "../src/index.js";
import type { PkiErrorCode } from "../src/index.js";
import { TAG_SEQUENCE, children, encodeNull, encodeOid, encodeSequence, readSingle, whole } from "../src/internal/der.js";
import { CRL_URL, DAY_MS, OCSP_URL, makeCsr, makePki, pem, run, tempDir } from "./helpers.js";
import type { TestPki } from "./helpers.js";

const now = new Date();
const code = (c: PkiErrorCode) => (e: unknown) => isPkiError(e, c);
const rsaPem = (bits: number, publicExponent = 65537) =>
  generateKeyPairSync("rsa", { modulusLength: bits, publicExponent }).privateKey.export({ type: "pkcs8", format: "pem" }) as string;

/** The CSR with its outer signatureAlgorithm replaced (info and signature bytes unchanged). */
function withSignatureAlgorithm(csr: Uint8Array, oid: string, nullParameters: boolean): Uint8Array {
  const [info, , signature] = children(csr, readSingle(csr, TAG_SEQUENCE));
  const algorithm = nullParameters ? encodeSequence(encodeOid(oid), encodeNull()) : encodeSequence(encodeOid(oid));
  return encodeSequence(whole(csr, info!), algorithm, whole(csr, signature!));
}

describe("legacy RSA device keys", () => {
  const tmp = tempDir();
  let pki: TestPki;
  let opensslRsaCsr: Uint8Array;

  before(async () => {
    pki = await makePki(new Date(now.getTime() - DAY_MS));
    const r = await run("openssl", ["req", "-new", "-key", tmp.write("rsa.key", rsaPem(2048)), "-subj", "/CN=legacy", "-sha256", "-outform", "DER", "-out", tmp.write("rsa.csr", "")]);
    assert.equal(r.code, 0, r.stderr);
    opensslRsaCsr = new Uint8Array(readFileSync(`${tmp.dir}/rsa.csr`));
  });
  after(() => tmp.remove());

  it("refused by default (ERR_PKI_CSR_KEY), accepted with allowRsa; the certificate validates and openssl verifies it", async () => {
    assert.throws(() => parseCsr(opensslRsaCsr), code("ERR_PKI_CSR_KEY"));
    assert.equal(parseCsr(opensslRsaCsr, { allowRsa: true }).publicKey.asymmetricKeyType, "rsa");
    const base = { issuer: pki.issuing, csrDer: opensslRsaCsr, partyType: "user" as const, partyId: "legacy-1", now, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    await assert.rejects(issueDeviceCertificate(base), code("ERR_PKI_CSR_KEY"));
    const issued = await issueDeviceCertificate({ ...base, allowRsa: true });
    const certificate = new X509Certificate(issued.certificateDer);
    assert.equal(certificate.publicKey.asymmetricKeyType, "rsa");
    assert.equal(certificate.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
    const result = validateCertificate({ certificateDer: issued.certificateDer, trustedRootDer: pki.root.certificateDer, intermediatesDer: [pki.issuing.certificateDer], now, requiredKeyUsage: ["digitalSignature", "nonRepudiation"], requiredExtendedKeyUsage: ["clientAuth"] });
    assert.equal(result.ok, true);
    const verified = await run("openssl", ["verify", "-CAfile", tmp.write("root.pem", pem(pki.root.certificateDer)), "-untrusted", tmp.write("issuing.pem", pem(pki.issuing.certificateDer)), tmp.write("legacy.pem", pem(issued.certificateDer))]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });

  it("createCsr makes RSA requests too (sha256WithRSAEncryption)", async () => {
    const key = generateKeyPairSync("rsa", { modulusLength: 3072 }).privateKey;
    const parsed = parseCsr(await createCsr(key, "legacy-phone"), { allowRsa: true });
    assert.equal(parsed.publicKey.asymmetricKeyDetails?.modulusLength, 3072);
    await assert.rejects(createCsr(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey, "x"), code("ERR_PKI_INVALID_INPUT"));
  });

  it("key sizes outside 2048-4096 and small or even exponents are ERR_PKI_CSR_KEY", async () => {
    for (const [bits, exponent] of [[1024, 65537], [4160, 65537], [2048, 3]] as const) {
      const r = await run("openssl", ["req", "-new", "-key", tmp.write("k.key", rsaPem(bits, exponent)), "-subj", "/CN=x", "-sha256", "-outform", "DER", "-out", tmp.write("k.csr", "")]);
      assert.equal(r.code, 0, r.stderr);
      assert.throws(() => parseCsr(new Uint8Array(readFileSync(`${tmp.dir}/k.csr`)), { allowRsa: true }), code("ERR_PKI_CSR_KEY"), `${bits} bits, e = ${exponent}`);
    }
  });

  it("the signature algorithm follows the key: SHA-1, ECDSA on an RSA key, RSA on an EC key are refused", async () => {
    const r = await run("openssl", ["req", "-new", "-key", `${tmp.dir}/rsa.key`, "-subj", "/CN=x", "-sha1", "-outform", "DER", "-out", tmp.write("sha1.csr", "")]);
    assert.equal(r.code, 0, r.stderr);
    assert.throws(() => parseCsr(new Uint8Array(readFileSync(`${tmp.dir}/sha1.csr`)), { allowRsa: true }), code("ERR_PKI_CSR_MALFORMED"));
    assert.throws(() => parseCsr(withSignatureAlgorithm(opensslRsaCsr, "1.2.840.10045.4.3.2", false), { allowRsa: true }), code("ERR_PKI_CSR_MALFORMED"));
    const ec = (await makeCsr()).csrDer;
    assert.throws(() => parseCsr(withSignatureAlgorithm(ec, "1.2.840.113549.1.1.11", true), { allowRsa: true }), code("ERR_PKI_CSR_MALFORMED"));
    // untouched, both still parse: the refusals above come from the algorithm alone
    assert.equal(withSignatureAlgorithm(opensslRsaCsr, "1.2.840.113549.1.1.11", true).length, opensslRsaCsr.length);
    parseCsr(withSignatureAlgorithm(opensslRsaCsr, "1.2.840.113549.1.1.11", true), { allowRsa: true });
    parseCsr(withSignatureAlgorithm(ec, "1.2.840.10045.4.3.2", false), { allowRsa: true });
  });

  it("hostile bytes: every single-byte corruption of an RSA CSR is refused with a CSR code or still valid", () => {
    const codes: PkiErrorCode[] = ["ERR_PKI_CSR_MALFORMED", "ERR_PKI_CSR_SIGNATURE", "ERR_PKI_CSR_KEY"];
    fc.assert(fc.property(fc.nat({ max: opensslRsaCsr.length - 1 }), fc.integer({ min: 1, max: 255 }), (index, xor) => {
      const bytes = opensslRsaCsr.slice();
      bytes[index]! ^= xor;
      try {
        parseCsr(bytes, { allowRsa: true });
      } catch (error) {
        assert.ok(error instanceof PkiError && codes.includes(error.code), String(error));
      }
    }), { seed: 20_261_121, numRuns: 300 });
  });
});
