import type { Migration } from "../../db/migrations.js";

/**
 * The payments module owns products, payments (requests and their state), the log of every state
 * transition, and refunds. The service decides; the constraints make sure that even a bug cannot
 * store a refund above the capture, a fee above the amount, or a state outside the machine.
 */
const init = `
CREATE TABLE products (
  id uuid PRIMARY KEY,
  merchant_id uuid NOT NULL REFERENCES merchants (id),
  sku text NOT NULL CHECK (sku ~ '^[A-Za-z0-9._-]{1,64}$'),
  name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 128),
  description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 1024),
  price bigint NOT NULL CHECK (price > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  deleted_at timestamptz
);
CREATE UNIQUE INDEX products_merchant_sku ON products (merchant_id, sku) WHERE deleted_at IS NULL;

CREATE TABLE payments (
  id uuid PRIMARY KEY,
  merchant_id uuid NOT NULL REFERENCES merchants (id),
  kind text NOT NULL CHECK (kind IN ('direct', 'escrow')),
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  fee bigint NOT NULL CHECK (fee >= 0 AND fee <= amount),
  description text NOT NULL CHECK (char_length(description) <= 256),
  merchant_reference text NOT NULL CHECK (char_length(merchant_reference) BETWEEN 1 AND 64),
  payer_msisdn text CHECK (payer_msisdn ~ '^\\+[1-9][0-9]{7,14}$'),
  payer_user_id uuid REFERENCES users (id),
  state text NOT NULL CHECK (state IN ('awaiting_confirmation', 'funding', 'succeeded', 'held', 'shipped', 'disputed',
    'released', 'refunded', 'declined', 'expired', 'cancelled', 'failed')),
  reason text CHECK (char_length(reason) <= 64),
  funding_source text CHECK (funding_source IN ('wallet', 'bank')),
  expires_at timestamptz NOT NULL,
  -- When the current state's timer fires (expiry, ship deadline, auto-release, funding retry); NULL when none.
  timer_at timestamptz,
  refunded_amount bigint NOT NULL DEFAULT 0,
  -- Escrow: the part of the amount the merchant finally received.
  released_amount bigint NOT NULL DEFAULT 0,
  purchase_id uuid,
  version integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT payments_refund_within_capture CHECK (refunded_amount >= 0 AND refunded_amount <= amount),
  CONSTRAINT payments_release_within_amount CHECK (released_amount >= 0 AND released_amount <= amount),
  CONSTRAINT payments_payer CHECK (payer_msisdn IS NOT NULL OR payer_user_id IS NULL),
  CONSTRAINT payments_funding_after_confirmation CHECK ((state IN ('awaiting_confirmation', 'declined', 'expired', 'cancelled')) = (funding_source IS NULL))
);
CREATE UNIQUE INDEX payments_merchant_reference ON payments (merchant_id, merchant_reference);
CREATE INDEX payments_merchant_created ON payments (merchant_id, created_at DESC, id);
CREATE INDEX payments_payer_waiting ON payments (payer_user_id, state) WHERE state = 'awaiting_confirmation';
CREATE INDEX payments_timer ON payments (timer_at) WHERE timer_at IS NOT NULL;

CREATE TABLE payment_transitions (
  payment_id uuid NOT NULL REFERENCES payments (id),
  seq integer NOT NULL,
  event text NOT NULL CHECK (char_length(event) <= 32),
  from_state text,
  to_state text NOT NULL,
  reason text CHECK (char_length(reason) <= 64),
  actor text NOT NULL CHECK (char_length(actor) <= 80),
  at timestamptz NOT NULL,
  PRIMARY KEY (payment_id, seq)
);

CREATE TABLE refunds (
  id uuid PRIMARY KEY,
  payment_id uuid NOT NULL REFERENCES payments (id),
  amount bigint NOT NULL CHECK (amount > 0),
  reason text NOT NULL CHECK (char_length(reason) <= 256),
  state text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
  failure text CHECK (char_length(failure) <= 64),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment ON refunds (payment_id, created_at);
CREATE INDEX refunds_pending ON refunds (created_at) WHERE state = 'pending';

CREATE FUNCTION payment_transitions_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'payments: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER payment_transitions_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON payment_transitions
  FOR EACH STATEMENT EXECUTE FUNCTION payment_transitions_append_only();
`;


/**
 * Catalogue purchases (seed 001 §9.3): the user's order of a merchant's products, validated by the
 * merchant (a callback with a deadline, then a configured default, as M-Pesa's C2B validation),
 * then paid through an ordinary payment request.
 */
const purchases = `
CREATE TABLE merchant_validation_settings (
  merchant_id uuid PRIMARY KEY REFERENCES merchants (id),
  url text NOT NULL CHECK (char_length(url) <= 2048 AND url ~ '^https?://'),
  default_result text NOT NULL CHECK (default_result IN ('accept', 'reject')),
  timeout_ms integer NOT NULL CHECK (timeout_ms BETWEEN 500 AND 10000),
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE purchases (
  id uuid PRIMARY KEY,
  merchant_id uuid NOT NULL REFERENCES merchants (id),
  user_id uuid NOT NULL REFERENCES users (id),
  kind text NOT NULL CHECK (kind IN ('direct', 'escrow')),
  items jsonb NOT NULL,
  total bigint NOT NULL CHECK (total > 0),
  currency char(3) NOT NULL,
  state text NOT NULL CHECK (state IN ('validating', 'accepted', 'rejected')),
  decided_by text CHECK (decided_by IN ('merchant', 'default_no_endpoint', 'default_timeout', 'default_error')),
  reason text CHECK (char_length(reason) <= 128),
  deadline_at timestamptz NOT NULL,
  payment_id uuid REFERENCES payments (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT purchases_accepted_has_payment CHECK ((state = 'accepted') = (payment_id IS NOT NULL))
);
CREATE INDEX purchases_validating ON purchases (deadline_at) WHERE state = 'validating';
`;

export const paymentsMigrations: Migration[] = [
  { module: "payments", name: "0001_init", sql: init },
  { module: "payments", name: "0002_purchases", sql: purchases },
];
