import { createHash } from "node:crypto";
import { canonicalJson } from "../../canonical-json.js";
import { idFromBytes, type Id } from "@obol/ledger";
import { sql, type Kysely } from "kysely";

/** Keys are kept at least this long (the API promises 24 h). */
export const idempotencyRetentionMs = 48 * 60 * 60_000;
const keyPattern = /^[\x21-\x7e]{8,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return keyPattern.test(key);
}

export function requestHash(operation: string, body: unknown): Buffer {
  return createHash("sha256").update(operation).update("\n").update(canonicalJson(body)).digest();
}

/**
 * The ledger transfer id for a request: derived from the caller's scope and key, so a retry after
 * a crash submits the very same transfer and the ledger answers "exists" instead of paying twice.
 */
export function transferIdFor(scope: string, key: string, leg = 0): Id {
  const bytes = createHash("sha256").update(`obol/transfer/v1\n${scope}\n${key}\n${leg}`).digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // RFC 9562 §5.8: version 8 (custom), variant 10
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return idFromBytes(bytes);
}

export type Replay = { kind: "new" } | { kind: "mismatch" } | { kind: "stored"; statusCode: number; response: string };

export class IdempotencyService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number) {}

  /** Claims a key for a request, or tells what it was used for before. */
  async begin(scope: string, key: string, hash: Buffer): Promise<Replay> {
    const claimed = await sql`INSERT INTO idempotency_keys (scope, key, request_hash) VALUES (${scope}, ${key}, ${hash})
                              ON CONFLICT DO NOTHING RETURNING 1 AS claimed`.execute(this.db);
    if (claimed.rows.length === 1) return { kind: "new" };
    const row = (await sql<{ request_hash: Buffer | Uint8Array; status_code: number | null; response: string | null }>`
      SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = ${scope} AND key = ${key}`.execute(this.db)).rows[0];
    if (row === undefined) throw new Error("idempotency row vanished after insert");
    if (!Buffer.from(row.request_hash).equals(hash)) return { kind: "mismatch" };
    if (row.status_code === null || row.response === null) return { kind: "new" };
    return { kind: "stored", statusCode: row.status_code, response: row.response };
  }

  /** Stores the final answer. The first completion wins; a concurrent twin computed the same one. */
  async complete(scope: string, key: string, statusCode: number, response: string): Promise<void> {
    await sql`UPDATE idempotency_keys SET status_code = ${statusCode}, response = ${response}, completed_at = now()
              WHERE scope = ${scope} AND key = ${key} AND status_code IS NULL`.execute(this.db);
  }

  async purgeExpired(): Promise<void> {
    await sql`DELETE FROM idempotency_keys WHERE created_at < ${new Date(this.clock() - idempotencyRetentionMs)}`.execute(this.db);
  }
}
