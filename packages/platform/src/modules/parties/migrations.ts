import type { Migration } from "../../db/migrations.js";

/** The parties module owns who can hold money or act on the platform. */
const init = `
CREATE TABLE users (
  id uuid PRIMARY KEY,
  msisdn text NOT NULL UNIQUE CHECK (msisdn ~ '^\\+[1-9][0-9]{7,14}$'),
  display_name text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 64),
  password_hash text NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE merchants (
  id uuid PRIMARY KEY,
  legal_name text NOT NULL CHECK (char_length(legal_name) BETWEEN 1 AND 128),
  category char(4) NOT NULL CHECK (category ~ '^[0-9]{4}$'),
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'suspended')),
  created_at timestamptz NOT NULL DEFAULT now(),
  decided_at timestamptz,
  decided_by uuid
);

CREATE TABLE operators (
  id uuid PRIMARY KEY,
  username text NOT NULL UNIQUE CHECK (username ~ '^[a-z][a-z0-9_.-]{2,31}$'),
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('admin', 'risk', 'support')),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
  created_at timestamptz NOT NULL DEFAULT now()
);
`;

export const partiesMigrations: Migration[] = [{ module: "parties", name: "0001_init", sql: init }];
