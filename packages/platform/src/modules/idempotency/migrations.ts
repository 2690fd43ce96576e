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

export const idempotencyMigrations: Migration[] = [{ module: "idempotency", name: "0001_init", sql: init }];
