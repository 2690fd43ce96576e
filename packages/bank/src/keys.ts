import { generateKeyPair, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import { createRootCa, issueServiceCertificate, openPrivateKeyAsync, sealPrivateKeyAsync } from "@obol/pki";
import type { BankDatabase, Sql } from "./db.js";

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
  const select = (runner: Sql) => runner.query<KeyRow>("SELECT name, sealed_private_key, certificate FROM bank_keys");
  let rows = await select(db);
  const created = new Map<string, KeyObject>();
  if (rows.length === 0) {
    // Made and sealed outside the transaction (all scrypt runs at once, on libuv's thread pool); inserted under
    // the lock only if no other process was faster, else its keys are used.
    const made = await makeBankKeys(passphrase, now);
    rows = await db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(${keysLockKey})`);
      const existing = await select(tx);
      if (existing.length > 0) return existing;
      for (const key of made) {
        await tx.query("INSERT INTO bank_keys (name, sealed_private_key, certificate) VALUES ($1, $2, $3)", [key.row.name, key.row.sealed_private_key, Buffer.from(key.row.certificate)]);
        created.set(key.row.name, key.privateKey);
      }
      return made.map((key) => key.row);
    });
  }
  const byName = new Map(rows.map((r) => [r.name, r]));
  const open = async (name: string, needPrivateKey = true) => {
    const row = byName.get(name);
    if (row === undefined) throw new Error(`bank key ${name} is missing: the key store is incomplete`);
    const certificate = new X509Certificate(Buffer.from(row.certificate));
    return { privateKey: needPrivateKey ? created.get(name) ?? await openPrivateKeyAsync(row.sealed_private_key, passphrase) : undefined, certificate };
  };
  const [signing, encryption, ca] = await Promise.all([open("signing"), open("encryption"), open("ca", false)]);
  return {
    signing: { privateKey: signing.privateKey!, certificate: signing.certificate },
    encryption: { privateKey: encryption.privateKey!, certificate: encryption.certificate },
    caCertificate: ca.certificate,
  };
}

interface KeyRow { name: string; sealed_private_key: string; certificate: Uint8Array }

async function makeBankKeys(passphrase: string, now: Date): Promise<Array<{ row: KeyRow; privateKey: KeyObject }>> {
  const encryptionKey = new Promise<KeyObject>((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048 }, (error, _publicKey, privateKey) => (error === null ? resolve(privateKey) : reject(error)));
  });
  const ca = await createRootCa({ subject: { commonName: "Obol Reference Bank CA", organization: "Obol Reference Bank" }, now, validityDays: validityDays.ca });
  const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const signing = await issueServiceCertificate({ issuer: ca, purpose: "signing", serviceName: "obol-reference-bank-signing", publicKey: signingKey, now, validityDays: validityDays.service });
  const encryption = await issueServiceCertificate({ issuer: ca, purpose: "encryption", serviceName: "obol-reference-bank-encryption", publicKey: await encryptionKey, now, validityDays: validityDays.service });
  const entries: Array<[string, KeyObject, Uint8Array]> = [["ca", ca.privateKey, ca.certificateDer], ["signing", signingKey, signing.certificateDer], ["encryption", await encryptionKey, encryption.certificateDer]];
  return Promise.all(entries.map(async ([name, privateKey, certificate]) => ({
    row: { name, sealed_private_key: await sealPrivateKeyAsync(privateKey, passphrase), certificate }, privateKey,
  })));
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
