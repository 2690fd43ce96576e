import type { Migration } from "../../db/migrations.js";

/** Stored answers to money-moving requests, by caller and Idempotency-Key. */
const init = `
CREATE TABLE idempotency_keys (
  scope text NOT NULL CHECK (char_length(scope) <= 80),
  key text NOT NULL CHECK (char_length(key) BETWEEN 8 AND 255),
  request_hash bytea NOT NULL CHECK (octet_length(request_hash) = 32),
  status_code integer,
  -- The exact bytes sent the first time, so a replay is byte-identical (jsonb would reorder keys).
  response text,
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  PRIMARY KEY (scope, key),
  CHECK ((status_code IS NULL) = (response IS NULL))
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
`;

/**
 * Claims (docs/architecture.md, "Idempotency"): the attempt working on a key holds it until
 * claimed_until (database clock), renewing while it works. Its token fences its ledger effect and
 * its answer, so an attempt that lost its claim can neither apply nor answer.
 */
const claims = `
ALTER TABLE idempotency_keys ADD COLUMN claim uuid;
ALTER TABLE idempotency_keys ADD COLUMN claimed_until timestamptz;
`;

export const idempotencyMigrations: Migration[] = [
  { module: "idempotency", name: "0001_init", sql: init },
  { module: "idempotency", name: "0002_claims", sql: claims },
];
