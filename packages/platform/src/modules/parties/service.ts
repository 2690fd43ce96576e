import { randomUUID } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { LedgerService, StoredAccount } from "../ledger/index.js";
import { hashPassword } from "./passwords.js";

export type UserStatus = "active" | "suspended" | "closed";
export type MerchantStatus = "pending" | "approved" | "suspended";
export type OperatorRole = "admin" | "risk" | "support";

export interface User { id: string; msisdn: string; displayName: string; status: UserStatus; createdAt: string }
export interface Merchant { id: string; legalName: string; category: string; status: MerchantStatus; createdAt: string }
export interface Operator { id: string; username: string; role: OperatorRole; status: string }

/** Ledger account kinds that belong to parties. */
export const walletKind = "wallet";
export const merchantBalanceKind = "merchant_balance";

const uniqueViolation = "23505";

/**
 * Users, merchants and operators. Creating a user or merchant creates its ledger accounts (one per
 * currency the platform holds) in the same database transaction.
 */
export class PartiesService {
  constructor(private readonly db: Kysely<any>, private readonly ledger: LedgerService, private readonly currencies: readonly string[]) {}

  async createUser(input: { msisdn: string; displayName: string; password: string }): Promise<{ ok: true; user: User } | { ok: false; code: "ERR_MSISDN_TAKEN" }> {
    const id = randomUUID();
    const passwordHash = await hashPassword(input.password);
    try {
      await this.db.transaction().execute(async (trx) => {
        await sql`INSERT INTO users (id, msisdn, display_name, password_hash) VALUES (${id}::uuid, ${input.msisdn}, ${input.displayName}, ${passwordHash})`.execute(trx);
        for (const currency of this.currencies) {
          await this.ledger.createAccount(trx, { id: randomUUID(), currency, kind: walletKind, ownerType: "user", ownerId: id, mustNotOverdraw: true });
        }
      });
    } catch (error) {
      if ((error as { code?: string }).code === uniqueViolation) return { ok: false, code: "ERR_MSISDN_TAKEN" };
      throw error;
    }
    return { ok: true, user: (await this.userById(id))! };
  }

  async createMerchant(input: { legalName: string; category: string }): Promise<Merchant> {
    const id = randomUUID();
    await this.db.transaction().execute(async (trx) => {
      await sql`INSERT INTO merchants (id, legal_name, category) VALUES (${id}::uuid, ${input.legalName}, ${input.category})`.execute(trx);
      for (const currency of this.currencies) {
        await this.ledger.createAccount(trx, { id: randomUUID(), currency, kind: merchantBalanceKind, ownerType: "merchant", ownerId: id, mustNotOverdraw: true });
      }
    });
    return (await this.merchantById(id))!;
  }

  /** pending -> approved, approved <-> suspended; anything else is refused. */
  async decideMerchant(id: string, to: "approved" | "suspended", operatorId: string): Promise<{ ok: true; merchant: Merchant } | { ok: false; code: "ERR_MERCHANT_NOT_FOUND" | "ERR_MERCHANT_STATE" }> {
    const from = to === "approved" ? ["pending", "suspended"] : ["approved", "pending"];
    const result = await sql`
      UPDATE merchants SET status = ${to}, decided_at = now(), decided_by = ${operatorId}::uuid
      WHERE id = ${id}::uuid AND status = ANY(${from}::text[])`.execute(this.db);
    if ((result.numAffectedRows ?? 0n) === 0n) {
      return (await this.merchantById(id)) === undefined ? { ok: false, code: "ERR_MERCHANT_NOT_FOUND" } : { ok: false, code: "ERR_MERCHANT_STATE" };
    }
    return { ok: true, merchant: (await this.merchantById(id))! };
  }

  async createOperator(input: { username: string; password: string; role: OperatorRole }): Promise<{ ok: true; operator: Operator } | { ok: false; code: "ERR_USERNAME_TAKEN" }> {
    const id = randomUUID();
    try {
      await sql`INSERT INTO operators (id, username, password_hash, role) VALUES (${id}::uuid, ${input.username}, ${await hashPassword(input.password)}, ${input.role})`.execute(this.db);
    } catch (error) {
      if ((error as { code?: string }).code === uniqueViolation) return { ok: false, code: "ERR_USERNAME_TAKEN" };
      throw error;
    }
    return { ok: true, operator: { id, username: input.username, role: input.role, status: "active" } };
  }

