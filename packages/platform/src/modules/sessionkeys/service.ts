import { randomBytes } from "node:crypto";
import { aesGcmDecrypt, aesGcmEncrypt } from "@obol/crypto";
import { sql, type Kysely } from "kysely";

/** How long a session key lives (the device asks for a new one when it expires). */
export const sessionKeyLifetimeMs = 24 * 60 * 60_000;
/** Live keys per device certificate: the new one and the one before it, so messages already on their way
 * when the device rotates still decrypt. Issuing more retires the oldest. */
export const sessionKeysPerDeviceMax = 2;
/** Expired keys are deleted this long after expiry (answers to them are no longer possible anyway). */
export const sessionKeyRetentionMs = 7 * 24 * 60 * 60_000;

const keyBytes = 32;
const ivBytes = 12;

export type SessionKeyRefusal = "ERR_SESSION_KEY_UNKNOWN" | "ERR_SESSION_KEY_EXPIRED" | "ERR_SESSION_KEY_FOREIGN";

export type ResolvedSessionKey = { ok: true; name: string; key: Uint8Array; expiresAt: Date } | { ok: false; code: SessionKeyRefusal };

export interface IssuedSessionKey {
  name: string;
  key: Uint8Array;
  expiresAt: Date;
}

/** Associated data of a wrapped key: a wrapped key moved to another row (device, name, expiry) fails to open. */
function associatedData(name: string, certificateSerial: string, expiresAt: Date): Uint8Array {
  return new TextEncoder().encode(`obol-session-key|v1|${name}|${certificateSerial}|${expiresAt.getTime()}`);
}

/**
 * Issues, keeps (wrapped) and resolves named session keys. A key belongs to the device certificate that asked
 * for it; only messages signed with that certificate may use it (ERR_SESSION_KEY_FOREIGN otherwise).
 */
export class SessionKeyService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number, private readonly kek: Uint8Array) {}

  async issue(certificateSerial: string): Promise<IssuedSessionKey> {
    const now = this.clock();
    const name = `sk-${randomBytes(16).toString("base64url")}`;
    const key = new Uint8Array(randomBytes(keyBytes));
    const expiresAt = new Date(now + sessionKeyLifetimeMs);
    const iv = new Uint8Array(randomBytes(ivBytes));
    const wrapped = Buffer.concat([iv, aesGcmEncrypt(this.kek, iv, key, associatedData(name, certificateSerial, expiresAt))]);
    await this.db.transaction().execute(async (trx) => {
      // Serializes issues for one device, so two at once cannot both keep the limit.
      await sql`SELECT pg_advisory_xact_lock(hashtext(${`sessionkeys:${certificateSerial}`}))`.execute(trx);
      await sql`INSERT INTO session_keys (name, certificate_serial, wrapped_key, created_at, expires_at)
                VALUES (${name}, ${certificateSerial}, ${wrapped}, ${new Date(now)}, ${expiresAt})`.execute(trx);
      await sql`UPDATE session_keys SET retired_at = ${new Date(now)}
                WHERE certificate_serial = ${certificateSerial} AND retired_at IS NULL AND name NOT IN (
                  SELECT name FROM session_keys WHERE certificate_serial = ${certificateSerial} AND retired_at IS NULL
                  ORDER BY seq DESC LIMIT ${sessionKeysPerDeviceMax})`.execute(trx);
    });
    return { name, key, expiresAt };
  }

  /** The key named `name` if it belongs to `certificateSerial` and is neither expired nor retired. */
  async resolve(name: string, certificateSerial: string): Promise<ResolvedSessionKey> {
    if (!/^sk-[A-Za-z0-9_-]{22}$/.test(name)) return { ok: false, code: "ERR_SESSION_KEY_UNKNOWN" };
    const row = (await sql<{ certificate_serial: string; wrapped_key: Uint8Array; expires_at: Date; retired_at: Date | null }>`
      SELECT certificate_serial, wrapped_key, expires_at, retired_at FROM session_keys WHERE name = ${name}`.execute(this.db)).rows[0];
    if (row === undefined) return { ok: false, code: "ERR_SESSION_KEY_UNKNOWN" };
    if (row.certificate_serial !== certificateSerial) return { ok: false, code: "ERR_SESSION_KEY_FOREIGN" };
    const expiresAt = new Date(row.expires_at);
    if (row.retired_at !== null || expiresAt.getTime() <= this.clock()) return { ok: false, code: "ERR_SESSION_KEY_EXPIRED" };
    const wrapped = new Uint8Array(row.wrapped_key);
    // A row that does not open under the KEK was not written by this platform: an invariant, not input.
    const key = aesGcmDecrypt(this.kek, wrapped.subarray(0, ivBytes), wrapped.subarray(ivBytes), associatedData(name, certificateSerial, expiresAt));
    return { ok: true, name, key, expiresAt };
  }

  async purgeExpired(): Promise<void> {
    await sql`DELETE FROM session_keys WHERE expires_at <= ${new Date(this.clock() - sessionKeyRetentionMs)}`.execute(this.db);
  }
}
