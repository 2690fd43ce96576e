import { createHash, randomInt, randomUUID, timingSafeEqual } from "node:crypto";
import { sql, type Kysely } from "kysely";

/**
 * Enrolment codes (the RA's out-of-band secret): 12 characters of Crockford base32 (60 bits),
 * shown to the user through another channel (the operator's CLI now, SMS later). Single use,
 * short-lived, and a few wrong tries burn the code: with 5 tries a guess succeeds with
 * probability 5/2^60. Stored as SHA-256 digests only.
 */
export const enrolmentCodeTtlMs = 15 * 60_000;
export const enrolmentAttemptsMax = 5;
const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const codeChars = 12;

export type PartyType = "user" | "merchant" | "operator";
export type CodeCheck = { ok: true } | { ok: false; code: "ERR_ENROLMENT_CODE_INVALID" | "ERR_ENROLMENT_CODE_EXPIRED" | "ERR_ENROLMENT_CODE_LOCKED" };

/** Human-friendly form: upper case, no separators; Crockford's aliases (O→0, I/L→1) accepted. */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, "").replace(/O/g, "0").replace(/[IL]/g, "1");
}

function digest(code: string): Buffer {
  return createHash("sha256").update(`obol/enrolment/v1\n${code}`).digest();
}

export class EnrolmentCodes {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number) {}

  /** A new code for a party; earlier unused codes of that party stop working. */
  async issue(partyType: PartyType, partyId: string): Promise<{ code: string; expiresAt: Date }> {
    const code = Array.from({ length: codeChars }, () => alphabet[randomInt(alphabet.length)]).join("");
    const expiresAt = new Date(this.clock() + enrolmentCodeTtlMs);
    await this.db.transaction().execute(async (trx) => {
      await sql`UPDATE pki_enrolment_codes SET used_at = ${new Date(this.clock())} WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid AND used_at IS NULL`.execute(trx);
      await sql`INSERT INTO pki_enrolment_codes (id, party_type, party_id, code_hash, expires_at)
                VALUES (${randomUUID()}::uuid, ${partyType}, ${partyId}::uuid, ${digest(code)}, ${expiresAt})`.execute(trx);
    });
    return { code: `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8)}`, expiresAt };
  }

  /** Checks and, when right, consumes the party's current code. Every wrong try counts. */
  async consume(partyType: PartyType, partyId: string, given: string, executor: Kysely<any> = this.db): Promise<CodeCheck> {
    const rows = (await sql<{ id: string; code_hash: Uint8Array; expires_at: Date; attempts: number }>`
      SELECT id, code_hash, expires_at, attempts FROM pki_enrolment_codes
      WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid AND used_at IS NULL
      ORDER BY created_at DESC LIMIT 1 FOR UPDATE`.execute(executor)).rows;
    const current = rows[0];
    if (current === undefined) return { ok: false, code: "ERR_ENROLMENT_CODE_INVALID" };
    if (current.attempts >= enrolmentAttemptsMax) return { ok: false, code: "ERR_ENROLMENT_CODE_LOCKED" };
    if (new Date(current.expires_at).getTime() <= this.clock()) return { ok: false, code: "ERR_ENROLMENT_CODE_EXPIRED" };
    const normalized = normalizeCode(given);
    const matches = /^[0-9A-Z]{12}$/.test(normalized) && timingSafeEqual(digest(normalized), Buffer.from(current.code_hash));
    if (!matches) {
      await sql`UPDATE pki_enrolment_codes SET attempts = attempts + 1 WHERE id = ${current.id}::uuid`.execute(executor);
      return { ok: false, code: current.attempts + 1 >= enrolmentAttemptsMax ? "ERR_ENROLMENT_CODE_LOCKED" : "ERR_ENROLMENT_CODE_INVALID" };
    }
    await sql`UPDATE pki_enrolment_codes SET used_at = ${new Date(this.clock())} WHERE id = ${current.id}::uuid`.execute(executor);
    return { ok: true };
  }
}
