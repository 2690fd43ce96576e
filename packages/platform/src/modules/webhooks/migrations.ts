import type { Migration } from "../../db/migrations.js";

/**
 * Outgoing webhooks (issue 4 item 2).
 * - webhook_endpoints: one URL and sealed secret per merchant; after a rotation the previous
 *   secret stays until its grace period ends (both sign meanwhile).
 * - webhook_events: the outbox. A module writes the event, with its exact body, in the same
 *   transaction as the change it announces. Bodies never change (trigger), so every attempt sends
 *   the same bytes under the same webhook-id.
 * - webhook_deliveries: one per event: pending until delivered or failed. A worker claims due rows
 *   by pushing next_attempt_at forward by a lease (FOR UPDATE SKIP LOCKED), so a worker that dies
 *   mid-send leaves its rows due again when the lease ends.
 * - webhook_attempts: the delivery log, one row per attempt: time, duration, status code, error
 *   class and a truncated response. No secret or header is kept.
 */
const init = `
CREATE TABLE webhook_sealing (
  id smallint PRIMARY KEY CHECK (id = 1),
  salt bytea NOT NULL CHECK (octet_length(salt) = 16),
  key_check text NOT NULL CHECK (char_length(key_check) <= 256)
);

CREATE TABLE webhook_endpoints (
  merchant_id uuid PRIMARY KEY,
  url text NOT NULL CHECK (char_length(url) <= 2048),
  sealed_secret text NOT NULL CHECK (char_length(sealed_secret) <= 512),
  sealed_previous_secret text CHECK (char_length(sealed_previous_secret) <= 512),
  previous_secret_expires_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((sealed_previous_secret IS NULL) = (previous_secret_expires_at IS NULL))
);

CREATE TABLE webhook_events (
  id text PRIMARY KEY CHECK (id ~ '^evt_[0-9a-f]{32}$'),
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  merchant_id uuid NOT NULL,
  type text NOT NULL CHECK (char_length(type) <= 64 AND type ~ '^[a-z][a-z0-9_]*[.][a-z][a-z0-9_]*$'),
  body text NOT NULL CHECK (octet_length(body) <= 16384),
  created_at timestamptz NOT NULL
);
CREATE INDEX webhook_events_merchant ON webhook_events (merchant_id, seq);

CREATE FUNCTION webhook_events_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'webhooks: events are immutable' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER webhook_events_immutable BEFORE UPDATE ON webhook_events
  FOR EACH STATEMENT EXECUTE FUNCTION webhook_events_immutable();

CREATE TABLE webhook_deliveries (
  event_id text PRIMARY KEY REFERENCES webhook_events (id),
  merchant_id uuid NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  cycle_attempts integer NOT NULL DEFAULT 0 CHECK (cycle_attempts >= 0),
  cycle_started_at timestamptz,
  next_attempt_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  last_status_code integer,
  last_error_class text CHECK (char_length(last_error_class) <= 32),
  delivered_at timestamptz
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE TABLE webhook_attempts (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  event_id text NOT NULL REFERENCES webhook_events (id),
  merchant_id uuid NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 1),
  started_at timestamptz NOT NULL,
  duration_ms integer NOT NULL CHECK (duration_ms >= 0),
  status_code integer CHECK (status_code BETWEEN 100 AND 999),
  outcome text NOT NULL CHECK (outcome IN ('success', 'failure')),
  error_class text CHECK (char_length(error_class) <= 32),
  response_excerpt text NOT NULL CHECK (char_length(response_excerpt) <= 1024)
);
CREATE INDEX webhook_attempts_event ON webhook_attempts (event_id, seq);
CREATE INDEX webhook_attempts_merchant ON webhook_attempts (merchant_id, seq);
`;

export const webhooksMigrations: Migration[] = [{ module: "webhooks", name: "0001_init", sql: init }];
