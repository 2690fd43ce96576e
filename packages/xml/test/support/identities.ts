import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
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
    execFileSync(
      "openssl",
      ["req", "-x509", ...algorithm, "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "30", "-subj", `/CN=${name}`],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    const keyPem = readFileSync(keyFile, "utf8");
    const certificatePem = readFileSync(certFile, "utf8");
    const privateKey = createPrivateKey(keyPem);
    const made: Identity = {
      privateKey,
      publicKey: createPublicKey(privateKey),
      certificate: new X509Certificate(certificatePem),
      keyPem,
      certificatePem,
    };
    cache.set(key, made);
    return made;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
