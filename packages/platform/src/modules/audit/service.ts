import { sql, type Kysely } from "kysely";
import { checkpointPayload, entryHash, verifyChain, type AuditEntry, type ChainCheck } from "./chain.js";

/** Signs and verifies checkpoints; the platform's service key in production. */
export interface CheckpointSigner {
  keyId: string;
  sign(payload: Uint8Array): Uint8Array;
  verify(keyId: string, payload: Uint8Array, signature: Uint8Array): boolean;
}

export type AuditRecord = Omit<AuditEntry, "seq" | "occurredAt">;

export type AuditReport = ChainCheck & {
  checkpoints: { checked: number; firstBadSeq: bigint | null };
};

const pageRowsMax = 1_000;
export const detailsBytesMax = 8_192;

interface Row { seq: bigint; occurred_at: Date; actor_type: AuditEntry["actorType"]; actor_id: string | null; action: string; subject: string | null; details: string; previous_hash: Uint8Array; hash: Uint8Array }

function entryOf(row: Row): AuditEntry {
  return {
    seq: row.seq, occurredAt: new Date(row.occurred_at).toISOString(), actorType: row.actor_type, actorId: row.actor_id,
    action: row.action, subject: row.subject, details: JSON.parse(row.details) as Record<string, unknown>,
  };
}

export class AuditService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number, private readonly signer?: CheckpointSigner) {}

  /**
   * Appends an entry. Pass a transaction to make the entry part of the change it records;
   * the head row's lock orders concurrent appends.
   */
  async append(record: AuditRecord, executor?: Kysely<any>): Promise<bigint> {
    if (executor === undefined) return this.db.transaction().execute((trx) => this.append(record, trx));
    const details = JSON.stringify(record.details);
    if (Buffer.byteLength(details) > detailsBytesMax) throw new RangeError(`audit details exceed ${detailsBytesMax} bytes`);
    const head = (await sql<{ seq: bigint; hash: Uint8Array }>`SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`.execute(executor)).rows[0]!;
    // Millisecond precision, as both drivers return it, so a re-read entry hashes the same.
    const entry: AuditEntry = { ...record, details: JSON.parse(details), seq: head.seq + 1n, occurredAt: new Date(this.clock()).toISOString() };
    const hash = entryHash(head.hash, entry);
    await sql`INSERT INTO audit_log (seq, occurred_at, actor_type, actor_id, action, subject, details, previous_hash, hash)
              VALUES (${entry.seq.toString()}::bigint, ${entry.occurredAt}::timestamptz, ${entry.actorType}, ${entry.actorId}, ${entry.action},
                      ${entry.subject}, ${details}, ${Buffer.from(head.hash)}, ${Buffer.from(hash)})`.execute(executor);
    await sql`UPDATE audit_head SET seq = ${entry.seq.toString()}::bigint, hash = ${Buffer.from(hash)} WHERE id = 1`.execute(executor);
    return entry.seq;
  }

  /** Signs the current head, so that a rewrite of the whole table up to it is detectable. */
  async checkpoint(): Promise<bigint | undefined> {
    if (this.signer === undefined) return undefined;
    const head = (await sql<{ seq: bigint; hash: Uint8Array }>`SELECT seq, hash FROM audit_head WHERE id = 1`.execute(this.db)).rows[0]!;
    if (head.seq === 0n) return undefined;
    const signature = this.signer.sign(checkpointPayload(head.seq, head.hash));
    await sql`INSERT INTO audit_checkpoints (seq, hash, key_id, signature) VALUES (${head.seq.toString()}::bigint, ${Buffer.from(head.hash)}, ${this.signer.keyId}, ${Buffer.from(signature)})
              ON CONFLICT (seq) DO NOTHING`.execute(this.db);
    return head.seq;
  }

  /** Recomputes the whole chain page by page and checks every checkpoint against it. */
  async verify(onProgress?: (checked: number) => void): Promise<AuditReport> {
    const checkpoints = (await sql<{ seq: bigint; hash: Uint8Array; key_id: string; signature: Uint8Array }>`
      SELECT seq, hash, key_id, signature FROM audit_checkpoints ORDER BY seq`.execute(this.db)).rows;
    const wanted = new Map(checkpoints.map((c) => [c.seq, c]));
    let badCheckpoint: bigint | null = null;
    let start = { seq: 0n, hash: new Uint8Array(32) as Uint8Array };
    let total = 0;
    for (;;) {
      const rows = (await sql<Row>`SELECT * FROM audit_log WHERE seq > ${start.seq.toString()}::bigint ORDER BY seq LIMIT ${pageRowsMax}`.execute(this.db)).rows;
      if (rows.length === 0) break;
      const stored = rows.map((row) => ({ entry: entryOf(row), previousHash: row.previous_hash, hash: row.hash }));
      const check = verifyChain(stored, start);
      if (!check.ok) return { ...check, checkpoints: { checked: 0, firstBadSeq: badCheckpoint } };
      for (const row of rows) {
        const checkpoint = wanted.get(row.seq);
        if (checkpoint === undefined || badCheckpoint !== null) continue;
        const valid = Buffer.from(checkpoint.hash).equals(Buffer.from(row.hash))
          && (this.signer?.verify(checkpoint.key_id, checkpointPayload(row.seq, row.hash), checkpoint.signature) ?? false);
        if (!valid) badCheckpoint = row.seq;
      }
      start = { seq: rows.at(-1)!.seq, hash: check.head };
      total += rows.length;
      onProgress?.(total);
    }
    // Rows cut off the end leave a chain that is valid but shorter than the recorded head.
    const head = (await sql<{ seq: bigint; hash: Uint8Array }>`SELECT seq, hash FROM audit_head WHERE id = 1`.execute(this.db)).rows[0]!;
    if (head.seq !== start.seq || !Buffer.from(head.hash).equals(Buffer.from(start.hash))) {
      return { ok: false, firstBadSeq: start.seq + 1n, reason: "head_mismatch", checkpoints: { checked: 0, firstBadSeq: badCheckpoint } };
    }
    const orphan = checkpoints.find((c) => c.seq > start.seq);
    if (orphan !== undefined && badCheckpoint === null) badCheckpoint = orphan.seq;
    return { ok: true, entries: total, head: start.hash, checkpoints: { checked: checkpoints.length, firstBadSeq: badCheckpoint } };
  }
}
