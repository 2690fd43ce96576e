import { createHash, randomUUID } from "node:crypto";
import { canonicalJson } from "../../canonical-json.js";
import { idFromBytes, type Id } from "@obol/ledger";
import { sql, type Kysely, type Transaction } from "kysely";
import type { Fence } from "../ledger/index.js";

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

/** How long a claim lasts without renewal, how often the working attempt renews it, how long a twin waits. */
export interface ClaimLimits {
  claimLeaseMs: number;
  claimRenewMs: number;
  /** A request whose key is claimed by a live attempt waits this long for its answer, then gets ERR_IDEMPOTENCY_IN_PROGRESS. */
  twinWaitMsMax: number;
}

export const defaultClaimLimits: ClaimLimits = { claimLeaseMs: 5_000, claimRenewMs: 1_500, twinWaitMsMax: 7_000 };

const pollMsMin = 10;
const pollMsMax = 200;

/**
 * One attempt's hold on a key. It is a ledger Fence: a transfer submitted with it applies only if,
 * inside the batch's transaction, the key is still claimed by this attempt and unanswered.
 */
export class Claim implements Fence {
  readonly holds = holdClaims;
  constructor(readonly scope: string, readonly key: string, readonly token: string) {}
}

/** Locks the rows of the claims that still hold, in (scope, key) order, until the transaction ends. */
async function holdClaims(trx: Transaction<any>, fences: readonly Fence[]): Promise<ReadonlySet<Fence>> {
  const claims = fences as readonly Claim[];
  const rows = (await sql<{ claim: string }>`
    SELECT k.claim::text AS claim FROM idempotency_keys k
    JOIN unnest(${claims.map((c) => c.scope)}::text[], ${claims.map((c) => c.key)}::text[], ${claims.map((c) => c.token)}::uuid[]) AS v(scope, key, claim)
      ON k.scope = v.scope AND k.key = v.key AND k.claim = v.claim
    WHERE k.status_code IS NULL
    ORDER BY k.scope, k.key FOR UPDATE OF k`.execute(trx)).rows;
  const held = new Set(rows.map((r) => r.claim));
  return new Set(claims.filter((c) => held.has(c.token)));
}

export type Begun =
  | { kind: "claimed"; claim: Claim }
  | { kind: "mismatch" }
  | { kind: "stored"; statusCode: number; response: string }
  | { kind: "in_progress" };

/**
 * Stored answers per (caller scope, key), and the claims that make them linearizable: at most one
 * attempt works on a key at a time (it holds the claim), its ledger effect is fenced by the claim,
 * and only the attempt still holding the claim may store the answer. Every other request with the
 * key waits for that answer and replays it. See docs/architecture.md, "Idempotency".
 */
export class IdempotencyService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number, readonly limits: ClaimLimits = defaultClaimLimits) {}

  /**
   * Claims a key for this attempt, or tells what it was used for: another body (mismatch), a stored
   * answer, or a live claim of another attempt that did not answer within twinWaitMsMax.
   */
  async begin(scope: string, key: string, hash: Buffer): Promise<Begun> {
    const deadline = performance.now() + this.limits.twinWaitMsMax;
    for (let pollMs = pollMsMin; ; pollMs = Math.min(pollMs * 2, pollMsMax)) {
      const found = await this.tryClaim(scope, key, hash);
      if (found.kind !== "in_progress" || performance.now() >= deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /**
   * One statement claims the key when it is new, or takes it over when unanswered, of the same body,
   * and its claim has run out (the attempt died or lost the database). The lease is on the
   * database's clock, the one clock all processes share.
   */
  private async tryClaim(scope: string, key: string, hash: Buffer): Promise<Begun> {
    const token = randomUUID();
    const lease = `${this.limits.claimLeaseMs} milliseconds`;
    const claimed = await sql<{ claim: string }>`
      INSERT INTO idempotency_keys AS k (scope, key, request_hash, claim, claimed_until)
      VALUES (${scope}, ${key}, ${hash}, ${token}::uuid, clock_timestamp() + ${lease}::interval)
      ON CONFLICT (scope, key) DO UPDATE SET claim = excluded.claim, claimed_until = excluded.claimed_until
        WHERE k.status_code IS NULL AND k.request_hash = excluded.request_hash
          AND (k.claimed_until IS NULL OR k.claimed_until < clock_timestamp())
      RETURNING k.claim::text AS claim`.execute(this.db);
    if (claimed.rows[0]?.claim === token) return { kind: "claimed", claim: new Claim(scope, key, token) };
    const row = (await sql<{ request_hash: Buffer | Uint8Array; status_code: number | null; response: string | null }>`
      SELECT request_hash, status_code, response FROM idempotency_keys WHERE scope = ${scope} AND key = ${key}`.execute(this.db)).rows[0];
    if (row === undefined) return { kind: "in_progress" }; // purged in between: the next round claims it
    if (!Buffer.from(row.request_hash).equals(hash)) return { kind: "mismatch" };
    if (row.status_code === null || row.response === null) return { kind: "in_progress" };
    return { kind: "stored", statusCode: row.status_code, response: row.response };
  }

  /** Keeps the claim alive while its attempt works; returns the function that stops renewing. */
  keepAlive(claim: Claim, onError: (error: unknown) => void): () => void {
    const lease = `${this.limits.claimLeaseMs} milliseconds`;
    const timer = setInterval(() => {
      sql`UPDATE idempotency_keys SET claimed_until = clock_timestamp() + ${lease}::interval
          WHERE scope = ${claim.scope} AND key = ${claim.key} AND claim = ${claim.token}::uuid AND status_code IS NULL`
        .execute(this.db).catch(onError);
    }, this.limits.claimRenewMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /**
   * Stores the final answer if this attempt still holds the claim. False: another attempt took the
   * key over (this one was presumed dead); its answer is the one, and this attempt must replay it.
   */
  async complete(claim: Claim, statusCode: number, response: string): Promise<boolean> {
    const stored = await sql`UPDATE idempotency_keys SET status_code = ${statusCode}, response = ${response}, completed_at = now(), claimed_until = NULL
              WHERE scope = ${claim.scope} AND key = ${claim.key} AND claim = ${claim.token}::uuid AND status_code IS NULL`.execute(this.db);
    return stored.numAffectedRows === 1n;
  }

  /** Lets the next attempt take the key over at once (this one answered 5xx and stored nothing). */
  async release(claim: Claim): Promise<void> {
    await sql`UPDATE idempotency_keys SET claimed_until = NULL
              WHERE scope = ${claim.scope} AND key = ${claim.key} AND claim = ${claim.token}::uuid AND status_code IS NULL`.execute(this.db);
  }

  async purgeExpired(): Promise<void> {
    await sql`DELETE FROM idempotency_keys WHERE created_at < ${new Date(this.clock() - idempotencyRetentionMs)}`.execute(this.db);
  }
}
