import { generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { createRootCa, issueServiceCertificate, openPrivateKey, sealPrivateKey } from "@obol/pki";
import type { BankDatabase } from "./db.js";

/**
 * The bank's own keys, created on first start and stored only sealed (scrypt + AES-256-GCM under the
 * bank's passphrase): a P-256 CA that certifies the two keys the channel uses, a P-256 signing key
 * (XML-DSig of every answer) and an RSA-2048 encryption key (clients wrap the content keys of
 * confidential parts to it with RSA-OAEP). Clients pin the two service certificates.
 */
export interface BankKeys {
  readonly signing: { readonly privateKey: KeyObject; readonly certificate: X509Certificate };
  readonly encryption: { readonly privateKey: KeyObject; readonly certificate: X509Certificate };
  readonly caCertificate: X509Certificate;
}

const validityDays = { ca: 3650, service: 730 } as const;
const keysLockKey = "7021829337151546732";

export async function loadOrCreateBankKeys(db: BankDatabase, passphrase: string, now: Date): Promise<BankKeys> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(${keysLockKey})`);
    const rows = await tx.query<{ name: string; sealed_private_key: string; certificate: Uint8Array }>("SELECT name, sealed_private_key, certificate FROM bank_keys");
    if (rows.length > 0) {
      const byName = new Map(rows.map((r) => [r.name, r]));
      const open = (name: string) => {
        const row = byName.get(name);
        if (row === undefined) throw new Error(`bank key ${name} is missing: the key store is incomplete`);
        return { privateKey: openPrivateKey(row.sealed_private_key, passphrase), certificate: new X509Certificate(Buffer.from(row.certificate)) };
      };
      return { signing: open("signing"), encryption: open("encryption"), caCertificate: open("ca").certificate };
    }
    const ca = await createRootCa({ subject: { commonName: "Obol Reference Bank CA", organization: "Obol Reference Bank" }, now, validityDays: validityDays.ca });
    const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const encryptionKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const signing = await issueServiceCertificate({ issuer: ca, purpose: "signing", serviceName: "obol-reference-bank-signing", publicKey: signingKey, now, validityDays: validityDays.service });
    const encryption = await issueServiceCertificate({ issuer: ca, purpose: "encryption", serviceName: "obol-reference-bank-encryption", publicKey: encryptionKey, now, validityDays: validityDays.service });
    const entries: Array<[string, KeyObject, Uint8Array]> = [["ca", ca.privateKey, ca.certificateDer], ["signing", signingKey, signing.certificateDer], ["encryption", encryptionKey, encryption.certificateDer]];
    for (const [name, key, der] of entries) {
      await tx.query("INSERT INTO bank_keys (name, sealed_private_key, certificate) VALUES ($1, $2, $3)", [name, sealPrivateKey(key, passphrase), Buffer.from(der)]);
    }
    return {
      signing: { privateKey: signingKey, certificate: new X509Certificate(Buffer.from(signing.certificateDer)) },
      encryption: { privateKey: encryptionKey, certificate: new X509Certificate(Buffer.from(encryption.certificateDer)) },
      caCertificate: new X509Certificate(Buffer.from(ca.certificateDer)),
    };
  });
}

/** The certificates a client pins: signing then encryption, PEM. */
export function bankCertificatesPem(keys: BankKeys): string {
  return keys.signing.certificate.toString() + keys.encryption.certificate.toString();
}

/**
 * Splits a PEM bundle of a channel party (the bank's, or a client's) into its signing certificate
 * (P-256, digitalSignature) and its encryption certificate (RSA, keyEncipherment). Throws unless
 * there is exactly one of each.
 */
export function channelCertificates(pem: string): { signing: X509Certificate; encryption: X509Certificate } {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length !== 2) throw new Error("expected two certificates (signing, encryption)");
  const certificates = blocks.map((block) => new X509Certificate(block));
  const signing = certificates.filter((c) => c.publicKey.asymmetricKeyType === "ec" && c.publicKey.asymmetricKeyDetails?.namedCurve === "prime256v1");
  const encryption = certificates.filter((c) => c.publicKey.asymmetricKeyType === "rsa");
  if (signing.length !== 1 || encryption.length !== 1) throw new Error("expected one P-256 signing and one RSA encryption certificate");
  return { signing: signing[0]!, encryption: encryption[0]! };
}
