import type { Migration } from "../../db/migrations.js";

/**
 * Settlement batches: one per merchant, currency and period, which pays the merchant's balance to its
 * linked bank account through the bank connector. A batch covers the merchant balance's postings
 * after the previous batch's cut up to its own cut (a posting sequence number, read in one snapshot
 * with the balance), so consecutive batches cover every posting exactly once.
 */
const init = `
CREATE TABLE settlement_batches (
  id uuid PRIMARY KEY,
  merchant_id uuid NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  period_start timestamptz NOT NULL,
  period_end timestamptz NOT NULL,
  account_id uuid NOT NULL,
  from_seq bigint NOT NULL CHECK (from_seq >= 0),
  to_seq bigint NOT NULL,
  opening_balance bigint NOT NULL,
  closing_balance bigint NOT NULL,
  held bigint NOT NULL CHECK (held >= 0),
  amount bigint NOT NULL CHECK (amount >= 0),
  breakdown text NOT NULL,
  state text NOT NULL CHECK (state IN ('empty', 'paying', 'paid', 'failed')),
  operation_id uuid UNIQUE,
  bank_reference text,
  reason text,
  created_at timestamptz NOT NULL DEFAULT now(),
  settled_at timestamptz,
  UNIQUE (merchant_id, currency, period_end),
  CHECK (to_seq >= from_seq),
  CHECK ((state = 'empty') = (amount = 0))
);
CREATE INDEX settlement_batches_merchant ON settlement_batches (merchant_id, currency, period_end DESC);
CREATE INDEX settlement_batches_paying ON settlement_batches (state) WHERE state = 'paying';
`;

export const settlementMigrations: Migration[] = [{ module: "settlement", name: "0001_init", sql: init }];
