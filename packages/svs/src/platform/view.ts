/**
 * Which entries of PlatformState a message needs, read from its clear header without any check, so that a
 * database adapter can load just those (SELECT … FOR UPDATE), call the handler on that partial state and write
 * back stateChanges(partial, result.state) with the ledger moves in one transaction.
 */
import { idKey, toHex } from "../bytes.js";
import { parseD1, parseD3, parseW1, parseA1, parseR1 } from "../encoding/messages.js";
import { replayKey } from "./authenticate.js";

export interface PlatformStateKeys {
  readonly registry: readonly string[];
  readonly replay: readonly string[];
  readonly withdrawals: readonly string[];
  readonly tokens: readonly string[];
  readonly deposits: readonly string[];
  /** D1 only: load every token with this payee whose status is ISSUED or PARTIAL (their SNs are encrypted). */
  readonly openTokensOfPayee: string | null;
}

const none: PlatformStateKeys = { registry: [], replay: [], withdrawals: [], tokens: [], deposits: [], openTokensOfPayee: null };

/** Keys for R1, A1, W1, D1 or D3; null if the bytes do not parse as any of them (the handler will reject them). */
export function stateKeysFor(message: Uint8Array): PlatformStateKeys | null {
  const attempts: (() => PlatformStateKeys)[] = [
    () => {
      const m = parseR1(message);
      return { ...none, registry: [idKey(m.idX)] };
    },
    () => {
      const m = parseA1(message);
      return { ...none, registry: [idKey(m.idX)], replay: [replayKey(m.idX, m.nonce)] };
    },
    () => {
      const m = parseW1(message);
      const key = replayKey(m.idU, m.nonce1);
      return { ...none, registry: [idKey(m.idU), idKey(m.payee)], replay: [key], withdrawals: [key] };
    },
    () => {
      const m = parseD1(message);
      return {
        ...none,
        registry: [idKey(m.idP)],
        replay: [replayKey(m.idP, m.nonceD)],
        deposits: [toHex(m.nonceD)],
        openTokensOfPayee: m.idP,
      };
    },
    () => {
      const m = parseD3(message);
      return { ...none, tokens: [toHex(m.sn)], deposits: [toHex(m.depId)] };
    },
  ];
  for (const attempt of attempts) {
    try {
      return attempt();
    } catch {
      // not this message type
    }
  }
  return null;
}
