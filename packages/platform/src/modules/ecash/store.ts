import { createHash } from "node:crypto";
import { platform, stateFromJson, stateToJson, type StateChange } from "@obol/svs";
import { sql, type Kysely, type Transaction } from "kysely";
import type { EntrySealer } from "./sealed-entries.js";

type PlatformState = platform.PlatformState;
type PlatformToken = platform.PlatformToken;
type PlatformDeposit = platform.PlatformDeposit;
type RegistryEntry = platform.RegistryEntry;

/** Largest number of open tokens one D1 may load (their SNs are only known after decryption). */
export const openTokensPerPayeeMax = 10_000;

/**
 * The SQL side of N's state: loads the entries a message needs (platform.stateKeysFor) with row locks into a
 * partial PlatformState, and writes back exactly what the handler changed (stateChanges), inside the caller's
 * transaction.
 */
export class EcashStore {
  constructor(private readonly sealer: EntrySealer) {}

  /**
   * Serialises the requests of one identity, SN or dep_id across processes, for the rows that do not exist yet
   * (a first registration, a new deposit): row locks cannot cover those.
   */
  async lock(trx: Transaction<any>, name: string): Promise<void> {
    const key = createHash("sha256").update(`obol/ecash/${name}`).digest().readBigInt64BE(0);
    await sql`SELECT pg_advisory_xact_lock(${key.toString()}::bigint)`.execute(trx);
  }

  async load(trx: Transaction<any>, keys: platform.PlatformStateKeys): Promise<PlatformState> {
    const state = { ...platform.emptyPlatformState() } as { -readonly [K in keyof PlatformState]: Record<string, any> };
    if (keys.registry.length > 0) {
      for (const row of (await sql<{ key: string; entry: string }>`
        SELECT key, entry FROM ecash_registry WHERE key = ANY(${[...keys.registry]}::text[]) ORDER BY key FOR UPDATE`.execute(trx)).rows) {
        state.registry[row.key] = stateFromJson<RegistryEntry>(row.entry);
      }
    }
    if (keys.replay.length > 0) {
      for (const row of (await sql<{ key: string; expires_at_ms: bigint }>`
        SELECT key, expires_at_ms FROM ecash_replay WHERE key = ANY(${[...keys.replay]}::text[]) ORDER BY key FOR UPDATE`.execute(trx)).rows) {
        state.replay[row.key] = Number(row.expires_at_ms);
      }
    }
    if (keys.withdrawals.length > 0) {
      for (const row of (await sql<{ key: string; w1_hash: Uint8Array; w2: Uint8Array; expires_at_ms: bigint }>`
        SELECT key, w1_hash, w2, expires_at_ms FROM ecash_withdrawal_responses WHERE key = ANY(${[...keys.withdrawals]}::text[]) ORDER BY key FOR UPDATE`.execute(trx)).rows) {
        state.withdrawals[row.key] = { w1Hash: new Uint8Array(row.w1_hash), w2: new Uint8Array(row.w2), expiresAtMs: Number(row.expires_at_ms) };
      }
    }
    const tokenRows = [
      ...(keys.tokens.length === 0 ? [] : (await sql<TokenRow>`
        SELECT sn, sealed_entry FROM ecash_tokens WHERE sn = ANY(${[...keys.tokens]}::text[]) ORDER BY sn FOR UPDATE`.execute(trx)).rows),
      ...(keys.openTokensOfPayee === null ? [] : await this.openTokensOf(trx, keys.openTokensOfPayee)),
    ];
    for (const row of tokenRows) state.tokens[row.sn] = this.sealer.open<PlatformToken>("ecash_tokens", row.sn, row.sealed_entry);
    if (keys.deposits.length > 0) {
      for (const row of (await sql<{ dep_id: string; sealed_entry: Uint8Array }>`
        SELECT dep_id, sealed_entry FROM ecash_deposits WHERE dep_id = ANY(${[...keys.deposits]}::text[]) ORDER BY dep_id FOR UPDATE`.execute(trx)).rows) {
        state.deposits[row.dep_id] = this.sealer.open<PlatformDeposit>("ecash_deposits", row.dep_id, row.sealed_entry);
      }
    }
    return state as PlatformState;
  }

  /** Tokens past their refund time that still hold escrow, whose withdrawal was funded (the reservation posted). */
  async loadDueTokens(trx: Transaction<any>, now: number, limit: number): Promise<PlatformState> {
    const rows = (await sql<TokenRow>`
      SELECT t.sn, t.sealed_entry FROM ecash_tokens t
      WHERE t.refund_due_ms < ${now} AND t.status NOT IN ('SETTLED', 'EXPIRED')
        AND EXISTS (SELECT 1 FROM ecash_ledger_moves m WHERE m.pending_id = t.reservation_id AND m.state = 'APPLIED')
      ORDER BY t.sn LIMIT ${limit} FOR UPDATE OF t`.execute(trx)).rows;
    const tokens = Object.fromEntries(rows.map((row) => [row.sn, this.sealer.open<PlatformToken>("ecash_tokens", row.sn, row.sealed_entry)]));
    return { ...platform.emptyPlatformState(), tokens };
  }

