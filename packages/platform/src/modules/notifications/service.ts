import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import { canonicalJsonData } from "../../json-data.js";

export type RecipientType = "user" | "merchant";
export interface Recipient { type: RecipientType; id: string }

export interface Notification {
  id: string;
  kind: string;
  data: unknown;
  createdAt: string;
  readAt: string | null;
  /** Position in the recipient's list: pass it back as `before` or `after`. */
  cursor: string;
}

export interface NotificationPage {
  notifications: Notification[];
  /** The cursor for the next page in the same direction, or null when this page was the last. */
  next: string | null;
  unread: number;
}

/** `kind` names the event, `module.event` in lower case, e.g. `payment.succeeded`. */
export const notificationKindPattern = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/;
export const notificationKindCharsMax = 64;
export const notificationDataBytesMax = 4096;
/** The most ids one read-mark request may name. */
export const markReadIdsMax = 100;

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

interface NotificationRow { id: string; seq: bigint; kind: string; data: string; created_at: Date; read_at: Date | null }

/**
 * Notification records (issue 4 item 8). Every module that does something a user or a merchant
 * should hear about calls `record` inside the transaction that does it, so the record exists if
 * and only if the change committed. Delivery channels (wallet push now, SMS later) are built on
 * these rows; this module only stores, lists and marks them read.
 */
export class NotificationsService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number) {}

  /**
   * Writes one notification through `trx` (the caller's transaction, or the database for a
   * standalone record). A malformed kind, recipient or data is a programming error and throws.
   */
  async record(trx: Kysely<any>, input: { recipient: Recipient; kind: string; data: Record<string, unknown> }): Promise<{ notificationId: string }> {
    const { recipient, kind } = input;
    if (recipient.type !== "user" && recipient.type !== "merchant") throw new TypeError(`notification recipient type ${String(recipient.type)}`);
    if (!uuidPattern.test(recipient.id)) throw new TypeError("notification recipient id must be a lower-case uuid");
    if (kind.length > notificationKindCharsMax || !notificationKindPattern.test(kind)) throw new TypeError(`notification kind ${JSON.stringify(kind)}`);
    const data = canonicalJsonData(input.data, notificationDataBytesMax);
    const notificationId = randomUUID();
    await sql`INSERT INTO notifications (id, recipient_type, recipient_id, kind, data, created_at)
              VALUES (${notificationId}::uuid, ${recipient.type}, ${recipient.id}::uuid, ${kind}, ${data}, ${new Date(this.clock())})`.execute(trx);
    return { notificationId };
  }

  /**
   * One page of the recipient's notifications. Without a cursor or with `before`: newest first.
   * With `after`: oldest first from that cursor on (catching up, e.g. a push channel).
   */
  async list(recipient: Recipient, options: { limit: number; before?: bigint; after?: bigint; unreadOnly?: boolean }): Promise<NotificationPage> {
    const ascending = options.after !== undefined;
    const rows = (await sql<NotificationRow>`
      SELECT id, seq, kind, data, created_at, read_at FROM notifications
      WHERE recipient_type = ${recipient.type} AND recipient_id = ${recipient.id}::uuid
        ${options.before !== undefined ? sql`AND seq < ${options.before}` : sql``}
        ${options.after !== undefined ? sql`AND seq > ${options.after}` : sql``}
        ${options.unreadOnly ? sql`AND read_at IS NULL` : sql``}
      ORDER BY seq ${ascending ? sql`ASC` : sql`DESC`}
      LIMIT ${options.limit}`.execute(this.db)).rows;
    return {
      notifications: rows.map(toNotification),
      next: rows.length === options.limit ? rows.at(-1)!.seq.toString() : null,
      unread: await this.unreadCount(recipient),
    };
  }

  async unreadCount(recipient: Recipient): Promise<number> {
    const rows = (await sql<{ n: bigint }>`SELECT count(*) AS n FROM notifications
      WHERE recipient_type = ${recipient.type} AND recipient_id = ${recipient.id}::uuid AND read_at IS NULL`.execute(this.db)).rows;
    return Number(rows[0]!.n);
  }

  /**
   * Marks the recipient's notifications read: the ones named, or every one up to and including a
   * cursor. Ids of someone else's notifications are ignored (nothing tells them apart from unknown
   * ids). Returns how many changed from unread to read.
   */
  async markRead(recipient: Recipient, which: { ids: readonly string[] } | { through: bigint }): Promise<{ marked: number }> {
    const now = new Date(this.clock());
    const target = "ids" in which
      ? sql`id = ANY(${[...which.ids]}::uuid[])`
      : sql`seq <= ${which.through}`;
    if ("ids" in which && which.ids.length === 0) return { marked: 0 };
    const result = await sql`UPDATE notifications SET read_at = ${now}
      WHERE recipient_type = ${recipient.type} AND recipient_id = ${recipient.id}::uuid AND read_at IS NULL AND ${target}`.execute(this.db);
    return { marked: Number(result.numAffectedRows ?? 0n) };
  }
}

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id, kind: row.kind, data: JSON.parse(row.data) as unknown, createdAt: row.created_at.toISOString(),
    readAt: row.read_at === null ? null : row.read_at.toISOString(), cursor: row.seq.toString(),
  };
}
