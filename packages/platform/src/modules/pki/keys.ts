import { generateKeyPair, generateKeyPairSync, X509Certificate, type KeyObject } from "node:crypto";
import {
  createIssuingCa, createRootCa, isPkiError, issueServiceCertificate, openPrivateKeyAsync, sealPrivateKeyAsync, softwareSigner,
  type CaKeyPair, type SigningCa,
} from "@obol/pki";
import { openPkcs11Signer, type Pkcs11Config, type Pkcs11Signer } from "@obol/pki/pkcs11";
import { sql, type Kysely } from "kysely";
import { ObolError } from "../../errors/obol-error.js";

/**
 * The platform's own keys: a root CA, an online issuing CA, a signing key for responses,
 * receipts and audit checkpoints (P-256), and an encryption key that wallets encrypt to
 * (RSA-2048, for XML-Enc RSA-OAEP key transport). Created once, on first start; stored only
 * sealed under the configured passphrase, except the issuing CA key, which `obol pki hsm-init`
 * can move into a PKCS#11 token (the database then keeps only the key's PKCS#11 URI).
 */
export interface PlatformKeys {
  root: CaKeyPair;
  issuing: SigningCa;
  signing: CaKeyPair;
  encryption: CaKeyPair;
  /** "sealed" (in the database) or the RFC 7512 URI of the issuing CA key in its token. */
  issuingKeyLocation: string;
  /** Ends the token session, if the issuing CA key is in a token. */
  close(): Promise<void>;
}

export const keyNames = ["root_ca", "issuing_ca", "signing", "encryption"] as const;
type KeyName = (typeof keyNames)[number];
/** pg_advisory_xact_lock key, ASCII "obolpkik": two processes starting at once create one set. */
const bootstrapLockKey = 0x6f626f6c706b696bn;
export const validityDays = { root: 7300, issuing: 1825, service: 730 } as const;

interface KeyRow { name: string; sealed_private_key: string | null; token_key_uri: string | null; certificate: Uint8Array }

/**
 * Loads the platform keys, creating them on the first start. With `pkcs11` the issuing CA key must be in that
 * token (refused otherwise, in every mode: configured means used), unless `sealedIssuingKeyAllowed` (the key
 * ceremony itself). An issuing key in a token without `pkcs11` is refused too: nothing could sign.
 */
export async function loadOrCreateKeys(
  db: Kysely<any>, passphrase: string, now: Date, urls: { ocspUrl: string; crlUrl: string }, onCreate?: () => void,
  pkcs11?: Pkcs11Config, sealedIssuingKeyAllowed = false, premade?: Promise<MadeKeys>,
): Promise<PlatformKeys> {
  const select = (runner: Kysely<any>) => sql<KeyRow>`SELECT name, sealed_private_key, token_key_uri, certificate FROM pki_keys`.execute(runner);
  // Keys made now are used as they are; stored ones are opened (scrypt, ~0.1 s each, all at once).
  const created = new Map<string, KeyObject>();
  let rows = (await select(db)).rows;
  // Keys made ahead (a new database surely has none) are only used if the store is still empty.
  const premadeKeys = premade?.catch((error: unknown) => error instanceof Error ? error : new Error(String(error)));
  if (rows.length === 0) {
    if (premade === undefined) onCreate?.();
    // Made and sealed outside the transaction (PGlite runs one transaction at a time, and the other modules'
    // first-start work waits for none of this); inserted under the lock only if nobody was faster.
    const ready = await premadeKeys;
    if (ready instanceof Error) throw ready;
    const made = ready ?? await makeKeys(passphrase, now, urls);
    rows = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${bootstrapLockKey.toString()}::bigint)`.execute(trx);
      const existing = (await select(trx)).rows;
      if (existing.length > 0) return existing;
      for (const key of made) {
        await sql`INSERT INTO pki_keys (name, sealed_private_key, certificate) VALUES (${key.row.name}, ${key.row.sealed_private_key}, ${Buffer.from(key.row.certificate)})`.execute(trx);
        created.set(key.row.name, key.privateKey);
      }
      return made.map((key) => key.row);
    });
  }
  const byName = new Map(rows.map((r) => [r.name, r]));
  const row = (name: KeyName): KeyRow => {
    const found = byName.get(name);
    if (found === undefined) throw new Error(`pki key ${name} is missing: the key store is incomplete`);
    return found;
  };
  const open = async (name: KeyName): Promise<CaKeyPair> => {
    const { sealed_private_key: sealed, certificate } = row(name);
    if (sealed === null) throw new Error(`pki key ${name} has no sealed private key`);
    return { certificateDer: new Uint8Array(certificate), privateKey: created.get(name) ?? await openPrivateKeyAsync(sealed, passphrase) };
  };
  const issuingRow = row("issuing_ca");
  const sealedIssuing = issuingRow.token_key_uri === null;
  const [root, signing, encryption, issuingPair] = await Promise.all([open("root_ca"), open("signing"), open("encryption"), sealedIssuing ? open("issuing_ca") : undefined]);
  const keys = { root, signing, encryption };
  const certificateDer = new Uint8Array(issuingRow.certificate);
  if (issuingRow.token_key_uri === null) {
    if (pkcs11 !== undefined && !sealedIssuingKeyAllowed) {
      throw new ObolError("ERR_CONFIG", "OBOL_PKCS11_MODULE is set but the issuing CA key is still sealed in the database: run `obol pki hsm-init` first (README: key ceremony)");
    }
    return { ...keys, issuing: { certificateDer, signer: softwareSigner(issuingPair!.privateKey) }, issuingKeyLocation: "sealed", close: async () => {} };
  }
  if (pkcs11 === undefined) {
    throw new ObolError("ERR_CONFIG", `the issuing CA key is held in a PKCS#11 token (${issuingRow.token_key_uri}): set OBOL_PKCS11_MODULE, OBOL_PKCS11_TOKEN_LABEL and OBOL_PKCS11_PIN`);
  }
  const signer = await openTokenSigner(pkcs11);
  if (!signer.publicKey.equals(new X509Certificate(certificateDer).publicKey)) {
    await signer.close();
    throw new ObolError("ERR_PKI_PKCS11_KEY", `the key ${signer.uri} is not the one the issuing CA certificate certifies`);
  }
  return { ...keys, issuing: { certificateDer, signer }, issuingKeyLocation: signer.uri, close: () => signer.close() };
}