  /**
   * Writes what a handler changed. A new token needs the id of the ledger reservation that funds it.
   * Maps the handler never empties (registry, tokens, deposits) are only upserted; the caches are pruned by SQL.
   */
  async write(trx: Transaction<any>, changes: readonly StateChange[], extras: { reservationId?: string; refundDueMs?: number } = {}): Promise<void> {
    for (const change of changes) {
      const key = change.key;
      if (key === null) throw new Error(`e-cash state: unexpected whole-field change of ${change.table}`);
      if (change.value === null) {
        await this.remove(trx, change.table, key);
        continue;
      }
      switch (change.table) {
        case "registry": {
          const e = change.value as RegistryEntry;
          await sql`
            INSERT INTO ecash_registry (key, id, role, account_id, status, not_after_ms, entry)
            VALUES (${key}, ${e.id}, ${e.role}, ${e.account}::uuid, ${e.status}, ${e.notAfterMs}, ${stateToJson(e)})
            ON CONFLICT (key) DO UPDATE SET status = excluded.status, not_after_ms = excluded.not_after_ms, entry = excluded.entry`.execute(trx);
          break;
        }
        case "replay":
          await sql`INSERT INTO ecash_replay (key, expires_at_ms) VALUES (${key}, ${change.value as number})
                    ON CONFLICT (key) DO UPDATE SET expires_at_ms = excluded.expires_at_ms`.execute(trx);
          break;
        case "withdrawals": {
          const e = change.value as platform.WithdrawalCacheEntry;
          await sql`INSERT INTO ecash_withdrawal_responses (key, w1_hash, w2, expires_at_ms) VALUES (${key}, ${Buffer.from(e.w1Hash)}, ${Buffer.from(e.w2)}, ${e.expiresAtMs})
                    ON CONFLICT (key) DO UPDATE SET w1_hash = excluded.w1_hash, w2 = excluded.w2, expires_at_ms = excluded.expires_at_ms`.execute(trx);
          break;
        }
        case "tokens": {
          const t = change.value as PlatformToken;
          const sealed = this.sealer.seal("ecash_tokens", key, t);
          const updated = await sql`
            UPDATE ecash_tokens SET status = ${t.status}, escrow = ${t.escrow.toString()}::bigint, sealed_entry = ${sealed} WHERE sn = ${key}`.execute(trx);
          if ((updated.numAffectedRows ?? 0n) > 0n) break;
          if (extras.reservationId === undefined || extras.refundDueMs === undefined) throw new Error("e-cash state: a new token without its reservation");
          await sql`
            INSERT INTO ecash_tokens (sn, payee, account_u, status, amount, escrow, refund_due_ms, reservation_id, sealed_entry)
            VALUES (${key}, ${t.payee}, ${t.accountU}::uuid, ${t.status}, ${t.amount.toString()}::bigint, ${t.escrow.toString()}::bigint,
                    ${extras.refundDueMs}, ${extras.reservationId}::uuid, ${sealed})`.execute(trx);
          break;
        }
        case "deposits": {
          const d = change.value as PlatformDeposit;
          await sql`
            INSERT INTO ecash_deposits (dep_id, id_p, account_p, created_at_ms, sealed_entry)
            VALUES (${key}, ${d.idP}, ${d.accountP}::uuid, ${d.createdAtMs}, ${this.sealer.seal("ecash_deposits", key, d)})
            ON CONFLICT (dep_id) DO UPDATE SET sealed_entry = excluded.sealed_entry`.execute(trx);
          break;
        }
        default:
          throw new Error(`e-cash state: unknown table ${change.table}`);
      }
    }
  }

  private async remove(trx: Transaction<any>, table: string, key: string): Promise<void> {
    if (table === "replay") await sql`DELETE FROM ecash_replay WHERE key = ${key}`.execute(trx);
    else if (table === "withdrawals") await sql`DELETE FROM ecash_withdrawal_responses WHERE key = ${key}`.execute(trx);
    else throw new Error(`e-cash state: a handler removed an entry of ${table}`);
  }

  private async openTokensOf(trx: Transaction<any>, payee: string): Promise<TokenRow[]> {
    const rows = (await sql<TokenRow>`
      SELECT sn, sealed_entry FROM ecash_tokens WHERE payee = ${payee} AND status IN ('ISSUED', 'PARTIAL')
      ORDER BY sn LIMIT ${openTokensPerPayeeMax + 1} FOR UPDATE`.execute(trx)).rows;
    if (rows.length > openTokensPerPayeeMax) throw new Error(`merchant ${payee} has more than ${openTokensPerPayeeMax} open tokens`);
    return rows;
  }

  /** Drops replay and W2-cache entries older than 2Δ (§2.0: kept at least 2Δ). */
  async pruneCaches(db: Kysely<any>, now: number): Promise<void> {
    await sql`DELETE FROM ecash_replay WHERE expires_at_ms <= ${now}`.execute(db);
    await sql`DELETE FROM ecash_withdrawal_responses WHERE expires_at_ms <= ${now}`.execute(db);
  }
}

interface TokenRow {
  sn: string;
  sealed_entry: Uint8Array;
}
