import type { Migration } from "../../db/migrations.js";

/**
 * The ledger owns three tables. The rules in @obol/ledger decide; these constraints are the second
 * line of defence, so that even a bug in the code cannot store an unbalanced entry, an overdrawn
 * wallet, a changed posting or a pending transfer resolved twice.
 * Times are epoch milliseconds (bigint), exactly as the pure rules see them.
 */
const init = `
CREATE TABLE ledger_accounts (
  id uuid PRIMARY KEY,
  currency char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  kind text NOT NULL CHECK (kind ~ '^[a-z_]{1,32}$'),
  owner_type text NOT NULL CHECK (owner_type IN ('user', 'merchant', 'platform')),
  owner_id uuid,
  flags integer NOT NULL CHECK (flags IN (0, 1, 2)),
  frozen boolean NOT NULL DEFAULT false,
  debits_pending bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
  debits_posted bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
  credits_pending bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
  credits_posted bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ledger_accounts_owner CHECK ((owner_type = 'platform') = (owner_id IS NULL)),
  CONSTRAINT ledger_accounts_debits_must_not_exceed_credits
    CHECK ((flags & 1) = 0 OR debits_pending + debits_posted <= credits_posted),
  CONSTRAINT ledger_accounts_credits_must_not_exceed_debits
    CHECK ((flags & 2) = 0 OR credits_pending + credits_posted <= debits_posted),
  CONSTRAINT ledger_accounts_id_currency UNIQUE (id, currency)
);
CREATE UNIQUE INDEX ledger_accounts_owner_kind_currency
  ON ledger_accounts (owner_type, coalesce(owner_id, '00000000-0000-0000-0000-000000000000'), kind, currency);

CREATE TABLE ledger_transfers (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending')),
  debit_account_id uuid NOT NULL,
  credit_account_id uuid NOT NULL,
  amount bigint NOT NULL CHECK (amount > 0),
  currency char(3) NOT NULL,
  pending_id uuid REFERENCES ledger_transfers (id),
  timeout_ms bigint NOT NULL CHECK (timeout_ms >= 0),
  expires_at_ms bigint,
  code integer NOT NULL CHECK (code BETWEEN 1 AND 65535),
  user_data text CHECK (char_length(user_data) <= 64),
  created_at_ms bigint NOT NULL,
  pending_state text CHECK (pending_state IN ('pending', 'posted', 'voided', 'expired')),
  CONSTRAINT ledger_transfers_accounts_differ CHECK (debit_account_id <> credit_account_id),
  CONSTRAINT ledger_transfers_pending_state CHECK ((kind = 'pending') = (pending_state IS NOT NULL)),
  CONSTRAINT ledger_transfers_pending_id CHECK ((kind IN ('post_pending', 'void_pending')) = (pending_id IS NOT NULL)),
  FOREIGN KEY (debit_account_id, currency) REFERENCES ledger_accounts (id, currency),
  FOREIGN KEY (credit_account_id, currency) REFERENCES ledger_accounts (id, currency)
);
-- A pending transfer is posted or voided once.
CREATE UNIQUE INDEX ledger_transfers_resolved_once ON ledger_transfers (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ledger_transfers_due ON ledger_transfers (expires_at_ms) WHERE pending_state = 'pending';
CREATE INDEX ledger_transfers_pending_debit ON ledger_transfers (debit_account_id) WHERE pending_state = 'pending';
CREATE INDEX ledger_transfers_pending_credit ON ledger_transfers (credit_account_id) WHERE pending_state = 'pending';

CREATE TABLE ledger_postings (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  transfer_id uuid NOT NULL REFERENCES ledger_transfers (id),
  account_id uuid NOT NULL,
  currency char(3) NOT NULL,
  amount bigint NOT NULL CHECK (amount <> 0),
  FOREIGN KEY (account_id, currency) REFERENCES ledger_accounts (id, currency)
);
CREATE INDEX ledger_postings_account ON ledger_postings (account_id, seq);
CREATE INDEX ledger_postings_transfer ON ledger_postings (transfer_id);

-- Double entry, enforced by the database: the postings of one transfer, inserted by one
-- statement, sum to zero per currency.
CREATE FUNCTION ledger_postings_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM new_postings GROUP BY transfer_id, currency HAVING sum(amount) <> 0) THEN
    RAISE EXCEPTION 'ledger: unbalanced journal entry' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER ledger_postings_balanced AFTER INSERT ON ledger_postings
  REFERENCING NEW TABLE AS new_postings FOR EACH STATEMENT EXECUTE FUNCTION ledger_postings_balanced();

-- Postings are history: never updated, never deleted.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger: % is append-only', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_postings
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE OR TRUNCATE ON ledger_transfers
  FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- A stored transfer changes only in one way: a pending transfer leaves the pending state.
CREATE FUNCTION ledger_transfers_only_resolve() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.pending_state IS DISTINCT FROM 'pending' OR NEW.pending_state = 'pending'
     OR (to_jsonb(NEW) - 'pending_state') <> (to_jsonb(OLD) - 'pending_state') THEN
    RAISE EXCEPTION 'ledger: transfer % may not change', OLD.id USING ERRCODE = 'restrict_violation';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_transfers_only_resolve BEFORE UPDATE ON ledger_transfers
  FOR EACH ROW EXECUTE FUNCTION ledger_transfers_only_resolve();
`;

export const ledgerMigrations: Migration[] = [{ module: "ledger", name: "0001_init", sql: init }];
