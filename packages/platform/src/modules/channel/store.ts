import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";

/** Nonces are kept this long past their message's freshness window (issue 3: at least twice it). */
export const nonceRetentionFactor = 2;

export class ChannelStore {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number) {}

  /**
   * Records a nonce and its MessageId; false when either was seen before (a replay: the table is unique on
   * both, and ON CONFLICT DO NOTHING covers every unique constraint). One statement, so two processes
   * receiving the same message at once cannot both accept it.
   */
  async firstSighting(nonce: string, messageId: string, windowMs: number): Promise<boolean> {
    const expiresAt = new Date(this.clock() + nonceRetentionFactor * windowMs);
    const inserted = await sql`INSERT INTO channel_nonces (nonce, message_id, expires_at) VALUES (${nonce}, ${messageId}, ${expiresAt})
                               ON CONFLICT DO NOTHING RETURNING 1 AS fresh`.execute(this.db);
    return inserted.rows.length === 1;
  }

  /**
   * Keeps the exact bytes of a verified message (or of a signed answer) for non-repudiation. False when a
   * message with this MessageId is kept already: nothing is written, and the caller must refuse the message
   * (its bytes could not be kept, so it may cause nothing). Never a silent skip.
   */
  async keep(message: { messageId: string; direction: "in" | "out"; type: string; partyType: string; partyId: string; certificateSerial: string | null; businessRef: string | null; bytes: Uint8Array }): Promise<boolean> {
    const inserted = await sql`INSERT INTO channel_messages (message_id, direction, type, party_type, party_id, certificate_serial, business_ref, sha256, bytes)
              VALUES (${message.messageId}, ${message.direction}, ${message.type}, ${message.partyType}, ${message.partyId}::uuid, ${message.certificateSerial},
                      ${message.businessRef}, ${createHash("sha256").update(message.bytes).digest()}, ${Buffer.from(message.bytes)})
              ON CONFLICT (message_id) DO NOTHING RETURNING 1 AS kept`.execute(this.db);
    return inserted.rows.length === 1;
  }

  async purgeExpiredNonces(): Promise<void> {
    await sql`DELETE FROM channel_nonces WHERE expires_at <= ${new Date(this.clock())}`.execute(this.db);
  }
}
