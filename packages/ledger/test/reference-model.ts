/**
 * A deliberately naive ledger used as the oracle for property tests: plain mutable objects, one
 * rule after another, a deep copy to undo a failed linked chain. It shares no code with src/.
 */
export interface ModelAccount {
  id: string; currency: string; mustNotOwe: boolean; mustNotLend: boolean; frozen: boolean;
  dPend: bigint; dPost: bigint; cPend: bigint; cPost: bigint;
}
export interface ModelTransfer {
  id: string; kind: string; debit: string; credit: string; amount: bigint; pendingId: string | null;
  timeoutMs: number; expiresAt: number | null; code: number; userData: string | null; state: string | null;
}
export interface ModelInput {
  id: string; kind: "posted" | "pending" | "post_pending" | "void_pending";
  debitAccountId?: string | undefined; creditAccountId?: string | undefined; amount?: bigint | undefined;
  pendingId?: string | undefined; timeoutMs?: number | undefined; linked?: boolean | undefined; code: number; userData?: string | undefined;
}

const MAX = 9223372036854775807n;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const goodId = (s: string | undefined) => s !== undefined && UUID.test(s) && !/^[0-]+$/.test(s);

export class ReferenceLedger {
  accounts: Record<string, ModelAccount> = {};
  transfers: Record<string, ModelTransfer> = {};

