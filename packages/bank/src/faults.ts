/**
 * Fault switches of the reference bank, for tests of the platform's bank connector. Each rule names a
 * fault, optionally the message kinds it hits and how many messages it hits before it switches
 * itself off. The first rule that matches a message applies; a rule with a count is used up.
 *
 * - decline: debits, credits and reversals are rejected (booked as RJCT with `reason`, default AM04),
 *   links are refused (NVRF). The outcome is recorded like any other, so a status request tells it.
 * - slow: the bank waits `delayMs` (default 10,000) before it processes the message, as a backlog
 *   would; the platform's timeout runs out first.
 * - down: 503 Service Unavailable, nothing processed (a stopped bank refuses connections instead).
 * - applied_response_lost: the bank processes and commits the message, then drops the connection
 *   without answering.
 */
export const faultNames = ["decline", "slow", "down", "applied_response_lost"] as const;
export type FaultName = (typeof faultNames)[number];

export const messageKinds = ["debit", "credit", "reversal", "status", "statement", "link", "confirm"] as const;
export type MessageKind = (typeof messageKinds)[number];

export interface FaultRule {
  readonly fault: FaultName;
  /** Kinds hit; absent or empty: every kind. */
  readonly kinds?: readonly MessageKind[] | undefined;
  /** Hits left; absent: until cleared. */
  readonly count?: number | undefined;
  /** slow only. */
  readonly delayMs?: number | undefined;
  /** decline only: the ISO reason code booked (four capitals or digits). */
  readonly reason?: string | undefined;
}

export const faultRulesMax = 16;
export const slowDelayMsDefault = 10_000;
export const slowDelayMsMax = 300_000;
export const declineReasonDefault = "AM04";

export class FaultRuleError extends Error {}

/** Checks rules given over the admin endpoint or by OBOL_BANK_FAULTS. */
export function checkFaultRules(input: unknown): FaultRule[] {
  if (!Array.isArray(input) || input.length > faultRulesMax) throw new FaultRuleError(`faults must be a list of at most ${faultRulesMax} rules`);
  return input.map((raw, index) => {
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new FaultRuleError(`rule ${index}: not an object`);
    const rule = raw as Record<string, unknown>;
    for (const key of Object.keys(rule)) {
      if (!["fault", "kinds", "count", "delayMs", "reason"].includes(key)) throw new FaultRuleError(`rule ${index}: unknown field ${key}`);
    }
    if (!faultNames.includes(rule.fault as FaultName)) throw new FaultRuleError(`rule ${index}: fault must be one of ${faultNames.join(", ")}`);
    const kinds = rule.kinds;
    if (kinds !== undefined && (!Array.isArray(kinds) || kinds.some((k) => !messageKinds.includes(k as MessageKind)))) {
      throw new FaultRuleError(`rule ${index}: kinds must be a list of ${messageKinds.join(", ")}`);
    }
    const count = rule.count;
    if (count !== undefined && (!Number.isSafeInteger(count) || (count as number) < 1 || (count as number) > 1_000_000)) throw new FaultRuleError(`rule ${index}: count must be 1..1000000`);
    const delayMs = rule.delayMs;
    if (delayMs !== undefined && (rule.fault !== "slow" || !Number.isSafeInteger(delayMs) || (delayMs as number) < 0 || (delayMs as number) > slowDelayMsMax)) {
      throw new FaultRuleError(`rule ${index}: delayMs is for slow, 0..${slowDelayMsMax}`);
    }
    const reason = rule.reason;
    if (reason !== undefined && (rule.fault !== "decline" || typeof reason !== "string" || !/^[A-Z0-9]{4}$/.test(reason))) {
      throw new FaultRuleError(`rule ${index}: reason is for decline, four capitals or digits`);
    }
    return {
      fault: rule.fault as FaultName,
      ...(kinds === undefined ? {} : { kinds: kinds as MessageKind[] }),
      ...(count === undefined ? {} : { count: count as number }),
      ...(delayMs === undefined ? {} : { delayMs: delayMs as number }),
      ...(reason === undefined ? {} : { reason }),
    };
  });
}

/**
 * OBOL_BANK_FAULTS: JSON (the admin endpoint's form), or the short form
 * `fault[:kind+kind…][:count]`, comma-separated, e.g. `applied_response_lost:debit:1,slow:credit`.
 */
export function parseFaultsEnv(text: string | undefined): FaultRule[] {
  if (text === undefined || text.trim() === "") return [];
  if (text.trim().startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FaultRuleError("OBOL_BANK_FAULTS is not valid JSON");
    }
    return checkFaultRules(parsed);
  }
  return checkFaultRules(text.split(",").map((item) => {
    const [fault, kinds, count, extra] = item.trim().split(":");
    if (extra !== undefined) throw new FaultRuleError(`bad fault ${item}`);
    return {
      fault,
      ...(kinds === undefined || kinds === "" || kinds === "*" ? {} : { kinds: kinds.split("+") }),
      ...(count === undefined ? {} : { count: /^[0-9]{1,7}$/.test(count) ? Number(count) : -1 }),
    };
  }));
}

/** The live rule set: matching uses up counted rules. */
export class FaultSwitches {
  #rules: FaultRule[];

  constructor(rules: readonly FaultRule[] = []) {
    this.#rules = [...rules];
  }

  set(rules: readonly FaultRule[]): void {
    this.#rules = [...rules];
  }

  list(): FaultRule[] {
    return [...this.#rules];
  }

  /** The fault that hits this message, if any; a counted rule loses one hit (and goes at zero). */
  take(kind: MessageKind): FaultRule | undefined {
    const index = this.#rules.findIndex((r) => r.kinds === undefined || r.kinds.length === 0 || r.kinds.includes(kind));
    if (index < 0) return undefined;
    const rule = this.#rules[index]!;
    if (rule.count !== undefined) {
      if (rule.count <= 1) this.#rules.splice(index, 1);
      else this.#rules[index] = { ...rule, count: rule.count - 1 };
    }
    return rule;
  }
}
