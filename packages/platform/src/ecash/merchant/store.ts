import { randomBytes, scrypt } from "node:crypto";
import { join } from "node:path";
import { aesGcmDecrypt, aesGcmEncrypt, isCryptoError } from "@obol/crypto";
import { merchant, stateChanges, stateFromJson, stateToJson } from "@obol/svs";
import { sql } from "kysely";
import { openDatabase, type Database } from "../../db/database.js";
import { migrate, type Migration } from "../../db/migrations.js";
import { ObolError } from "../../errors/obol-error.js";
import { passphraseCharsMin } from "../sealed-file.js";

type MerchantState = merchant.MerchantState;

/**
 * P's local database (svs-protocol.md §4: s_P, seenR, sessions, spent[SN], records, deposits): embedded PGlite
 * in the merchant's data directory, one row per entry of the @obol/svs MerchantState, every value sealed
 * (AES-256-GCM under a scrypt key of the merchant's passphrase; table and key are the associated data).
 * The whole state is read at open and kept in memory; each change is written in one transaction before the
 * message that depends on it is answered.
 */
const migrations: Migration[] = [{
  module: "merchant_ecash",
  name: "0001_init",
  sql: `
CREATE TABLE merchant_ecash_meta (name text PRIMARY KEY, value text NOT NULL);
CREATE TABLE merchant_ecash_state (
  tbl text NOT NULL CHECK (tbl IN ('credential', 'enrolment', 'seenR', 'sessions', 'tokens', 'deposits')),
  key text NOT NULL,
  sealed bytea NOT NULL,
  PRIMARY KEY (tbl, key)
);`,
}];

const singleFields = new Set(["credential", "enrolment"]);
const ivBytes = 12;

export class MerchantStore {
  private constructor(private readonly database: Database, private readonly key: Buffer, readonly platformUrl: string, private state: MerchantState) {}

  get current(): MerchantState {
    return this.state;
  }

  /** Opens (or, with `create`, makes) the store in `dataDir`; a wrong passphrase is refused. */
  static async open(dataDir: string, passphrase: string, create?: { platformUrl: string }): Promise<MerchantStore> {
    if (passphrase.length < passphraseCharsMin) throw new ObolError("ERR_USAGE", `the merchant passphrase needs at least ${passphraseCharsMin} characters`);
    const database = await openDatabase({ dataDir: join(dataDir, "pglite") });
    try {
      await migrate(database.db, migrations);
      const meta = new Map((await sql<{ name: string; value: string }>`SELECT name, value FROM merchant_ecash_meta`.execute(database.db)).rows.map((r) => [r.name, r.value]));
      if (meta.size === 0) {
        if (create === undefined) throw new ObolError("ERR_ECASH_NO_MERCHANT", `no e-cash merchant in ${dataDir}: run obol merchant ecash register first`);
        const salt = randomBytes(16).toString("base64");
        const key = await deriveKey(passphrase, salt);
        const check = seal(key, "meta", "check", "obol merchant ecash");
        await sql`INSERT INTO merchant_ecash_meta (name, value) VALUES ('kdf_salt', ${salt}), ('platform_url', ${create.platformUrl}), ('check', ${check.toString("base64")})`.execute(database.db);
        return new MerchantStore(database, key, create.platformUrl, merchant.emptyMerchantState());
      }
      const key = await deriveKey(passphrase, meta.get("kdf_salt")!);
      open(key, "meta", "check", Buffer.from(meta.get("check")!, "base64"));
      const state: Record<string, unknown> = { ...merchant.emptyMerchantState() };
      for (const row of (await sql<{ tbl: string; key: string; sealed: Uint8Array }>`SELECT tbl, key, sealed FROM merchant_ecash_state ORDER BY tbl, key`.execute(database.db)).rows) {
        const value = stateFromJson(open(key, row.tbl, row.key, row.sealed));
        if (singleFields.has(row.tbl)) state[row.tbl] = value;
        else state[row.tbl] = { ...(state[row.tbl] as object), [row.key]: value };
      }
      return new MerchantStore(database, key, meta.get("platform_url")!, state as unknown as MerchantState);
    } catch (error) {
      await database.close();
      throw error;
    }
  }

  /** Writes what changed between the current state and `next` in one transaction, then makes `next` current. */
  async commit(next: MerchantState): Promise<void> {
    const changes = stateChanges(this.state, next);
    if (changes.length === 0) return;
    await this.database.db.transaction().execute(async (trx) => {
      for (const change of changes) {
        const key = change.key ?? "";
        if (change.value === null) {
          await sql`DELETE FROM merchant_ecash_state WHERE tbl = ${change.table} AND key = ${key}`.execute(trx);
          continue;
        }
        await sql`INSERT INTO merchant_ecash_state (tbl, key, sealed) VALUES (${change.table}, ${key}, ${seal(this.key, change.table, key, stateToJson(change.value))})
                  ON CONFLICT (tbl, key) DO UPDATE SET sealed = excluded.sealed`.execute(trx);
      }
    });
    this.state = next;
  }

  close(): Promise<void> {
    return this.database.close();
  }
}

function seal(key: Buffer, table: string, rowKey: string, text: string): Buffer {
  const iv = randomBytes(ivBytes);
  return Buffer.concat([iv, aesGcmEncrypt(key, iv, Buffer.from(text, "utf8"), Buffer.from(`${table}/${rowKey}`, "utf8"))]);
}

function open(key: Buffer, table: string, rowKey: string, sealed: Uint8Array): string {
  try {
    return Buffer.from(aesGcmDecrypt(key, sealed.subarray(0, ivBytes), sealed.subarray(ivBytes), Buffer.from(`${table}/${rowKey}`, "utf8"))).toString("utf8");
  } catch (error) {
    if (isCryptoError(error, "ERR_CRYPTO_DECRYPT_FAILED")) throw new ObolError("ERR_ECASH_BAD_PASSPHRASE", "wrong merchant passphrase, or the database was altered");
    throw error;
  }
}

function deriveKey(passphrase: string, salt: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(passphrase.normalize("NFC"), Buffer.from(salt, "base64"), 32, { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 }, (error, key) => (error ? reject(error) : resolve(key)));
  });
}
