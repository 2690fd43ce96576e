import { createHash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import type { BankDatabase, Sql } from "./db.js";
import type { PaymentInstruction, ReversalRequest, ReversalResult, StatementEntry, LinkRequest, OriginalMessageName } from "./messages/index.js";

/**
 * The reference bank's books: customer and settlement accounts with integer minor-unit balances,
 * double entry (entries of a transaction sum to zero; checked again by the database at commit), and
 * idempotency by the client's MsgId: a transaction is recorded once with its outcome, booked or
 * rejected, and the same MsgId always gets that outcome back.
 */
export type TransactionKind = "debit" | "credit" | "reversal" | "fence" | "funding";

export interface TransactionOutcome {
  readonly kind: TransactionKind;
  readonly msgId: string;
  readonly endToEndId: string | null;
  readonly status: "ACSC" | "RJCT";
  readonly reason: string | null;
  /** AcctSvcrRef: the bank's reference of the transaction (booked or not). */
  readonly reference: string;
  readonly bookedAt: Date;
  readonly amount: bigint;
  readonly currency: string;
  readonly reversalResult: ReversalResult | null;
}

/** The same MsgId (or link id) came back with different content: refused, nothing recorded. */
export type Mismatch = { mismatch: true };

export function messageNameOf(kind: TransactionKind): OriginalMessageName | undefined {
  return kind === "debit" ? "pain.008" : kind === "credit" ? "pain.001" : kind === "reversal" ? "pacs.007" : undefined;
}

export interface AccountRow {
  number: string;
  currency: string;
  kind: "customer" | "settlement" | "funding";
  holder_name: string;
  holder_msisdn: string | null;
  client_id: string | null;
  balance: bigint;
  status: "open" | "closed";
}

interface TransactionRow {
  id: bigint;
  reference: string;
  client_id: string | null;
  kind: TransactionKind;
  msg_id: string;
  end_to_end_id: string | null;
  request_hash: Uint8Array | null;
  status: "ACSC" | "RJCT";
  reason: string | null;
  amount: bigint;
  currency: string;
  debit_account: string | null;
  credit_account: string | null;
  reversal_result: ReversalResult | null;
  reversed_by: bigint | null;
  booked_at: Date;
}

export interface LinkOutcome {
  readonly status: "PDNG" | "ACTV" | "RJCT";
  readonly reason?: string | undefined;
  readonly attemptsLeft?: number | undefined;
  readonly mandateId?: string | undefined;
  readonly holderName?: string | undefined;
}

export const linkCodeTtlMs = 10 * 60_000;
export const linkCodeAttemptsMax = 5;
const uniqueViolation = "23505";
const uniqueRetriesMax = 3;

/** SHA-256 over the fields that define an instruction (not its creation time: a resend may differ there). */
export function instructionHash(p: PaymentInstruction): Buffer {
  return hashOf(["payment", p.direction, p.header.msgId, p.endToEndId, p.amount.toString(), p.currency, p.remittance, p.customerAccount, p.mandateId ?? ""]);
}

export function reversalHash(r: ReversalRequest): Buffer {
  return hashOf(["reversal", r.header.msgId, r.originalMsgId, r.originalEndToEndId, r.amount.toString(), r.currency, r.reason]);
}

export function linkHash(r: LinkRequest): Buffer {
  return hashOf(["link", r.linkId, r.currency, r.accountNumber, r.msisdn ?? "", r.holderName ?? ""]);
}

function hashOf(parts: string[]): Buffer {
  return createHash("sha256").update(parts.join("\n")).digest();
}

function sameHash(stored: Uint8Array | null, hash: Uint8Array): boolean {
  return stored !== null && Buffer.from(stored).equals(Buffer.from(hash));
}

export class BankBooks {
  constructor(private readonly db: BankDatabase, private readonly clock: () => number = Date.now) {}

  // ---- accounts (admin) -------------------------------------------------------------------------

  async openAccount(input: { number?: string; currency: string; holderName: string; msisdn?: string }): Promise<AccountRow> {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const number = input.number ?? `RB${String(randomInt(0, 1e10)).padStart(10, "0")}`;
      const rows = await this.db.query<AccountRow>(
        `INSERT INTO bank_accounts (number, currency, kind, holder_name, holder_msisdn) VALUES ($1, $2, 'customer', $3, $4)
         ON CONFLICT DO NOTHING RETURNING *`, [number, input.currency, input.holderName, input.msisdn ?? null]);
      if (rows[0] !== undefined) return rows[0];
      if (input.number !== undefined) throw new BooksError("ERR_BANK_ACCOUNT_EXISTS", "an account with this number exists");
    }
    throw new Error("could not draw a free account number");
  }

  async account(number: string): Promise<AccountRow | undefined> {
    return (await this.db.query<AccountRow>("SELECT * FROM bank_accounts WHERE number = $1", [number]))[0];
  }

  async closeAccount(number: string): Promise<boolean> {
    return (await this.db.query("UPDATE bank_accounts SET status = 'closed' WHERE number = $1 AND kind = 'customer' RETURNING 1", [number])).length === 1;
  }

  /** Money into a customer account from the bank's funding account (demo and tests). */
  async fund(number: string, amount: bigint): Promise<TransactionOutcome> {
    if (amount <= 0n) throw new BooksError("ERR_BANK_AMOUNT", "amount must be positive");
    return this.db.transaction(async (tx) => {
      const account = (await tx.query<AccountRow>("SELECT * FROM bank_accounts WHERE number = $1 FOR UPDATE", [number]))[0];
      if (account === undefined || account.kind !== "customer" || account.status !== "open") throw new BooksError("ERR_BANK_ACCOUNT_NOT_FOUND", "no open customer account with this number");
      const funding = await this.fundingAccount(tx, account.currency);
      const now = new Date(this.clock());
      const row = await this.insertTransaction(tx, {
        kind: "funding", clientId: null, msgId: null, endToEndId: null, hash: null, status: "ACSC", reason: null, amount, currency: account.currency,
        debit: funding, credit: number, remittance: "Funding", originalId: null, reversalResult: null, now,
      });
      await this.book(tx, row.id, funding, number, amount, now);
      return outcomeOf(row);
    });
  }

  /** Messages the bank sent the holder of an account (its own channel: link codes). */
  async customerMessages(number: string): Promise<{ body: string; sentAt: Date }[]> {
    const rows = await this.db.query<{ body: string; sent_at: Date }>("SELECT body, sent_at FROM bank_customer_messages WHERE account = $1 ORDER BY id DESC LIMIT 20", [number]);
    return rows.map((r) => ({ body: r.body, sentAt: r.sent_at }));
  }

  /** The entries of an account, oldest first (tests and the admin view). */
  async entries(number: string, limit = 1000): Promise<{ seq: bigint; amount: bigint; reference: string; kind: TransactionKind; msgId: string | null; endToEndId: string | null; bookedAt: Date }[]> {
    const rows = await this.db.query<{ seq: bigint; amount: bigint; reference: string; kind: TransactionKind; msg_id: string | null; end_to_end_id: string | null; booked_at: Date }>(
      `SELECT e.seq, e.amount, t.reference, t.kind, t.msg_id, t.end_to_end_id, e.booked_at FROM bank_entries e JOIN bank_transactions t ON t.id = e.transaction_id
       WHERE e.account = $1 ORDER BY e.seq LIMIT $2`, [number, limit]);
    return rows.map((r) => ({ seq: r.seq, amount: r.amount, reference: r.reference, kind: r.kind, msgId: r.msg_id, endToEndId: r.end_to_end_id, bookedAt: r.booked_at }));
  }

  // ---- clients ------------------------------------------------------------------------------------

  async registerClient(id: string, signingDer: Uint8Array, encryptionDer: Uint8Array): Promise<void> {
    await this.db.query(
      `INSERT INTO bank_clients (id, signing_certificate, encryption_certificate) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET signing_certificate = EXCLUDED.signing_certificate, encryption_certificate = EXCLUDED.encryption_certificate`,
      [id, Buffer.from(signingDer), Buffer.from(encryptionDer)]);
  }

  async client(id: string): Promise<{ signing: Uint8Array; encryption: Uint8Array } | undefined> {
    const row = (await this.db.query<{ signing_certificate: Uint8Array; encryption_certificate: Uint8Array }>(
      "SELECT signing_certificate, encryption_certificate FROM bank_clients WHERE id = $1", [id]))[0];
    return row === undefined ? undefined : { signing: new Uint8Array(row.signing_certificate), encryption: new Uint8Array(row.encryption_certificate) };
  }

  /** The client's settlement account in a currency (opened on first use), with its balance. */
  async settlementAccount(clientId: string, currency: string): Promise<AccountRow> {
    return this.db.transaction(async (tx) => {
      const number = await this.settlementNumber(tx, clientId, currency);
      return (await tx.query<AccountRow>("SELECT * FROM bank_accounts WHERE number = $1", [number]))[0]!;
    });
  }

  // ---- payments ---------------------------------------------------------------------------------

  /** A debit or credit instruction: booked (ACSC) or rejected (RJCT), once per MsgId. */
  async instruct(clientId: string, p: PaymentInstruction, options: { decline?: string | undefined } = {}): Promise<TransactionOutcome | Mismatch> {
    const hash = instructionHash(p);
    return this.retryOnRace(() => this.db.transaction(async (tx) => {
      const existing = await this.byMsgId(tx, clientId, p.header.msgId);
      if (existing !== undefined) return existing.kind === p.direction || existing.kind === "fence" ? replay(existing, hash) : { mismatch: true };

      const settlement = await this.settlementNumber(tx, clientId, p.currency);
      const [debit, credit] = p.direction === "debit" ? [p.customerAccount, settlement] : [settlement, p.customerAccount];
      const accounts = await this.lock(tx, [debit, credit]);
      const customer = accounts.get(p.customerAccount);
      const reason = options.decline ?? await this.refusal(tx, clientId, p, customer, accounts.get(debit));
      const now = new Date(this.clock());
      const row = await this.insertTransaction(tx, {
        kind: p.direction, clientId, msgId: p.header.msgId, endToEndId: p.endToEndId, hash, status: reason === undefined ? "ACSC" : "RJCT", reason: reason ?? null,
        amount: p.amount, currency: p.currency, debit: accounts.has(debit) ? debit : null, credit: accounts.has(credit) ? credit : null,
        remittance: p.remittance, originalId: null, reversalResult: null, now,
      });
      if (reason === undefined) await this.book(tx, row.id, debit, credit, p.amount, now);
      return outcomeOf(row);
    }));
  }

  /** Why an instruction cannot be booked (an ISO reason code), or undefined when it can. */
  private async refusal(tx: Sql, clientId: string, p: PaymentInstruction, customer: AccountRow | undefined, payer: AccountRow | undefined): Promise<string | undefined> {
    if (customer === undefined || customer.kind !== "customer") return "AC01"; // IncorrectAccountNumber
    if (customer.status !== "open") return "AC04"; // ClosedAccountNumber
    if (customer.currency !== p.currency) return "AM03"; // NotAllowedCurrency
    if (p.mandateId !== undefined) {
      const mandate = await tx.query("SELECT 1 FROM bank_links WHERE client_id = $1 AND mandate_id = $2 AND account = $3 AND status = 'active'", [clientId, p.mandateId, customer.number]);
      if (mandate.length === 0) return "MD01"; // NoMandate
    }
    const twin = await tx.query("SELECT 1 FROM bank_transactions WHERE client_id = $1 AND end_to_end_id = $2 AND kind IN ('debit', 'credit')", [clientId, p.endToEndId]);
    if (twin.length > 0) return "AM05"; // Duplication: the same EndToEndId under another MsgId
    if (payer !== undefined && payer.kind !== "funding" && payer.balance < p.amount) return "AM04"; // InsufficientFunds
    return undefined;
  }

  /**
   * A reversal of an earlier debit or credit of this client. Booked originals are reversed (the
   * money goes back); unknown ones are fenced, so they are rejected if they ever arrive; rejected
   * ones need nothing. Once per reversal MsgId.
   */
  async reverse(clientId: string, r: ReversalRequest, options: { decline?: string | undefined } = {}): Promise<TransactionOutcome | Mismatch> {
    const hash = reversalHash(r);
    return this.retryOnRace(() => this.db.transaction(async (tx) => {
      const existing = await this.byMsgId(tx, clientId, r.header.msgId);
      if (existing !== undefined) return existing.kind === "reversal" ? replay(existing, hash) : { mismatch: true };
      const now = new Date(this.clock());
      const record = (originalId: bigint, status: "ACSC" | "RJCT", reason: string | null, result: ReversalResult | null, debit: string | null, credit: string | null) =>
        this.insertTransaction(tx, {
          kind: "reversal", clientId, msgId: r.header.msgId, endToEndId: r.originalEndToEndId, hash, status, reason, amount: r.amount, currency: r.currency,
          debit, credit, remittance: "Reversal", originalId, reversalResult: result, now,
        });

      const original = (await tx.query<TransactionRow>("SELECT * FROM bank_transactions WHERE client_id = $1 AND msg_id = $2 FOR UPDATE", [clientId, r.originalMsgId]))[0];
      if (original === undefined) {
        const fence = await this.insertTransaction(tx, {
          kind: "fence", clientId, msgId: r.originalMsgId, endToEndId: r.originalEndToEndId, hash: null, status: "RJCT", reason: "CNCL", amount: r.amount, currency: r.currency,
          debit: null, credit: null, remittance: null, originalId: null, reversalResult: null, now,
        });
        return outcomeOf(await record(fence.id, "ACSC", null, "CNCL", null, null));
      }
      if (original.kind === "fence") return outcomeOf(await record(original.id, "ACSC", null, "CNCL", null, null));
      if (original.kind !== "debit" && original.kind !== "credit") return outcomeOf(await record(original.id, "RJCT", "NARR", null, null, null));
      if (original.amount !== r.amount || original.currency !== r.currency || original.end_to_end_id !== r.originalEndToEndId) {
        return outcomeOf(await record(original.id, "RJCT", "AM09", null, null, null)); // WrongAmount: not the transaction the client thinks
      }
      if (original.status === "RJCT") return outcomeOf(await record(original.id, "ACSC", null, "ORJT", null, null));
      if (original.reversed_by !== null) return outcomeOf(await record(original.id, "ACSC", null, "RVSD", null, null));
      // The reversal moves the money back: it debits the account the original credited.
      const debit = original.credit_account!;
      const credit = original.debit_account!;
      const accounts = await this.lock(tx, [debit, credit]);
      const payer = accounts.get(debit)!;
      const reason = options.decline ?? (payer.kind !== "funding" && payer.balance < original.amount ? "AM04" : undefined);
      if (reason !== undefined) return outcomeOf(await record(original.id, "RJCT", reason, null, debit, credit));
      const row = await record(original.id, "ACSC", null, "RVSD", debit, credit);
      await this.book(tx, row.id, debit, credit, original.amount, now);
      await tx.query("UPDATE bank_transactions SET reversed_by = $1 WHERE id = $2", [row.id, original.id]);
      return outcomeOf(row);
    }));
  }

  /** The outcome recorded under a client's MsgId, if any (pacs.028). */
  async status(clientId: string, msgId: string): Promise<TransactionOutcome | undefined> {
    return this.byMsgId(this.db, clientId, msgId).then((row) => (row === undefined ? undefined : outcomeOf(row)));
  }

  /** The entries of the client's settlement account after `afterEntry` (camt.053), at most `entriesMax`. */
  async statement(clientId: string, currency: string, afterEntry: bigint, entriesMax: number): Promise<{
    account: AccountRow; opening: bigint; closing: bigint; entries: StatementEntry[]; lastPage: boolean;
  }> {
    const account = await this.settlementAccount(clientId, currency);
    const rows = await this.db.query<{ seq: bigint; amount: bigint; booked_at: Date; reference: string; msg_id: string | null; end_to_end_id: string | null; remittance: string | null }>(
      `SELECT e.seq, e.amount, e.booked_at, t.reference, t.msg_id, t.end_to_end_id, t.remittance
       FROM bank_entries e JOIN bank_transactions t ON t.id = e.transaction_id
       WHERE e.account = $1 AND e.seq > $2 ORDER BY e.seq LIMIT $3`, [account.number, afterEntry.toString(), entriesMax + 1]);
    const opening = (await this.db.query<{ s: bigint }>("SELECT coalesce(sum(amount), 0)::bigint AS s FROM bank_entries WHERE account = $1 AND seq <= $2", [account.number, afterEntry.toString()]))[0]!.s;
    const page = rows.slice(0, entriesMax);
    const entries = page.map((r): StatementEntry => ({
      entryRef: r.seq, amount: r.amount < 0n ? -r.amount : r.amount, side: r.amount < 0n ? "DBIT" : "CRDT", bookedAt: r.booked_at.toISOString(),
      bankReference: r.reference, msgId: r.msg_id ?? undefined, endToEndId: r.end_to_end_id ?? undefined, remittance: r.remittance ?? undefined,
    }));
    const closing = page.reduce((sum, r) => sum + r.amount, opening);
    return { account, opening, closing, entries, lastPage: rows.length <= entriesMax };
  }

  // ---- links and mandates -------------------------------------------------------------------------

  async link(clientId: string, r: LinkRequest, options: { decline?: boolean } = {}): Promise<LinkOutcome | Mismatch> {
    const hash = linkHash(r);
    return this.retryOnRace(() => this.db.transaction(async (tx) => {
      const existing = (await tx.query<LinkRow>("SELECT * FROM bank_links WHERE client_id = $1 AND link_id = $2", [clientId, r.linkId]))[0];
      if (existing !== undefined) return sameHash(existing.request_hash, hash) ? linkOutcome(existing, await this.holderOf(tx, existing.account)) : { mismatch: true };
      const account = (await tx.query<AccountRow>("SELECT * FROM bank_accounts WHERE number = $1", [r.accountNumber]))[0];
      const verified = options.decline !== true && account !== undefined && account.kind === "customer" && account.status === "open" && account.currency === r.currency
        && (r.msisdn !== undefined ? account.holder_msisdn === r.msisdn : sameName(account.holder_name, r.holderName!));
      const insert = (status: string, reason: string | null, extra: { code?: string; mandate?: string } = {}) => tx.query<LinkRow>(
        `INSERT INTO bank_links (client_id, link_id, request_hash, account, currency, method, status, reason, mandate_id, code_hash, code_expires_at, attempts_left)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
        [clientId, r.linkId, hash, r.accountNumber, r.currency, r.msisdn !== undefined ? "msisdn" : "name", status, reason, extra.mandate ?? null,
          extra.code === undefined ? null : codeHash(r.linkId, extra.code), extra.code === undefined ? null : new Date(this.clock() + linkCodeTtlMs),
          extra.code === undefined ? 0 : linkCodeAttemptsMax]);
      if (!verified) return linkOutcome((await insert("rejected", "NVRF"))[0]!, undefined);
      if (r.holderName !== undefined) return linkOutcome((await insert("active", null))[0]!, account.holder_name);
      const code = String(randomInt(0, 1_000_000)).padStart(6, "0");
      const row = (await insert("pending", null, { code }))[0]!;
      await tx.query("INSERT INTO bank_customer_messages (account, body) VALUES ($1, $2)", [account.number,
        `Reference Bank: your code to link account ending ${account.number.slice(-4)} to ${clientId} is ${code}. It expires in ${linkCodeTtlMs / 60_000} minutes. Never share it with anyone else.`]);
      return linkOutcome(row, undefined);
    }));
  }

  async confirmLink(clientId: string, linkId: string, code: string): Promise<LinkOutcome> {
    return this.db.transaction(async (tx) => {
      const link = (await tx.query<LinkRow>("SELECT * FROM bank_links WHERE client_id = $1 AND link_id = $2 FOR UPDATE", [clientId, linkId]))[0];
      if (link === undefined) return { status: "RJCT", reason: "NVRF" };
      if (link.status !== "pending") return linkOutcome(link, await this.holderOf(tx, link.account));
      const update = async (set: string, params: unknown[]) => (await tx.query<LinkRow>(`UPDATE bank_links SET ${set} WHERE client_id = $1 AND link_id = $2 RETURNING *`, [clientId, linkId, ...params]))[0]!;
      if (link.code_expires_at === null || link.code_expires_at.getTime() <= this.clock()) {
        return linkOutcome(await update("status = 'rejected', reason = 'CDXP'", []), undefined);
      }
      if (!timingSafeEqual(Buffer.from(link.code_hash!), codeHash(linkId, code))) {
        const left = link.attempts_left - 1;
        if (left <= 0) return linkOutcome(await update("status = 'rejected', reason = 'CDLK', attempts_left = 0", []), undefined);
        await update("attempts_left = $3", [left]);
        return { status: "RJCT", reason: "CDWR", attemptsLeft: left };
      }
      const mandate = `MD${randomBytes(12).toString("hex").toUpperCase()}`;
      const row = await update("status = 'active', mandate_id = $3, code_hash = NULL", [mandate]);
      return linkOutcome(row, await this.holderOf(tx, link.account));
    });
  }

  // ---- proof --------------------------------------------------------------------------------------

  /** Every balance equals the sum of its entries, and all balances together are zero (double entry). */
  async verify(): Promise<{ accounts: number; total: bigint; mismatched: string[] }> {
    const rows = await this.db.query<{ number: string; balance: bigint; computed: bigint }>(
      `SELECT a.number, a.balance, coalesce((SELECT sum(amount) FROM bank_entries e WHERE e.account = a.number), 0)::bigint AS computed FROM bank_accounts a`);
    return { accounts: rows.length, total: rows.reduce((sum, r) => sum + r.balance, 0n), mismatched: rows.filter((r) => r.balance !== r.computed).map((r) => r.number) };
  }

  // ---- internals ----------------------------------------------------------------------------------

  private async byMsgId(sql: Sql, clientId: string, msgId: string): Promise<TransactionRow | undefined> {
    return (await sql.query<TransactionRow>("SELECT * FROM bank_transactions WHERE client_id = $1 AND msg_id = $2", [clientId, msgId]))[0];
  }

  private async lock(tx: Sql, numbers: string[]): Promise<Map<string, AccountRow>> {
    // Always in number order: two transactions never wait on each other in a cycle.
    const rows = await tx.query<AccountRow>("SELECT * FROM bank_accounts WHERE number = ANY($1::text[]) ORDER BY number FOR UPDATE", [[...new Set(numbers)].sort()]);
    return new Map(rows.map((r) => [r.number, r]));
  }

  private async settlementNumber(tx: Sql, clientId: string, currency: string): Promise<string> {
    const number = `ST${clientId.replace(/[^a-z0-9]/g, "").toUpperCase().slice(0, 24)}${currency}`;
    await tx.query(
      `INSERT INTO bank_accounts (number, currency, kind, holder_name, client_id) VALUES ($1, $2, 'settlement', $3, $4) ON CONFLICT DO NOTHING`,
      [number, currency, `${clientId} settlement account`, clientId]);
    return number;
  }

  private async fundingAccount(tx: Sql, currency: string): Promise<string> {
    const number = `FUNDING${currency}`;
    await tx.query(`INSERT INTO bank_accounts (number, currency, kind, holder_name) VALUES ($1, $2, 'funding', 'Reference Bank funding') ON CONFLICT DO NOTHING`, [number, currency]);
    return number;
  }

  private async holderOf(sql: Sql, number: string): Promise<string | undefined> {
    return (await sql.query<{ holder_name: string }>("SELECT holder_name FROM bank_accounts WHERE number = $1", [number]))[0]?.holder_name;
  }

  private async insertTransaction(tx: Sql, t: {
    kind: TransactionKind; clientId: string | null; msgId: string | null; endToEndId: string | null; hash: Uint8Array | null; status: "ACSC" | "RJCT"; reason: string | null;
    amount: bigint; currency: string; debit: string | null; credit: string | null; remittance: string | null; originalId: bigint | null; reversalResult: ReversalResult | null; now: Date;
  }): Promise<TransactionRow> {
    const id = (await tx.query<{ id: bigint }>("SELECT nextval('bank_transactions_id_seq') AS id"))[0]!.id;
    const rows = await tx.query<TransactionRow>(
      `INSERT INTO bank_transactions (id, reference, client_id, kind, msg_id, end_to_end_id, request_hash, status, reason, amount, currency, debit_account, credit_account, remittance, original_id, reversal_result, booked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING *`,
      [id.toString(), `RB${id.toString().padStart(14, "0")}`, t.clientId, t.kind, t.msgId, t.endToEndId, t.hash === null ? null : Buffer.from(t.hash), t.status, t.reason,
        t.amount.toString(), t.currency, t.debit, t.credit, t.remittance, t.originalId?.toString() ?? null, t.reversalResult, t.now]);
    return rows[0]!;
  }

  /** Two entries, −amount and +amount; balances move with them. Overdrafts fail the CHECK: a bug here, never input. */
  private async book(tx: Sql, transactionId: bigint, debit: string, credit: string, amount: bigint, now: Date): Promise<void> {
    await tx.query("UPDATE bank_accounts SET balance = balance - $2 WHERE number = $1", [debit, amount.toString()]);
    await tx.query("UPDATE bank_accounts SET balance = balance + $2 WHERE number = $1", [credit, amount.toString()]);
    await tx.query("INSERT INTO bank_entries (transaction_id, account, amount, booked_at) VALUES ($1, $2, $3, $5), ($1, $4, $6, $5)",
      [transactionId.toString(), debit, (-amount).toString(), credit, now, amount.toString()]);
  }

  /** Two first sightings of one MsgId at once: the loser's insert hits the unique index; run it again to find the winner's. */
  private async retryOnRace<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await work();
      } catch (error) {
        if ((error as { code?: string }).code !== uniqueViolation || attempt >= uniqueRetriesMax) throw error;
      }
    }
  }
}

interface LinkRow {
  link_id: string;
  request_hash: Uint8Array;
  account: string;
  status: "pending" | "active" | "rejected";
  reason: string | null;
  mandate_id: string | null;
  code_hash: Uint8Array | null;
  code_expires_at: Date | null;
  attempts_left: number;
}

function linkOutcome(row: LinkRow, holderName: string | undefined): LinkOutcome {
  switch (row.status) {
    case "pending": return { status: "PDNG", attemptsLeft: row.attempts_left };
    case "active": return { status: "ACTV", mandateId: row.mandate_id ?? undefined, holderName: holderName ?? "unknown" };
    default: return { status: "RJCT", reason: row.reason ?? "NVRF" };
  }
}

function codeHash(linkId: string, code: string): Buffer {
  return createHash("sha256").update(`obol-bank/link-code\n${linkId}\n${code}`).digest();
}

/** Confirmation of payee: names compared without case, accents or runs of spaces. */
export function sameName(a: string, b: string): boolean {
  const norm = (s: string) => s.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
  return norm(a) === norm(b);
}

function replay(row: TransactionRow, hash: Uint8Array): TransactionOutcome | Mismatch {
  // A fence carries no request: the original arriving after its reversal gets the fence's answer.
  if (row.kind === "fence") return outcomeOf(row);
  return sameHash(row.request_hash, hash) ? outcomeOf(row) : { mismatch: true };
}

function outcomeOf(row: TransactionRow): TransactionOutcome {
  return {
    kind: row.kind, msgId: row.msg_id, endToEndId: row.end_to_end_id, status: row.status, reason: row.reason, reference: row.reference,
    bookedAt: row.booked_at, amount: row.amount, currency: row.currency, reversalResult: row.reversal_result,
  };
}

export class BooksError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "BooksError";
  }
}
