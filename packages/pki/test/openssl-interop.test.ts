// Real OpenSSL (CLI, on PATH; CI installs it) against this package, in both directions.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import {
  buildCrl,
  buildOcspRequest,
  buildOcspResponse,
  isPkiError,
  issueDeviceCertificate,
  issueServiceCertificate,
  parseCsr,
  parseOcspRequest,
  verifyOcspResponse,
} from "../src/index.js";
import type { CertificateStatus, IssuedCertificate, OcspRequestInfo } from "../src/index.js";
import { CRL_URL, DAY_MS, OCSP_URL, makePki, pem, run, tempDir } from "./helpers.js";
import type { TestPki } from "./helpers.js";

// Real wall-clock time: openssl checks validity against the system clock.
const now = new Date();
const REVOKED_AT = new Date(now.getTime() - 60_000);

describe("OpenSSL interop", () => {
  const tmp = tempDir();
  let pki: TestPki;
  let live: IssuedCertificate;
  let revoked: IssuedCertificate;
  let paths: Record<string, string>;

  before(async () => {
    pki = await makePki(new Date(now.getTime() - DAY_MS));
    // The device key and CSR come from openssl itself.
    const key = tmp.write("device.key", "");
    let r = await run("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key]);
    assert.equal(r.code, 0, r.stderr);
    r = await run("openssl", ["req", "-new", "-key", key, "-subj", "/CN=ignored/O=Device", "-outform", "DER", "-out", tmp.write("device.csr", "")]);
    assert.equal(r.code, 0, r.stderr);
    const csrDer = new Uint8Array(readFileSync(`${tmp.dir}/device.csr`));
    const base = { issuer: pki.issuing, csrDer, partyType: "user" as const, now, validityDays: 30, ocspUrl: OCSP_URL, crlUrl: CRL_URL };
    live = await issueDeviceCertificate({ ...base, partyId: "u-live", msisdn: "+254700000001" });
    revoked = await issueDeviceCertificate({ ...base, partyId: "u-revoked" });
    const crl = await buildCrl({
      issuer: pki.issuing,
      revoked: [{ serialHex: revoked.serialHex, revokedAt: REVOKED_AT, reason: "keyCompromise" }],
      crlNumber: 7,
      thisUpdate: new Date(now.getTime() - 60_000),
      nextUpdate: new Date(now.getTime() + DAY_MS),
    });
    paths = {
      root: tmp.write("root.pem", pem(pki.root.certificateDer)),
      issuing: tmp.write("issuing.pem", pem(pki.issuing.certificateDer)),
      live: tmp.write("live.pem", pem(live.certificateDer)),
      revoked: tmp.write("revoked.pem", pem(revoked.certificateDer)),
      crl: tmp.write("crl.pem", pem(crl, "X509 CRL")),
      crlDer: tmp.write("crl.der", crl),
    };
  });

  after(() => tmp.remove());

  it("openssl verify -crl_check accepts the live certificate and rejects the revoked one (error 23)", async () => {
    const args = ["verify", "-CAfile", paths.root!, "-untrusted", paths.issuing!, "-crl_check", "-CRLfile", paths.crl!];
    const ok = await run("openssl", [...args, paths.live!]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /live\.pem: OK/);
    const bad = await run("openssl", [...args, paths.revoked!]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /error 23 at 0 depth lookup: certificate revoked/);
  });

  it("openssl crl parses the DER CRL: v2, AKI, CRL number, reason code", async () => {
    const r = await run("openssl", ["crl", "-inform", "DER", "-in", paths.crlDer!, "-noout", "-text"]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Version 2 \(0x1\)/);
    assert.match(r.stdout, /X509v3 Authority Key Identifier/);
    assert.match(r.stdout, /X509v3 CRL Number: *\n *7/);
    assert.match(r.stdout, new RegExp(`Serial Number: ${revoked.serialHex.toUpperCase()}`));
    assert.match(r.stdout, /Key Compromise/);
  });

  it("openssl x509 -text shows the device profile", async () => {
    const r = await run("openssl", ["x509", "-in", paths.live!, "-noout", "-text"]);
    assert.equal(r.code, 0, r.stderr);
    const text = r.stdout;
    assert.match(text, /Subject: CN = u-live\n/);
    assert.match(text, /X509v3 Basic Constraints: critical\n *CA:FALSE/);
    assert.match(text, /X509v3 Key Usage: critical\n *Digital Signature, Non Repudiation\n/);
    assert.match(text, /X509v3 Extended Key Usage: *\n *TLS Web Client Authentication\n/);
    assert.match(text, /X509v3 Subject Alternative Name: *\n *URI:urn:obol:party:user:u-live, URI:tel:\+254700000001\n/);
    assert.match(text, new RegExp(`Authority Information Access: *\\n *OCSP - URI:${OCSP_URL.replace(/[.]/g, "\\.")}`));
    assert.match(text, new RegExp(`X509v3 CRL Distribution Points: *\\n *Full Name:\\n *URI:${CRL_URL.replace(/[.]/g, "\\.")}`));
    assert.match(text, /X509v3 Subject Key Identifier/);
    assert.match(text, /X509v3 Authority Key Identifier/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.doesNotMatch(text, /ignored|Device/); // nothing from the CSR's subject
    const issuing = await run("openssl", ["x509", "-in", paths.issuing!, "-noout", "-ext", "basicConstraints,keyUsage"]);
    assert.match(issuing.stdout, /critical\n *CA:TRUE, pathlen:0/);
    assert.match(issuing.stdout, /Certificate Sign, CRL Sign/);
  });

  it("openssl req CSRs: P-256 accepted; RSA refused with ERR_PKI_CSR_KEY; a broken signature with ERR_PKI_CSR_SIGNATURE", async () => {
    const p256 = new Uint8Array(readFileSync(`${tmp.dir}/device.csr`));
    assert.equal(parseCsr(p256).requestedSubject, "CN=ignored, O=Device");

    const rsaKey = tmp.write("rsa.key", generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }));
    const r = await run("openssl", ["req", "-new", "-key", rsaKey, "-subj", "/CN=rsa", "-outform", "DER", "-out", tmp.write("rsa.csr", "")]);
    assert.equal(r.code, 0, r.stderr);
    const rsaCsr = new Uint8Array(readFileSync(`${tmp.dir}/rsa.csr`));
    assert.throws(() => parseCsr(rsaCsr), (e) => isPkiError(e, "ERR_PKI_CSR_KEY"));
    await assert.rejects(
      issueDeviceCertificate({ issuer: pki.issuing, csrDer: rsaCsr, partyType: "user", partyId: "x", now, validityDays: 1, ocspUrl: OCSP_URL, crlUrl: CRL_URL }),
      (e) => isPkiError(e, "ERR_PKI_CSR_KEY"),
    );

    // Same length, one byte of the signed subject changed ("ignored" -> "ignorEd").
    const tampered = p256.slice();
    const at = Buffer.from(tampered).indexOf("ignored");
    assert.ok(at > 0);
    tampered[at + 5] = "E".charCodeAt(0);
    assert.throws(() => parseCsr(tampered), (e) => isPkiError(e, "ERR_PKI_CSR_SIGNATURE"));
    await assert.rejects(
      issueDeviceCertificate({ issuer: pki.issuing, csrDer: tampered, partyType: "user", partyId: "x", now, validityDays: 1, ocspUrl: OCSP_URL, crlUrl: CRL_URL }),
      (e) => isPkiError(e, "ERR_PKI_CSR_SIGNATURE"),
    );
  });

  describe("openssl ocsp against a node:http responder built on buildOcspResponse", () => {
    let server: ReturnType<typeof createServer>;
    let url: string;
    const seen: OcspRequestInfo[] = [];
    const statusOf = (serialHex: string): CertificateStatus => {
      if (serialHex === live.serialHex) return "good";
      if (serialHex === revoked.serialHex) return { revokedAt: REVOKED_AT, reason: "keyCompromise" };
      return "unknown";
    };

    before(async () => {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", async () => {
          const body = new Uint8Array(Buffer.concat(chunks));
          if (req.method !== "POST" || req.headers["content-type"] !== "application/ocsp-request") {
            res.writeHead(415).end();
            return;
          }
          try {
            seen.push(parseOcspRequest(body));
          } catch {
            // buildOcspResponse answers malformedRequest below
          }
          const answer = await buildOcspResponse({
            issuer: pki.issuing,
            request: body,
            statusOf,
            now: new Date(),
            nextUpdate: new Date(Date.now() + 3_600_000),
          });
          res.writeHead(200, { "content-type": "application/ocsp-response" }).end(answer);
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    after(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    async function ocsp(cert: string, extra: string[] = []) {
      // openssl wants a digest option before -cert
      const r = await run("openssl", ["ocsp", "-issuer", paths.issuing!, ...extra, "-cert", cert, "-url", url, "-CAfile", paths.root!, "-resp_text"]);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      return { text: r.stdout + r.stderr, request: seen.at(-1)! };
    }

    it("live certificate: good, Response verify OK, the nonce echoed", async () => {
      const { text, request } = await ocsp(paths.live!);
      assert.match(text, /live\.pem: good/);
      assert.match(text, /Response verify OK/);
      assert.match(text, /Responder Id: [0-9A-F]{40}/); // byKey
      assert.ok(request.nonce !== undefined && request.nonce.length >= 16);
      assert.equal(request.certIds[0]!.hashAlgorithm, "sha1"); // openssl's default CertID hash
      // openssl checks the nonce itself: a missing one gives "WARNING: no nonce in response", a wrong one fails.
      assert.doesNotMatch(text, /no nonce|nonce verify error/i);
      const nonceHex = Buffer.from(request.nonce).toString("hex").toUpperCase();
      assert.match(text, new RegExp(`OCSP Nonce: *\\n *0410${nonceHex}`));
    });

    it("revoked certificate: revoked, with reason and time", async () => {
      const { text } = await ocsp(paths.revoked!, ["-sha256"]);
      assert.match(text, /revoked\.pem: revoked/);
      assert.match(text, /Reason: keyCompromise/);
      assert.match(text, /Response verify OK/);
      assert.equal(seen.at(-1)!.certIds[0]!.hashAlgorithm, "sha256");
    });

    it("a certificate of another CA: unknown", async () => {
      const other = await makePki(new Date(now.getTime() - DAY_MS));
      const csr = new Uint8Array(readFileSync(`${tmp.dir}/device.csr`));
      const foreign = await issueDeviceCertificate({ issuer: other.issuing, csrDer: csr, partyType: "user", partyId: "f", now, validityDays: 1, ocspUrl: OCSP_URL, crlUrl: CRL_URL });
      const issuerPath = tmp.write("other-issuing.pem", pem(other.issuing.certificateDer));
      // Ask about the foreign cert while naming its real issuer: our responder does not serve that CA.
      const r = await run("openssl", ["ocsp", "-issuer", issuerPath, "-cert", tmp.write("foreign.pem", pem(foreign.certificateDer)), "-url", url, "-CAfile", paths.root!, "-resp_text"]);
      assert.match(r.stdout + r.stderr, /foreign\.pem: unknown/);
    });

    it("garbage gets a malformedRequest response", async () => {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: Buffer.from("not an OCSP request") });
      const der = new Uint8Array(await res.arrayBuffer());
      assert.deepEqual([...der], [0x30, 0x03, 0x0a, 0x01, 0x01]);
      const r = await run("openssl", ["ocsp", "-respin", tmp.write("malformed.der", der), "-resp_text", "-noverify"]);
      assert.match(r.stdout + r.stderr, /malformedrequest/i);
    });

    it("our client against our responder over HTTP", async () => {
      const nonce = crypto.getRandomValues(new Uint8Array(16));
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: buildOcspRequest(revoked.certificateDer, pki.issuing.certificateDer, nonce) });
      const status = verifyOcspResponse(new Uint8Array(await res.arrayBuffer()), { certificateDer: revoked.certificateDer, issuerCertificateDer: pki.issuing.certificateDer, nonce, now: new Date() });
      assert.equal(status.status, "revoked");
      assert.equal(status.reason, "keyCompromise");
      assert.equal(status.revokedAt?.getTime(), Math.floor(REVOKED_AT.getTime() / 1000) * 1000);
    });
  });

  describe("our OCSP client against openssl ocsp -index as the responder", () => {
    async function opensslRespond(request: Uint8Array, signerCert: string, signerKey: string, extra: string[] = []) {
      // index.txt (openssl ca database): status, expiry, revocation[,reason], serial, file, subject
      const index = tmp.write(
        "index.txt",
        `V\t491231235959Z\t\t${live.serialHex.toUpperCase()}\tunknown\t/CN=u-live\n` +
          `R\t491231235959Z\t260101000000Z,keyCompromise\t${revoked.serialHex.toUpperCase()}\tunknown\t/CN=u-revoked\n`,
      );
      const out = `${tmp.dir}/resp-${Math.random().toString(36).slice(2)}.der`;
      const r = await run("openssl", [
        "ocsp", "-index", index, "-CA", paths.issuing!, "-rsigner", signerCert, "-rkey", signerKey,
        "-reqin", tmp.write("req.der", request), "-respout", out, "-ndays", "1", ...extra,
      ]);
      assert.equal(r.code, 0, r.stderr);
      return new Uint8Array(readFileSync(out));
    }

    it("CA-signed responses (responderID byName): good and revoked, nonce checked", async () => {
      const issuingKey = tmp.write("issuing.key", pki.issuing.privateKey.export({ type: "pkcs8", format: "pem" }));
      for (const [cert, expected] of [[live, "good"], [revoked, "revoked"]] as const) {
        const nonce = crypto.getRandomValues(new Uint8Array(16));
        const der = await opensslRespond(buildOcspRequest(cert.certificateDer, pki.issuing.certificateDer, nonce, { hashAlgorithm: "sha1" }), paths.issuing!, issuingKey);
        const result = verifyOcspResponse(der, { certificateDer: cert.certificateDer, issuerCertificateDer: pki.issuing.certificateDer, nonce, now: new Date() });
        assert.equal(result.status, expected);
        // a different nonce: the response is not for our request
        assert.throws(
          () => verifyOcspResponse(der, { certificateDer: cert.certificateDer, issuerCertificateDer: pki.issuing.certificateDer, nonce: new Uint8Array(16), now: new Date() }),
          (e) => isPkiError(e, "ERR_PKI_OCSP_NONCE"),
        );
      }
    });

    it("a delegated responder with id-kp-OCSPSigning (responderID byKey) is accepted; a key that is not delegated is not", async () => {
      const responderKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      const responder = await issueServiceCertificate({ issuer: pki.issuing, purpose: "ocspSigning", serviceName: "ocsp-1", publicKey: responderKey, now, validityDays: 30 });
      const responderCert = tmp.write("responder.pem", pem(responder.certificateDer));
      const responderKeyPath = tmp.write("responder.key", responderKey.export({ type: "pkcs8", format: "pem" }));
      const nonce = crypto.getRandomValues(new Uint8Array(20));
      const request = buildOcspRequest(live.certificateDer, pki.issuing.certificateDer, nonce);
      const der = await opensslRespond(request, responderCert, responderKeyPath, ["-resp_key_id"]);
      const options = { certificateDer: live.certificateDer, issuerCertificateDer: pki.issuing.certificateDer, nonce, now: new Date() };
      assert.equal(verifyOcspResponse(der, options).status, "good");

      // A signing (not ocspSigning) certificate from the same CA must not be able to answer.
      const otherKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
      const notDelegated = await issueServiceCertificate({ issuer: pki.issuing, purpose: "signing", serviceName: "sign-1", publicKey: otherKey, now, validityDays: 30 });
      const forged = await opensslRespond(
        request,
        tmp.write("notdelegated.pem", pem(notDelegated.certificateDer)),
        tmp.write("notdelegated.key", otherKey.export({ type: "pkcs8", format: "pem" })),
        ["-resp_key_id"],
      );
      assert.throws(() => verifyOcspResponse(forged, options), (e) => isPkiError(e, "ERR_PKI_OCSP_SIGNATURE"));
      // ... unless the caller pins it as a trusted responder.
      assert.equal(verifyOcspResponse(forged, { ...options, trustedResponderCertificateDer: notDelegated.certificateDer }).status, "good");
    });
  });
});
