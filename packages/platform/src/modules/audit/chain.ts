import { createHash } from "node:crypto";
import { canonicalJson } from "../../canonical-json.js";

/**
 * The audit log's hash chain (pure). Each entry's hash covers the previous entry's hash and a
 * canonical encoding of the entry, so changing, inserting or deleting any entry changes every
 * hash after it; signed checkpoints then pin the head so the whole table cannot be rewritten.
 *
 * hash_n = SHA-256("obol/audit/v1\n" || hash_{n-1} || canonicalJson(entry_n)), hash_0 = 32 zero bytes.
 */
export interface AuditEntry {
  seq: bigint;
  occurredAt: string;
  actorType: "user" | "operator" | "merchant" | "system";
  actorId: string | null;
  action: string;
  subject: string | null;
  details: Record<string, unknown>;
}

export const genesisHash = new Uint8Array(32);

export function entryHash(previous: Uint8Array, entry: AuditEntry): Uint8Array {
  if (previous.length !== 32) throw new RangeError("a chain hash is 32 bytes");
  return createHash("sha256").update("obol/audit/v1\n").update(previous).update(canonicalJson(entry)).digest();
}

export type ChainCheck =
  | { ok: true; entries: number; head: Uint8Array }
  | { ok: false; firstBadSeq: bigint; reason: "hash_mismatch" | "previous_mismatch" | "sequence_gap" | "head_mismatch" };

/** Walks stored entries in order and names the first one that does not chain. */
export function verifyChain(stored: Iterable<{ entry: AuditEntry; previousHash: Uint8Array; hash: Uint8Array }>, start: { seq: bigint; hash: Uint8Array } = { seq: 0n, hash: genesisHash }): ChainCheck {
  let head = start.hash;
  let expectedSeq = start.seq + 1n;
  let count = 0;
  for (const row of stored) {
    if (row.entry.seq !== expectedSeq) return { ok: false, firstBadSeq: expectedSeq, reason: "sequence_gap" };
    if (!Buffer.from(row.previousHash).equals(Buffer.from(head))) return { ok: false, firstBadSeq: row.entry.seq, reason: "previous_mismatch" };
    const computed = entryHash(head, row.entry);
    if (!Buffer.from(computed).equals(Buffer.from(row.hash))) return { ok: false, firstBadSeq: row.entry.seq, reason: "hash_mismatch" };
    head = computed;
    expectedSeq += 1n;
    count += 1;
  }
  return { ok: true, entries: count, head };
}

/** What a checkpoint signs: the head of the chain at a sequence number. */
export function checkpointPayload(seq: bigint, hash: Uint8Array): Uint8Array {
  return Buffer.from(`obol/audit-checkpoint/v1\n${seq}\n${Buffer.from(hash).toString("hex")}`);
}
