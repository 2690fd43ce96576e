import type { Migration } from "../../db/migrations.js";

/**
 * The wallet channel: nonces seen (replay defence, kept at least twice the freshness window) and
 * the exact bytes of every verified signed message (non-repudiation), linked to what it caused.
 */
const init = `
CREATE TABLE channel_nonces (
  nonce text PRIMARY KEY CHECK (char_length(nonce) BETWEEN 16 AND 128),
  message_id text NOT NULL CHECK (char_length(message_id) <= 64),
  expires_at timestamptz NOT NULL
);
CREATE INDEX channel_nonces_expiry ON channel_nonces (expires_at);

CREATE TABLE channel_messages (
  message_id text PRIMARY KEY CHECK (char_length(message_id) <= 64),
  direction text NOT NULL CHECK (direction IN ('in', 'out')),
  type text NOT NULL CHECK (char_length(type) <= 64),
  party_type text NOT NULL,
  party_id uuid NOT NULL,
  certificate_serial text,
  business_ref text CHECK (char_length(business_ref) <= 128),
  sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
  bytes bytea NOT NULL CHECK (octet_length(bytes) <= 65536),
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX channel_messages_party ON channel_messages (party_type, party_id, received_at);

CREATE FUNCTION channel_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'channel: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER channel_messages_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON channel_messages
  FOR EACH STATEMENT EXECUTE FUNCTION channel_append_only();
`;

/**
 * A MessageId is a replay as much as a Nonce is (@obol/xml replay.ts; issue 10): one row per MessageId too,
 * so the atomic insert of firstSighting() refuses a reused MessageId with a fresh Nonce. MessageIds are
 * UUIDs chosen by the signer: unique across signers is a superset of unique per signer, and matches
 * channel_messages, whose key is the MessageId alone. Rows that already share a MessageId (the defect) keep
 * the one with the least nonce; the MessageId stays refused, which is all the other rows were for.
 */
const messageIdUnique = `
DELETE FROM channel_nonces a USING channel_nonces b WHERE a.message_id = b.message_id AND a.nonce > b.nonce;
CREATE UNIQUE INDEX channel_nonces_message_id ON channel_nonces (message_id);
`;

export const channelMigrations: Migration[] = [
  { module: "channel", name: "0001_init", sql: init },
  { module: "channel", name: "0002_message_id_unique", sql: messageIdUnique },
];
