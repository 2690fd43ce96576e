import type { Account, BatchOutcome, Id, Posting, Transfer } from "../src/index.js";

/** The simplest store: the whole ledger as the snapshot, outcomes written back in place. */
export class MemoryLedger {
  readonly accounts = new Map<Id, Account>();
  readonly transfers = new Map<Id, Transfer>();
  readonly postings: Posting[] = [];

  save(outcome: BatchOutcome): void {
    for (const [id, account] of outcome.accounts) this.accounts.set(id, account);
    for (const transfer of outcome.created) this.transfers.set(transfer.id, transfer);
    for (const [id, state] of outcome.pendingStates) this.transfers.set(id, { ...this.transfers.get(id)!, pendingState: state });
    this.postings.push(...outcome.postings);
  }

  snapshot() {
    return { accounts: this.accounts, transfers: this.transfers };
  }
}

export function account(id: Id, flags = 0, currency = "KES"): Account {
  return { id, currency, flags, frozen: false, debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
}
