import { createHmac, hkdfSync, randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { sql, type Kysely } from "kysely";

/**
 * The platform's session-key key-encryption key: scrypt (N = 2^15, r = 8, p = 1, the cost the PKI uses to
 * seal its keys) of the key passphrase with a random salt kept in the database, then HKDF-SHA256 (RFC 5869)
 * to a 256-bit key. Only the salt and a check value (HMAC of a constant under the KEK) are stored, so the
 * database alone never yields a session key, and a wrong passphrase is refused at start rather than
 * showing up later as unreadable keys.
 */
const scryptOptions = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
const checkLabel = "obol session-key KEK check v1";

async function derive(passphrase: string, salt: Uint8Array): Promise<Uint8Array> {
  // On libuv's thread pool: the other first-start key work runs meanwhile.
  const stretched = await new Promise<Buffer>((resolve, reject) => {
    scrypt(passphrase.normalize("NFC"), salt, 32, scryptOptions, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
  try {
    return new Uint8Array(hkdfSync("sha256", stretched, salt, "obol session-key KEK v1", 32));
  } finally {
    stretched.fill(0);
  }
}

function checkValue(kek: Uint8Array): Buffer {
  return createHmac("sha256", kek).update(checkLabel).digest();
}

export async function loadOrCreateSessionKek(db: Kysely<any>, passphrase: string): Promise<Uint8Array> {
  // The first process to start writes the salt; a process starting at the same moment loses the insert and
  // derives from the row that won, so every process holds the same KEK.
  const stored = async () => (await sql<{ salt: Uint8Array; check_value: Uint8Array }>`SELECT salt, check_value FROM session_key_kek WHERE id = 1`.execute(db)).rows[0];
  let row = await stored();
  let derived: { salt: Buffer; kek: Uint8Array } | undefined;
  if (row === undefined) {
    const salt = randomBytes(16);
    derived = { salt, kek: await derive(passphrase, salt) };
    await sql`INSERT INTO session_key_kek (id, salt, check_value) VALUES (1, ${salt}, ${checkValue(derived.kek)}) ON CONFLICT (id) DO NOTHING`.execute(db);
    row = await stored();
    if (row === undefined) throw new Error("session_key_kek has no row after insert");
  }
  // The KEK just derived serves when its salt is the one stored (another process may have won the insert).
  const kek = derived !== undefined && derived.salt.equals(Buffer.from(row.salt)) ? derived.kek : await derive(passphrase, new Uint8Array(row.salt));
  if (!timingSafeEqual(checkValue(kek), Buffer.from(row.check_value))) {
    throw new Error("the key passphrase does not open the session-key KEK (was OBOL_KEY_PASSPHRASE changed?)");
  }
  return kek;
}
