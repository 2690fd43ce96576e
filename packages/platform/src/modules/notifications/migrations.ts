import type { Migration } from "../../db/migrations.js";

/**
 * Notifications (issue 4 item 8): one row per user- or merchant-facing event, written by the module
 * that caused the event inside its own transaction. Channel adapters (wallet push, SMS later) read
 * these rows; the recipient lists them and marks them read. `data` is canonical JSON text, so a
 * record reads back byte for byte as it was written.
 */
const init = `
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  recipient_type text NOT NULL CHECK (recipient_type IN ('user', 'merchant')),
  recipient_id uuid NOT NULL,
  kind text NOT NULL CHECK (char_length(kind) <= 64 AND kind ~ '^[a-z][a-z0-9_]*([.][a-z][a-z0-9_]*)+$'),
  data text NOT NULL CHECK (octet_length(data) <= 4096),
  created_at timestamptz NOT NULL,
  read_at timestamptz
);
CREATE INDEX notifications_recipient ON notifications (recipient_type, recipient_id, seq);
CREATE INDEX notifications_unread ON notifications (recipient_type, recipient_id, seq) WHERE read_at IS NULL;
`;

export const notificationsMigrations: Migration[] = [{ module: "notifications", name: "0001_init", sql: init }];
