import { createECDH, generateKeyPairSync, hkdfSync, type KeyObject } from "node:crypto";
import { openPrivateKeyAsync, sealPrivateKeyAsync } from "@obol/pki";
import type { platform } from "@obol/svs";
import { sql, type Kysely } from "kysely";

/** pg_advisory_xact_lock key, ASCII "obolecsk": two processes starting at once create one seed. */
const bootstrapLockKey = 0x6f626f6c6563736bn;
/** The order n of P-256 (SEC 2 §2.4.2). */
const p256Order = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;

/**
 * N's e-cash secrets (svs-protocol.md §2.1 I2-I3): x_N for the implicit keys and key agreement, and a separate
 * x_N^sig for token signatures. Both come from one secret seed, a P-256 private key made once by node:crypto and
 * stored only sealed under the platform's key passphrase (scrypt + AES-256-GCM, like the PKI keys): one scrypt
 * per start instead of two.
 */
export async function loadOrCreateEcashKeys(db: Kysely<any>, passphrase: string): Promise<platform.PlatformKeys> {
  const stored = async (runner: Kysely<any>) => (await sql<{ sealed_private_key: string }>`SELECT sealed_private_key FROM ecash_keys WHERE name = 'seed'`.execute(runner)).rows[0];
  let row = await stored(db);
  let seed: Uint8Array | undefined;
  if (row === undefined) {
    // Sealed outside the transaction (scrypt on the thread pool, while the other first-start work goes on),
    // inserted under the lock unless another process was faster.
    const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey;
    const sealed = await sealPrivateKeyAsync(key, passphrase);
    row = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${bootstrapLockKey.toString()}::bigint)`.execute(trx);
      const existing = await stored(trx);
      if (existing !== undefined) return existing;
      await sql`INSERT INTO ecash_keys (name, sealed_private_key) VALUES ('seed', ${sealed})`.execute(trx);
      seed = scalarOf(key);
      return { sealed_private_key: sealed };
    });
  }
  seed ??= scalarOf(await openPrivateKeyAsync(row.sealed_private_key, passphrase));
  return { x: deriveScalar(seed, "x_N"), xSig: deriveScalar(seed, "x_N^sig") };
}

/**
 * A scalar in [1, n−1] from the seed: 48 bytes of HKDF-SHA256 (RFC 5869) reduced mod n−1, plus 1. With 128 bits
 * more than n the bias is below 2^-128 (FIPS 186-5 §A.2.1, "extra random bits").
 */
function deriveScalar(seed: Uint8Array, label: string): Uint8Array {
  const wide = Buffer.from(hkdfSync("sha256", seed, new Uint8Array(0), `obol/ecash/${label}`, 48));
  const scalar = (BigInt(`0x${wide.toString("hex")}`) % (p256Order - 1n)) + 1n;
  return new Uint8Array(Buffer.from(scalar.toString(16).padStart(64, "0"), "hex"));
}

/** The private scalar d of a P-256 key, 32 bytes big-endian (RFC 7518 §6.2.2.1). */
function scalarOf(key: KeyObject): Uint8Array {
  const d = key.export({ format: "jwk" }).d;
  if (d === undefined) throw new Error("not an EC private key");
  const bytes = Buffer.from(d, "base64url");
  if (bytes.length !== 32) throw new Error("not a P-256 private key");
  return new Uint8Array(bytes);
}

/** Q = d·G in SEC1 compressed form (§2.0 enc()); node:crypto's ECDH derives it from the scalar. */
export function compressedPublicKey(scalar: Uint8Array): Uint8Array {
  const ecdh = createECDH("prime256v1");
  ecdh.setPrivateKey(scalar);
  return new Uint8Array(ecdh.getPublicKey(null, "compressed"));
}
