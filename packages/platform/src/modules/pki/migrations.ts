import type { Migration } from "../../db/migrations.js";

/**
 * The platform PKI's state. Private keys are stored only sealed (scrypt + AES-256-GCM under the
 * configured passphrase); certificates are public. Enrolment codes are stored as digests.
 */
const init = `
CREATE TABLE pki_keys (
  name text PRIMARY KEY CHECK (name ~ '^[a-z_]{1,32}$'),
  sealed_private_key text NOT NULL CHECK (char_length(sealed_private_key) <= 8192),
  certificate bytea NOT NULL CHECK (octet_length(certificate) <= 8192),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE pki_certificates (
  serial text PRIMARY KEY CHECK (serial ~ '^[0-9a-f]{2,40}$'),
  compact_id text NOT NULL UNIQUE CHECK (char_length(compact_id) = 22),
  party_type text NOT NULL CHECK (party_type IN ('user', 'merchant', 'operator')),
  party_id uuid NOT NULL,
  certificate bytea NOT NULL CHECK (octet_length(certificate) <= 8192),
  not_before timestamptz NOT NULL,
  not_after timestamptz NOT NULL,
  revoked_at timestamptz,
  revocation_reason text CHECK (revocation_reason IN ('unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation')),
  issued_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
CREATE INDEX pki_certificates_party ON pki_certificates (party_type, party_id);
CREATE INDEX pki_certificates_revoked ON pki_certificates (revoked_at) WHERE revoked_at IS NOT NULL;

CREATE TABLE pki_enrolment_codes (
  id uuid PRIMARY KEY,
  party_type text NOT NULL CHECK (party_type IN ('user', 'merchant', 'operator')),
  party_id uuid NOT NULL,
  code_hash bytea NOT NULL CHECK (octet_length(code_hash) = 32),
  expires_at timestamptz NOT NULL,
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pki_enrolment_codes_party ON pki_enrolment_codes (party_type, party_id, created_at);

CREATE TABLE pki_crl_state (
  id integer PRIMARY KEY CHECK (id = 1),
  crl_number bigint NOT NULL
);
INSERT INTO pki_crl_state (id, crl_number) VALUES (1, 0);
`;

/**
 * A key may be held in a PKCS#11 token instead (the issuing CA key after `obol pki hsm-init`): then the row
 * keeps the key's RFC 7512 URI (token and object labels, never the PIN) and no sealed key. Exactly one of the two.
 */
const tokenKeys = `
ALTER TABLE pki_keys ALTER COLUMN sealed_private_key DROP NOT NULL;
ALTER TABLE pki_keys ADD COLUMN token_key_uri text CHECK (char_length(token_key_uri) <= 512);
ALTER TABLE pki_keys ADD CONSTRAINT pki_keys_key_held_once CHECK ((sealed_private_key IS NULL) <> (token_key_uri IS NULL));
`;

export const pkiMigrations: Migration[] = [
  { module: "pki", name: "0001_init", sql: init },
  { module: "pki", name: "0002_token_keys", sql: tokenKeys },
];
