import type { Migration } from "../../db/migrations.js";

/**
 * The e-cash module's tables: N's persistent state of svs-protocol.md §4, one table per map of the
 * @obol/svs PlatformState (registry, replay cache, W2 response cache, tokens, deposits), the wallets' inbox
 * of D2 confirmation requests, and an outbox of ledger moves with deterministic transfer ids. Every timer is a
 * column (refund_due_ms, expires_at_ms), so a restart loses none. Token and deposit entries hold secrets
 * (K_UN, the D4 key): they are stored sealed (AES-256-GCM, see sealed-entries.ts).
 */
const init = `
CREATE TABLE ecash_keys (
  name text PRIMARY KEY CHECK (name = 'seed'),
  sealed_private_key text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE ecash_registry (
  key text PRIMARY KEY CHECK (key ~ '^([0-9a-f]{2}){1,255}$'),
  id text NOT NULL,
  role text NOT NULL CHECK (role IN ('U', 'P')),
  account_id uuid NOT NULL REFERENCES ledger_accounts (id),
  status text NOT NULL CHECK (status IN ('ACTIVE', 'REVOKED')),
  not_after_ms bigint NOT NULL,
  entry text NOT NULL
);
CREATE UNIQUE INDEX ecash_registry_account_role ON ecash_registry (account_id, role);

CREATE TABLE ecash_replay (
  key text PRIMARY KEY,
  expires_at_ms bigint NOT NULL
);
CREATE INDEX ecash_replay_expiry ON ecash_replay (expires_at_ms);

CREATE TABLE ecash_withdrawal_responses (
  key text PRIMARY KEY,
  w1_hash bytea NOT NULL CHECK (octet_length(w1_hash) = 32),
  w2 bytea NOT NULL,
  expires_at_ms bigint NOT NULL
);
CREATE INDEX ecash_withdrawal_responses_expiry ON ecash_withdrawal_responses (expires_at_ms);

CREATE TABLE ecash_tokens (
  sn text PRIMARY KEY CHECK (sn ~ '^[0-9a-f]{32}$'),
  payee text NOT NULL,
  account_u uuid NOT NULL REFERENCES ledger_accounts (id),
  status text NOT NULL CHECK (status IN ('ISSUED', 'PARTIAL', 'SETTLED', 'DISPUTED', 'EXPIRED')),
  amount bigint NOT NULL CHECK (amount > 0),
  escrow bigint NOT NULL CHECK (escrow >= 0 AND escrow <= amount),
  refund_due_ms bigint NOT NULL,
  reservation_id uuid NOT NULL UNIQUE,
  sealed_entry bytea NOT NULL
);
CREATE INDEX ecash_tokens_open_by_payee ON ecash_tokens (payee) WHERE status IN ('ISSUED', 'PARTIAL');
CREATE INDEX ecash_tokens_refund_due ON ecash_tokens (refund_due_ms) WHERE status NOT IN ('SETTLED', 'EXPIRED');

CREATE TABLE ecash_deposits (
  dep_id text PRIMARY KEY CHECK (dep_id ~ '^[0-9a-f]{32}$'),
  id_p text NOT NULL,
  account_p uuid NOT NULL REFERENCES ledger_accounts (id),
  created_at_ms bigint NOT NULL,
  sealed_entry bytea NOT NULL
);

CREATE TABLE ecash_confirmations (
  dep_id text NOT NULL REFERENCES ecash_deposits (dep_id),
  sn text NOT NULL REFERENCES ecash_tokens (sn),
  account_u uuid NOT NULL,
  d2 bytea NOT NULL,
  state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'ANSWERED')),
  created_at_ms bigint NOT NULL,
  PRIMARY KEY (dep_id, sn)
);
CREATE INDEX ecash_confirmations_inbox ON ecash_confirmations (account_u, created_at_ms) WHERE state = 'PENDING';

CREATE TABLE ecash_ledger_moves (
  transfer_id uuid PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('withdraw', 'settle', 'refund')),
  sn text NOT NULL,
  dep_id text,
  pending_id uuid,
  debit_account_id uuid,
  credit_account_id uuid,
  amount bigint CHECK (amount > 0),
  state text NOT NULL DEFAULT 'PENDING' CHECK (state IN ('PENDING', 'APPLIED', 'FAILED')),
  created_at_ms bigint NOT NULL,
  done_at_ms bigint,
  CHECK ((kind = 'withdraw') = (pending_id IS NOT NULL)),
  CHECK ((kind = 'withdraw') = (amount IS NULL))
);
CREATE UNIQUE INDEX ecash_ledger_moves_reservation ON ecash_ledger_moves (pending_id) WHERE pending_id IS NOT NULL;
CREATE INDEX ecash_ledger_moves_pending ON ecash_ledger_moves (created_at_ms) WHERE state = 'PENDING';
`;

export const ecashMigrations: Migration[] = [{ module: "ecash", name: "0001_init", sql: init }];
