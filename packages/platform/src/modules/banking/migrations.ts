import type { Migration } from "../../db/migrations.js";

/**
 * The bank connector's records:
 * - banking_links: a user's (or merchant's) bank account, verified by the bank, with the mandate
 *   that lets the platform debit it. At most one active link per party and currency.
 * - banking_operations: every debit or credit the platform asks of the bank, recorded BEFORE the
 *   first message is sent. The bank-side ids (MsgId, EndToEndId) are derived from the operation id,
 *   so every resend is the same instruction to the bank. `state` moves only along the transitions
 *   of operations.ts (checked by a trigger here too); a lease lets one process at a time drive it.
 */
const init = `
CREATE TABLE banking_links (
  id uuid PRIMARY KEY,
  party_type text NOT NULL CHECK (party_type IN ('user', 'merchant')),
  party_id uuid NOT NULL,
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  account_number text NOT NULL CHECK (account_number ~ '^[A-Z0-9]{6,34}$'),
  method text NOT NULL CHECK (method IN ('msisdn', 'name')),
  status text NOT NULL CHECK (status IN ('pending', 'active', 'failed', 'replaced')),
  mandate_id text CHECK (char_length(mandate_id) <= 35),
  holder_name text CHECK (char_length(holder_name) <= 70),
  reason text CHECK (char_length(reason) <= 64),
  attempts_left integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  activated_at timestamptz,
  CHECK (status <> 'active' OR holder_name IS NOT NULL)
);
CREATE UNIQUE INDEX banking_links_one_active ON banking_links (party_type, party_id, currency) WHERE status = 'active';
CREATE INDEX banking_links_party ON banking_links (party_type, party_id, created_at);

CREATE TABLE banking_operations (
  id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('debit', 'credit')),
  purpose text NOT NULL CHECK (purpose ~ '^[a-z][a-z0-9_]{0,31}$'),
  party_type text NOT NULL CHECK (party_type IN ('user', 'merchant')),
  party_id uuid NOT NULL,
  link_id uuid NOT NULL REFERENCES banking_links (id),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  amount bigint NOT NULL CHECK (amount > 0),
  remittance text NOT NULL CHECK (char_length(remittance) BETWEEN 1 AND 140),
  msg_id text NOT NULL UNIQUE,
  end_to_end_id text NOT NULL UNIQUE,
  reversal_msg_id text NOT NULL UNIQUE,
  state text NOT NULL CHECK (state IN ('pending', 'applied', 'completed', 'declined', 'reversing', 'reversed')),
  reason text CHECK (char_length(reason) <= 64),
  bank_reference text CHECK (char_length(bank_reference) <= 35),
  reversal_reference text CHECK (char_length(reversal_reference) <= 35),
  reversal_result text CHECK (reversal_result IN ('RVSD', 'CNCL', 'ORJT')),
  own_ledger boolean NOT NULL,
  hold_placed boolean NOT NULL DEFAULT false,
  attempts integer NOT NULL DEFAULT 0,
  first_sent_at timestamptz,
  next_attempt_at timestamptz NOT NULL,
  lease_until timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (state NOT IN ('applied', 'completed') OR bank_reference IS NOT NULL)
);
CREATE INDEX banking_operations_due ON banking_operations (next_attempt_at) WHERE state IN ('pending', 'reversing', 'applied');
CREATE INDEX banking_operations_party ON banking_operations (party_type, party_id, created_at);

CREATE FUNCTION banking_operation_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.state = OLD.state THEN RETURN NEW; END IF;
  IF (OLD.state, NEW.state) IN (('pending', 'applied'), ('pending', 'declined'), ('pending', 'reversing'), ('applied', 'completed'),
      ('applied', 'reversing'), ('reversing', 'reversed'), ('reversing', 'declined'), ('reversing', 'applied')) THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'banking: no transition from % to %', OLD.state, NEW.state USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER banking_operation_transition BEFORE UPDATE OF state ON banking_operations
  FOR EACH ROW EXECUTE FUNCTION banking_operation_transition();
`;

export const bankingMigrations: Migration[] = [{ module: "banking", name: "0001_init", sql: init }];