  async userById(id: string): Promise<User | undefined> {
    return (await sql<UserRow>`SELECT id, msisdn, display_name, status, created_at FROM users WHERE id = ${id}::uuid`.execute(this.db)).rows.map(user)[0];
  }

  async userByMsisdn(msisdn: string): Promise<(User & { passwordHash: string }) | undefined> {
    const rows = (await sql<UserRow & { password_hash: string }>`SELECT * FROM users WHERE msisdn = ${msisdn}`.execute(this.db)).rows;
    return rows.map((r) => ({ ...user(r), passwordHash: r.password_hash }))[0];
  }

  /** Users by id, for naming counterparties; unknown ids are left out. */
  async usersByIds(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    return (await sql<UserRow>`SELECT id, msisdn, display_name, status, created_at FROM users WHERE id = ANY(${[...ids]}::uuid[])`.execute(this.db)).rows.map(user);
  }

  async merchantsByIds(ids: readonly string[]): Promise<Merchant[]> {
    if (ids.length === 0) return [];
    return (await sql<MerchantRow>`SELECT * FROM merchants WHERE id = ANY(${[...ids]}::uuid[])`.execute(this.db)).rows.map(merchant);
  }

  async userPasswordHash(userId: string): Promise<string | undefined> {
    return (await sql<{ password_hash: string }>`SELECT password_hash FROM users WHERE id = ${userId}::uuid`.execute(this.db)).rows[0]?.password_hash;
  }

  /**
   * Replaces a user's password hash inside the caller's transaction (the auth module revokes the
   * user's other sessions in the same one). False when the hash is no longer `expectedHash`: a
   * concurrent change won, and this one must not silently undo it.
   */
  async replaceUserPasswordHash(executor: Kysely<any>, userId: string, expectedHash: string, newHash: string): Promise<boolean> {
    const updated = await sql`UPDATE users SET password_hash = ${newHash} WHERE id = ${userId}::uuid AND password_hash = ${expectedHash}`.execute(executor);
    return (updated.numAffectedRows ?? 0n) === 1n;
  }

  async operatorByUsername(username: string): Promise<(Operator & { passwordHash: string }) | undefined> {
    const rows = (await sql<{ id: string; username: string; role: OperatorRole; status: string; password_hash: string }>`
      SELECT id, username, role, status, password_hash FROM operators WHERE username = ${username}`.execute(this.db)).rows;
    return rows.map((r) => ({ id: r.id, username: r.username, role: r.role, status: r.status, passwordHash: r.password_hash }))[0];
  }

  async merchantById(id: string): Promise<Merchant | undefined> {
    return (await sql<MerchantRow>`SELECT * FROM merchants WHERE id = ${id}::uuid`.execute(this.db)).rows.map(merchant)[0];
  }

  async listMerchants(filter: { status?: MerchantStatus; limit: number; after?: string }): Promise<Merchant[]> {
    const rows = (await sql<MerchantRow>`
      SELECT * FROM merchants
      WHERE (${filter.status ?? null}::text IS NULL OR status = ${filter.status ?? null})
        AND (${filter.after ?? null}::uuid IS NULL OR id > ${filter.after ?? null}::uuid)
      ORDER BY id LIMIT ${filter.limit}`.execute(this.db)).rows;
    return rows.map(merchant);
  }

  async countUsers(): Promise<number> {
    return Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM users`.execute(this.db)).rows[0]!.n);
  }

  wallets(userId: string): Promise<StoredAccount[]> {
    return this.ledger.accountsOf("user", userId);
  }
}

interface UserRow { id: string; msisdn: string; display_name: string; status: UserStatus; created_at: Date }
interface MerchantRow { id: string; legal_name: string; category: string; status: MerchantStatus; created_at: Date }

function user(r: UserRow): User {
  return { id: r.id, msisdn: r.msisdn, displayName: r.display_name, status: r.status, createdAt: new Date(r.created_at).toISOString() };
}

function merchant(r: MerchantRow): Merchant {
  return { id: r.id, legalName: r.legal_name, category: r.category, status: r.status, createdAt: new Date(r.created_at).toISOString() };
}
