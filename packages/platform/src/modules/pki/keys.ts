import { generateKeyPairSync } from "node:crypto";
import { createIssuingCa, createRootCa, issueServiceCertificate, openPrivateKey, sealPrivateKey, type CaKeyPair } from "@obol/pki";
import { sql, type Kysely } from "kysely";

/**
 * The platform's own keys: a root CA, an online issuing CA, a signing key for responses,
 * receipts and audit checkpoints (P-256), and an encryption key that wallets encrypt to
 * (RSA-2048, for XML-Enc RSA-OAEP key transport). Created once, on first start; stored only
 * sealed under the configured passphrase.
 */
export interface PlatformKeys {
  root: CaKeyPair;
  issuing: CaKeyPair;
  signing: CaKeyPair;
  encryption: CaKeyPair;
}

const keyNames = ["root_ca", "issuing_ca", "signing", "encryption"] as const;
/** pg_advisory_xact_lock key, ASCII "obolpkik": two processes starting at once create one set. */
const bootstrapLockKey = 0x6f626f6c706b696bn;
const validityDays = { root: 7300, issuing: 1825, service: 730 } as const;

export async function loadOrCreateKeys(db: Kysely<any>, passphrase: string, now: Date, urls: { ocspUrl: string; crlUrl: string }, onCreate?: () => void): Promise<PlatformKeys> {
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${bootstrapLockKey.toString()}::bigint)`.execute(trx);
    const rows = (await sql<{ name: string; sealed_private_key: string; certificate: Uint8Array }>`
      SELECT name, sealed_private_key, certificate FROM pki_keys`.execute(trx)).rows;
    if (rows.length > 0) {
      const byName = new Map(rows.map((r) => [r.name, r]));
      const open = (name: (typeof keyNames)[number]): CaKeyPair => {
        const row = byName.get(name);
        if (row === undefined) throw new Error(`pki key ${name} is missing: the key store is incomplete`);
        return { certificateDer: new Uint8Array(row.certificate), privateKey: openPrivateKey(row.sealed_private_key, passphrase) };
      };
      return { root: open("root_ca"), issuing: open("issuing_ca"), signing: open("signing"), encryption: open("encryption") };
    }
    onCreate?.();
    const root = await createRootCa({ subject: { commonName: "Obol Root CA", organization: "Obol" }, now, validityDays: validityDays.root });
    const issuing = await createIssuingCa({ root, subject: { commonName: "Obol Issuing CA 1", organization: "Obol" }, now, validityDays: validityDays.issuing });
    const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const encryptionKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const signing = await issueServiceCertificate({ issuer: issuing, purpose: "signing", serviceName: "obol-platform-signing", publicKey: signingKey, now, validityDays: validityDays.service, ...urls });
    const encryption = await issueServiceCertificate({ issuer: issuing, purpose: "encryption", serviceName: "obol-platform-encryption", publicKey: encryptionKey, now, validityDays: validityDays.service, ...urls });
    const keys: PlatformKeys = {
      root, issuing,
      signing: { certificateDer: signing.certificateDer, privateKey: signingKey },
      encryption: { certificateDer: encryption.certificateDer, privateKey: encryptionKey },
    };
    for (const [name, pair] of [["root_ca", keys.root], ["issuing_ca", keys.issuing], ["signing", keys.signing], ["encryption", keys.encryption]] as const) {
      await sql`INSERT INTO pki_keys (name, sealed_private_key, certificate) VALUES (${name}, ${sealPrivateKey(pair.privateKey, passphrase)}, ${Buffer.from(pair.certificateDer)})`.execute(trx);
    }
    return keys;
  });
}
