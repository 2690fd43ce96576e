import type { Migration } from "../../db/migrations.js";

/**
 * The audit log (PCI DSS 10.2 style: who, what, when, on what). Append-only, hash-chained;
 * audit_head is a single row whose lock serializes appends so the chain has no forks.
 */
const init = `
CREATE TABLE audit_log (
  seq bigint PRIMARY KEY CHECK (seq > 0),
  occurred_at timestamptz NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'operator', 'merchant', 'system')),
  actor_id text CHECK (char_length(actor_id) <= 64),
  action text NOT NULL CHECK (action ~ '^[a-z][a-z0-9_.]{1,63}$'),
  subject text CHECK (char_length(subject) <= 128),
  details text NOT NULL CHECK (octet_length(details) <= 8192),
  previous_hash bytea NOT NULL CHECK (octet_length(previous_hash) = 32),
  hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);

CREATE TABLE audit_head (
  id integer PRIMARY KEY CHECK (id = 1),
  seq bigint NOT NULL,
  hash bytea NOT NULL CHECK (octet_length(hash) = 32)
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

CREATE TABLE audit_checkpoints (
  seq bigint PRIMARY KEY,
  hash bytea NOT NULL CHECK (octet_length(hash) = 32),
  key_id text NOT NULL CHECK (char_length(key_id) <= 64),
  signature bytea NOT NULL CHECK (octet_length(signature) <= 512),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();
`;

export const auditMigrations: Migration[] = [{ module: "audit", name: "0001_init", sql: init }];
