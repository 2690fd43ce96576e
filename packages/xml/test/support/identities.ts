import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A key pair with a self-signed certificate made by openssl (the PKI package issues real ones). */
export interface Identity {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly certificate: X509Certificate;
  readonly keyPem: string;
  readonly certificatePem: string;
}

const cache = new Map<string, Identity>();

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function load(keyPem: string, certificatePem: string): Identity {
  const privateKey = createPrivateKey(keyPem);
  return {
    privateKey,
    publicKey: createPublicKey(privateKey),
    certificate: new X509Certificate(certificatePem),
    keyPem,
    certificatePem,
  };
}

/** A self-signed P-256 or RSA-2048 identity, made once per process and name. */
export function identity(kind: "ec" | "rsa", name: string): Identity {
  const key = `${kind}:${name}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), "obol-xml-id-"));
  try {
    const keyFile = join(dir, "key.pem");
    const certFile = join(dir, "cert.pem");
    const algorithm = kind === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
    openssl(["req", "-x509", ...algorithm, "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "30", "-subj", `/CN=${name}`]);
    const made = load(readFileSync(keyFile, "utf8"), readFileSync(certFile, "utf8"));
    cache.set(key, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An identity whose certificate `issuer` (a self-signed CA identity) signed, valid for `days` from now. */
export function issuedBy(issuer: Identity, kind: "ec" | "rsa", name: string, days = 30): Identity {
  const key = `${kind}:${name}:by:${issuer.certificate.fingerprint256}`;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const dir = mkdtempSync(join(tmpdir(), "obol-xml-id-"));
  try {
    const file = (n: string) => join(dir, n);
    const algorithm = kind === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
    openssl(["req", "-new", ...algorithm, "-nodes", "-keyout", file("key.pem"), "-out", file("req.pem"), "-subj", `/CN=${name}`]);
    writeFileSync(file("ca.pem"), issuer.certificatePem);
    writeFileSync(file("ca-key.pem"), issuer.keyPem);
    openssl([
      "x509", "-req", "-in", file("req.pem"), "-CA", file("ca.pem"), "-CAkey", file("ca-key.pem"),
      "-CAcreateserial", "-out", file("cert.pem"), "-days", String(days), "-sha256",
    ]);
    const made = load(readFileSync(file("key.pem"), "utf8"), readFileSync(file("cert.pem"), "utf8"));
    cache.set(key, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
