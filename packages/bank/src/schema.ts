import type { BankDatabase } from "./db.js";

/**
 * The reference bank's tables. Forward-only: a change is a new entry, never an edit.
 *
 * Double entry inside the bank: every booked transaction writes entries (one per account side,
 * credits positive, debits negative) that sum to zero, checked by a constraint trigger at commit.
 * Balances are kept on the account row and may not go below zero, except on the bank's own funding
 * account per currency (where admin fundings come from).
 */
const init = `
CREATE TABLE bank_keys (
  name text PRIMARY KEY,
  sealed_private_key text NOT NULL,
  certificate bytea NOT NULL
);

CREATE TABLE bank_clients (
  id text PRIMARY KEY CHECK (id ~ '^[a-z][a-z0-9-]{0,31}$'),
  signing_certificate bytea NOT NULL,
  encryption_certificate bytea NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE bank_accounts (
  number text PRIMARY KEY CHECK (number ~ '^[A-Z0-9]{6,34}$'),
  currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  kind text NOT NULL CHECK (kind IN ('customer', 'settlement', 'funding')),
  holder_name text NOT NULL CHECK (char_length(holder_name) BETWEEN 1 AND 70),
  holder_msisdn text CHECK (holder_msisdn ~ '^\\+[1-9][0-9]{7,14}$'),
  client_id text REFERENCES bank_clients (id),
  balance bigint NOT NULL DEFAULT 0,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_at timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'funding' OR balance >= 0),
  CHECK ((kind = 'settlement') = (client_id IS NOT NULL))
);
CREATE UNIQUE INDEX bank_accounts_settlement ON bank_accounts (client_id, currency) WHERE kind = 'settlement';
CREATE UNIQUE INDEX bank_accounts_funding ON bank_accounts (currency) WHERE kind = 'funding';

CREATE TABLE bank_transactions (
  id bigserial PRIMARY KEY,
  reference text NOT NULL UNIQUE,
  client_id text REFERENCES bank_clients (id),
  kind text NOT NULL CHECK (kind IN ('debit', 'credit', 'reversal', 'fence', 'funding')),
  msg_id text,
  end_to_end_id text,
  request_hash bytea,
  status text NOT NULL CHECK (status IN ('ACSC', 'RJCT')),
  reason text CHECK (reason ~ '^[A-Z0-9]{4}$'),
  amount bigint NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  debit_account text REFERENCES bank_accounts (number),
  credit_account text REFERENCES bank_accounts (number),
  remittance text,
  original_id bigint REFERENCES bank_transactions (id),
  reversal_result text CHECK (reversal_result IN ('RVSD', 'CNCL', 'ORJT')),
  reversed_by bigint REFERENCES bank_transactions (id),
  booked_at timestamptz NOT NULL,
  UNIQUE (client_id, msg_id),
  CHECK ((status = 'RJCT') = (reason IS NOT NULL)),
  CHECK ((kind = 'reversal') = (original_id IS NOT NULL)),
  CHECK (kind <> 'fence' OR (status = 'RJCT' AND reason = 'CNCL'))
);

CREATE TABLE bank_entries (
  seq bigserial PRIMARY KEY,
  transaction_id bigint NOT NULL REFERENCES bank_transactions (id),
  account text NOT NULL REFERENCES bank_accounts (number),
  amount bigint NOT NULL CHECK (amount <> 0),
  booked_at timestamptz NOT NULL
);
CREATE INDEX bank_entries_account ON bank_entries (account, seq);
CREATE INDEX bank_entries_transaction ON bank_entries (transaction_id);

CREATE FUNCTION bank_entries_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT coalesce(sum(amount), 0) FROM bank_entries WHERE transaction_id = NEW.transaction_id) <> 0 THEN
    RAISE EXCEPTION 'bank: entries of transaction % do not sum to zero', NEW.transaction_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER bank_entries_balanced AFTER INSERT ON bank_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bank_entries_balanced();

CREATE FUNCTION bank_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'bank: entries are append-only' USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER bank_entries_append_only BEFORE UPDATE OR DELETE ON bank_entries
  FOR EACH STATEMENT EXECUTE FUNCTION bank_entries_append_only();

CREATE TABLE bank_links (
  client_id text NOT NULL REFERENCES bank_clients (id),
  link_id text NOT NULL,
  request_hash bytea NOT NULL,
  account text NOT NULL,
  currency text NOT NULL,
  method text NOT NULL CHECK (method IN ('msisdn', 'name')),
  status text NOT NULL CHECK (status IN ('pending', 'active', 'rejected')),
  reason text,
  mandate_id text UNIQUE,
  code_hash bytea,
  code_expires_at timestamptz,
  attempts_left integer NOT NULL DEFAULT 0 CHECK (attempts_left >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (client_id, link_id)
);

CREATE TABLE bank_customer_messages (
  id bigserial PRIMARY KEY,
  account text NOT NULL REFERENCES bank_accounts (number),
  body text NOT NULL,
  sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bank_customer_messages_account ON bank_customer_messages (account, id);

CREATE TABLE bank_nonces (
  nonce text PRIMARY KEY,
  message_id text NOT NULL UNIQUE,
  expires_at timestamptz NOT NULL
);
CREATE INDEX bank_nonces_expiry ON bank_nonces (expires_at);
`;

export const bankMigrations: ReadonlyArray<{ id: string; sql: string }> = [{ id: "0001_init", sql: init }];

export async function migrateBank(db: BankDatabase): Promise<void> {
  await db.query("CREATE TABLE IF NOT EXISTS bank_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
  for (const migration of bankMigrations) {
    await db.transaction(async (tx) => {
      // One bank process per database is the expected setup; the lock makes two starting at once safe.
      await tx.query("SELECT pg_advisory_xact_lock(7021829337151546731)");
      const done = await tx.query("SELECT 1 FROM bank_migrations WHERE id = $1", [migration.id]);
      if (done.length > 0) return;
      await tx.exec(migration.sql);
      await tx.query("INSERT INTO bank_migrations (id) VALUES ($1)", [migration.id]);
    });
  }
}