  batch(inputs: ModelInput[], now: number): string[] {
    for (const t of Object.values(this.transfers)) {
      if (t.state === "pending" && t.expiresAt !== null && t.expiresAt <= now) {
        this.accounts[t.debit]!.dPend -= t.amount;
        this.accounts[t.credit]!.cPend -= t.amount;
        t.state = "expired";
      }
    }
    const out: string[] = [];
    let i = 0;
    while (i < inputs.length) {
      let j = i;
      while (inputs[j]!.linked && j < inputs.length - 1) j++;
      const open = inputs[j]!.linked === true;
      const saved = JSON.stringify(this, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
      const codes: string[] = [];
      for (let k = i; k <= j; k++) {
        const c = this.one(inputs[k]!, now);
        codes.push(c);
        if (c !== "ok" && c !== "exists") break;
      }
      const bad = codes.findIndex((c) => c !== "ok" && c !== "exists");
      const mixed = codes.includes("ok") && codes.includes("exists");
      if (bad === -1 && !open && !mixed) {
        out.push(...codes);
      } else {
        const restored = JSON.parse(saved, (_k, v) => (typeof v === "string" && /^-?\d+n$/.test(v) ? BigInt(v.slice(0, -1)) : v));
        this.accounts = restored.accounts;
        this.transfers = restored.transfers;
        for (let k = i; k <= j; k++) {
          if (open && k === j) out.push("linked_event_chain_open");
          else if (k - i === bad) out.push(codes[k - i]!);
          else if (codes[k - i] === "exists") out.push("exists");
          else out.push("linked_event_failed");
        }
      }
      i = j + 1;
    }
    return out;
  }

  private one(t: ModelInput, now: number): string {
    const resolving = t.kind === "post_pending" || t.kind === "void_pending";
    if (!goodId(t.id)) return "id_invalid";
    if (!Number.isInteger(t.code) || t.code < 1 || t.code > 65535) return "code_invalid";
    if (t.userData !== undefined && t.userData.length > 64) return "user_data_too_long";
    if (!resolving && t.pendingId !== undefined) return "pending_id_must_be_empty";
    if (resolving && t.pendingId === undefined) return "pending_id_required";
    if (resolving && !goodId(t.pendingId)) return "id_invalid";
    if (resolving && t.pendingId === t.id) return "pending_id_must_be_different";
    if (t.kind !== "pending" && t.timeoutMs) return "timeout_reserved_for_pending_transfer";
    if (t.timeoutMs !== undefined && !(Number.isSafeInteger(t.timeoutMs) && t.timeoutMs >= 0 && t.timeoutMs <= 7776000000)) return "timeout_invalid";
    if (!resolving && (!goodId(t.debitAccountId) || !goodId(t.creditAccountId))) return "id_invalid";
    if (resolving && ((t.debitAccountId !== undefined && !goodId(t.debitAccountId)) || (t.creditAccountId !== undefined && !goodId(t.creditAccountId)))) return "id_invalid";
    if (!resolving && t.debitAccountId === t.creditAccountId) return "accounts_must_be_different";
    if (t.amount === undefined && !resolving) return "amount_must_be_positive";
    if (t.amount !== undefined && t.amount <= 0n) return "amount_must_be_positive";
    if (t.amount !== undefined && t.amount > MAX) return "amount_exceeds_max";

    const old = this.transfers[t.id];
    if (old) {
      const same = old.kind === t.kind && (t.debitAccountId ?? old.debit) === old.debit && (t.creditAccountId ?? old.credit) === old.credit
        && (t.amount ?? old.amount) === old.amount && (t.pendingId ?? null) === old.pendingId && (t.timeoutMs ?? 0) === old.timeoutMs
        && t.code === old.code && (t.userData ?? null) === old.userData;
      return same ? "exists" : "exists_with_different_fields";
    }

    if (!resolving) {
      const d = this.accounts[t.debitAccountId!];
      if (!d) return "debit_account_not_found";
      const c = this.accounts[t.creditAccountId!];
      if (!c) return "credit_account_not_found";
      if (d.currency !== c.currency) return "accounts_must_have_same_currency";
      if (d.frozen || c.frozen) return "account_frozen";
      const a = t.amount!;
      const p = t.kind === "pending";
      const dOut = d.dPend + d.dPost + a;
      const cIn = c.cPend + c.cPost + a;
      if (d.mustNotOwe && dOut > d.cPost) return "insufficient_funds";
      if (c.mustNotLend && cIn > c.dPost) return "exceeds_debits";
      if (dOut > MAX || cIn > MAX) return "overflow";
      if (p) { d.dPend += a; c.cPend += a; } else { d.dPost += a; c.cPost += a; }
      this.transfers[t.id] = {
        id: t.id, kind: t.kind, debit: d.id, credit: c.id, amount: a, pendingId: null, timeoutMs: t.timeoutMs ?? 0,
        expiresAt: p && (t.timeoutMs ?? 0) > 0 ? now + t.timeoutMs! : null, code: t.code, userData: t.userData ?? null, state: p ? "pending" : null,
      };
      return "ok";
    }

    const pt = this.transfers[t.pendingId!];
    if (!pt) return "pending_transfer_not_found";
    if (pt.kind !== "pending") return "pending_transfer_not_pending";
    if ((t.debitAccountId ?? pt.debit) !== pt.debit || (t.creditAccountId ?? pt.credit) !== pt.credit) return "pending_transfer_has_different_accounts";
    if (t.kind === "void_pending" && t.amount !== undefined && t.amount !== pt.amount) return "pending_transfer_has_different_amount";
    if (t.kind === "post_pending" && t.amount !== undefined && t.amount > pt.amount) return "exceeds_pending_transfer_amount";
    if (pt.state === "posted") return "pending_transfer_already_posted";
    if (pt.state === "voided") return "pending_transfer_already_voided";
    if (pt.state === "expired") return "pending_transfer_expired";
    const d = this.accounts[pt.debit]!;
    const c = this.accounts[pt.credit]!;
    if (t.kind === "post_pending" && (d.frozen || c.frozen)) return "account_frozen";
    const posted = t.kind === "post_pending" ? t.amount ?? pt.amount : 0n;
    d.dPend -= pt.amount; c.cPend -= pt.amount; d.dPost += posted; c.cPost += posted;
    pt.state = t.kind === "post_pending" ? "posted" : "voided";
    this.transfers[t.id] = {
      id: t.id, kind: t.kind, debit: d.id, credit: c.id, amount: t.kind === "post_pending" ? posted : pt.amount,
      pendingId: pt.id, timeoutMs: 0, expiresAt: null, code: t.code, userData: t.userData ?? null, state: null,
    };
    return "ok";
  }
}
