import type { Migration } from "../../db/migrations.js";

/**
 * Credentials the platform issues. Only SHA-256 digests of tokens and API keys are stored: they
 * are 256-bit random values, so a fast hash is enough (no salt or stretching needed), and a
 * leaked table gives nothing to log in with.
 */
const init = `
CREATE TABLE auth_sessions (
  token_hash bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
  subject_type text NOT NULL CHECK (subject_type IN ('user', 'operator')),
  subject_id uuid NOT NULL,
  role text,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX auth_sessions_expiry ON auth_sessions (expires_at);

CREATE TABLE auth_api_keys (
  key_hash bytea PRIMARY KEY CHECK (octet_length(key_hash) = 32),
  merchant_id uuid NOT NULL,
  label text NOT NULL CHECK (char_length(label) BETWEEN 1 AND 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX auth_api_keys_merchant ON auth_api_keys (merchant_id);

-- Failed logins per login name, for lockout (ASVS 2.2.1).
CREATE TABLE auth_login_failures (
  login text PRIMARY KEY CHECK (char_length(login) <= 64),
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL,
  locked_until timestamptz
);
`;

/** Merchants' request-signing keys (request-signing.ts): the public half only. */
const requestKeys = `
CREATE TABLE merchant_request_keys (
  merchant_id uuid PRIMARY KEY REFERENCES merchants (id),
  public_key bytea NOT NULL CHECK (octet_length(public_key) <= 200),
  required boolean NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
`;

export const authMigrations: Migration[] = [
  { module: "auth", name: "0001_init", sql: init },
  { module: "auth", name: "0002_request_keys", sql: requestKeys },
];
