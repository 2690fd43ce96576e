import type { Migration } from "../../db/migrations.js";

/**
 * The wallet module's own record of a transfer: the sender's note. Keyed by the ledger transfer id;
 * written before the transfer is submitted, so a transfer the ledger holds never lacks its note.
 * char_length counts code points in a UTF-8 database, as parseNote does.
 */
const transferNotes = `
CREATE TABLE wallet_transfer_notes (
  transfer_id uuid PRIMARY KEY,
  note text NOT NULL CHECK (char_length(note) BETWEEN 1 AND 140),
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

export const walletMigrations: Migration[] = [{ module: "wallet", name: "0001_transfer_notes", sql: transferNotes }];
