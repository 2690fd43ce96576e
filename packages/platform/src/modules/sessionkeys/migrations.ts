import type { Migration } from "../../db/migrations.js";

/**
 * Named session keys (seed 004's DESede_Keys table and CarriedKeyName, modernised): AES-256 keys the
 * platform issues to one enrolled device. A key is stored only wrapped (AES-256-GCM under the platform's
 * session-key KEK, with its name, device certificate and expiry as associated data), never in clear. The KEK
 * itself is never stored: it is derived from the key passphrase and the salt kept here.
 */
const init = `
CREATE TABLE session_key_kek (
  id smallint PRIMARY KEY CHECK (id = 1),
  salt bytea NOT NULL CHECK (octet_length(salt) = 16),
  check_value bytea NOT NULL CHECK (octet_length(check_value) = 32)
);

CREATE TABLE session_keys (
  name text PRIMARY KEY CHECK (name ~ '^sk-[A-Za-z0-9_-]{22}$'),
  -- issue order per device (created_at can tie within a millisecond)
  seq bigint GENERATED ALWAYS AS IDENTITY,
  certificate_serial text NOT NULL CHECK (certificate_serial ~ '^[0-9a-f]{2,40}$'),
  wrapped_key bytea NOT NULL CHECK (octet_length(wrapped_key) = 60),
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  retired_at timestamptz,
  CHECK (expires_at > created_at)
);
CREATE INDEX session_keys_device ON session_keys (certificate_serial, seq);
CREATE INDEX session_keys_expiry ON session_keys (expires_at);
`;

export const sessionKeyMigrations: Migration[] = [{ module: "sessionkeys", name: "0001_init", sql: init }];