/** openPkcs11Signer, its PKCS#11 errors as ObolErrors with the same code (the CLI prints those plainly). */
export function openTokenSigner(pkcs11: Pkcs11Config): Promise<Pkcs11Signer> {
  return tokenCall(() => openPkcs11Signer(pkcs11));
}

/** A PKCS#11 call whose ERR_PKI_PKCS11_* errors come out as ObolErrors with the same code. */
export async function tokenCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isPkiError(error) && error.code.startsWith("ERR_PKI_PKCS11_")) throw new ObolError(error.code, error.message);
    throw error;
  }
}

/** The four keys with their certificates, the private keys sealed: made, not yet stored. */
export type MadeKeys = Array<{ row: KeyRow; privateKey: KeyObject }>;

/**
 * Generates the four keys and their certificates, and seals the private keys (the scrypt runs in parallel). A
 * first start calls this before its database is even open (loadOrCreateKeys `premade`).
 */
export async function makeKeys(passphrase: string, now: Date, urls: { ocspUrl: string; crlUrl: string }, onCreate?: () => void): Promise<MadeKeys> {
  onCreate?.();
  const encryptionKey = generateRsaKey(); // RSA-2048 takes the longest: on the thread pool while the rest goes on
  const root = await createRootCa({ subject: { commonName: "Obol Root CA", organization: "Obol" }, now, validityDays: validityDays.root });
  const issuing = await createIssuingCa({ root, subject: { commonName: "Obol Issuing CA 1", organization: "Obol" }, now, validityDays: validityDays.issuing });
  const signingKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
  const signing = await issueServiceCertificate({ issuer: issuing, purpose: "signing", serviceName: "obol-platform-signing", publicKey: signingKey, now, validityDays: validityDays.service, ...urls });
  const encryption = await issueServiceCertificate({ issuer: issuing, purpose: "encryption", serviceName: "obol-platform-encryption", publicKey: await encryptionKey, now, validityDays: validityDays.service, ...urls });
  const pairs: Array<[KeyName, CaKeyPair]> = [
    ["root_ca", root], ["issuing_ca", issuing],
    ["signing", { certificateDer: signing.certificateDer, privateKey: signingKey }],
    ["encryption", { certificateDer: encryption.certificateDer, privateKey: await encryptionKey }],
  ];
  return Promise.all(pairs.map(async ([name, pair]) => ({
    row: { name, sealed_private_key: await sealPrivateKeyAsync(pair.privateKey, passphrase), token_key_uri: null, certificate: pair.certificateDer },
    privateKey: pair.privateKey,
  })));
}

/** An RSA-2048 private key, generated on libuv's thread pool. */
export function generateRsaKey(): Promise<KeyObject> {
  return new Promise((resolve, reject) => {
    generateKeyPair("rsa", { modulusLength: 2048 }, (error, _publicKey, privateKey) => (error === null ? resolve(privateKey) : reject(error)));
  });
}
