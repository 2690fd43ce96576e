import type { Id } from "./ids.js";
import type { Account, Posting, Snapshot, Transfer } from "./types.js";

interface Reader {
  account(id: Id): Account | undefined;
  transfer(id: Id): Transfer | undefined;
}

/**
 * Copy-on-write changes layered over a snapshot (or over another layer). A linked chain works in
 * its own layer and merges into the batch's layer only when every transfer of the chain
 * succeeded, so a failed chain leaves no trace.
 */
export class WorkingState implements Reader {
  readonly accounts = new Map<Id, Account>();
  readonly transfers = new Map<Id, Transfer>();
  readonly createdIds: Id[] = [];
  readonly postings: Posting[] = [];

  constructor(private readonly below: Reader) {}

  static over(snapshot: Snapshot): WorkingState {
    return new WorkingState({
      account: (id) => snapshot.accounts.get(id),
      transfer: (id) => snapshot.transfers.get(id),
    });
  }

  account(id: Id): Account | undefined {
    return this.accounts.get(id) ?? this.below.account(id);
  }

  transfer(id: Id): Transfer | undefined {
    return this.transfers.get(id) ?? this.below.transfer(id);
  }

  mergeInto(target: WorkingState): void {
    for (const [id, account] of this.accounts) target.accounts.set(id, account);
    for (const [id, transfer] of this.transfers) target.transfers.set(id, transfer);
    target.createdIds.push(...this.createdIds);
    target.postings.push(...this.postings);
  }
}
