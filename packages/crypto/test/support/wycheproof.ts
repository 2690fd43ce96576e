// Loading Wycheproof vector files from <repo>/test/vectors/wycheproof and tallying outcomes against their
// `result`. A valid vector rejected (inside our policy) or an invalid vector accepted is a failure; an
// `acceptable` vector must be covered by an explicit decision (see test/vectors/wycheproof/README.md).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import type { TestContext } from "node:test";
import { CryptoError } from "../../src/index.js";

export type WycheproofResult = "valid" | "invalid" | "acceptable";

export interface WycheproofTest {
  tcId: number;
  comment: string;
  flags: string[];
  result: WycheproofResult;
  [field: string]: unknown;
}

export interface WycheproofGroup {
  type: string;
  tests: WycheproofTest[];
  [field: string]: unknown;
}

export interface WycheproofFile {
  algorithm: string;
  numberOfTests: number;
  testGroups: WycheproofGroup[];
}

const vectorsDirFromRoot = join("test", "vectors", "wycheproof");

/** Walks up from this compiled file to the folder holding test/vectors/wycheproof (the repository root). */
export function wycheproofDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, vectorsDirFromRoot);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${vectorsDirFromRoot} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export function loadWycheproof(fileName: string): WycheproofFile {
  const file = JSON.parse(readFileSync(join(wycheproofDir(), fileName), "utf8")) as WycheproofFile;
  const count = file.testGroups.reduce((n, g) => n + g.tests.length, 0);
  if (count !== file.numberOfTests) throw new Error(`${fileName}: numberOfTests ${file.numberOfTests}, found ${count}`);
  return file;
}

export function hex(value: unknown): Uint8Array {
  if (typeof value !== "string" || !/^(?:[0-9a-f]{2})*$/i.test(value)) throw new Error(`not hex: ${String(value)}`);
  return Uint8Array.from(Buffer.from(value, "hex"));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/**
 * What we do with an `acceptable` vector, keyed by one of its flags. Every acceptable vector must carry a flag
 * listed here, and all its listed flags must agree; the outcome must then match the decision.
 */
export type AcceptableDecisions = Readonly<Record<string, "accept" | "reject">>;

/** What our API did with one vector. `rejected` only counts a rejection with the expected error, not a crash. */
export type Outcome =
  | { kind: "accepted"; output?: Uint8Array }
  | { kind: "rejected"; code: string }
  | { kind: "outOfPolicy"; code: string }
  /** Threw something other than the expected CryptoError: always a failure. */
  | { kind: "crashed"; message: string };

export class Tally {
  validAccepted = 0;
  invalidRejected = 0;
  acceptableAccepted = 0;
  acceptableRejected = 0;
  /** Outside the allow-list, split by Wycheproof's verdict so nothing valid disappears unnoticed. */
  outOfPolicy: Record<WycheproofResult, number> = { valid: 0, invalid: 0, acceptable: 0 };
  /** Acceptable vectors per flag and decision, for the report. */
  readonly acceptableByFlag = new Map<string, { accepted: number; rejected: number }>();
  readonly failures: string[] = [];

  constructor(
    readonly fileName: string,
    readonly decisions: AcceptableDecisions = {},
  ) {}

  /**
   * Records one outcome. For accepted valid vectors, `expected` (if given) must equal the output.
   */
  record(test: WycheproofTest, outcome: Outcome, expected?: Uint8Array): void {
    const id = `tcId ${test.tcId} (${test.result}; ${test.flags.join(",") || "no flags"}; ${test.comment})`;
    if (outcome.kind === "outOfPolicy") {
      this.outOfPolicy[test.result]++;
      return;
    }
    if (outcome.kind === "crashed") {
      this.failures.push(`${id}: unexpected error: ${outcome.message}`);
      return;
    }
    const accepted = outcome.kind === "accepted";
    if (accepted && expected !== undefined && test.result !== "invalid") {
      const got = outcome.output === undefined ? "nothing" : toHex(outcome.output);
      if (got !== toHex(expected)) {
        this.failures.push(`${id}: accepted but output ${got} != expected ${toHex(expected)}`);
        return;
      }
    }
    switch (test.result) {
      case "valid":
        if (accepted) this.validAccepted++;
        else this.failures.push(`${id}: valid vector rejected (${outcome.code})`);
        return;
      case "invalid":
        if (!accepted) this.invalidRejected++;
        else this.failures.push(`${id}: INVALID VECTOR ACCEPTED`);
        return;
      case "acceptable": {
        const decided = test.flags.filter((f) => f in this.decisions);
        const decisions = new Set(decided.map((f) => this.decisions[f]));
        if (decisions.size !== 1) {
          this.failures.push(`${id}: acceptable vector without one clear decision (flags ${decided.join(",") || "none"})`);
          return;
        }
        const decision = [...decisions][0];
        if ((decision === "accept") !== accepted) {
          this.failures.push(`${id}: acceptable vector decided "${decision}" but was ${outcome.kind}`);
          return;
        }
        if (accepted) this.acceptableAccepted++;
        else this.acceptableRejected++;
        const key = test.flags.join(",");
        const row = this.acceptableByFlag.get(key) ?? { accepted: 0, rejected: 0 };
        if (accepted) row.accepted++;
        else row.rejected++;
        this.acceptableByFlag.set(key, row);
        return;
      }
    }
  }

  total(): number {
    const o = this.outOfPolicy;
    return (
      this.validAccepted +
      this.invalidRejected +
      this.acceptableAccepted +
      this.acceptableRejected +
      o.valid +
      o.invalid +
      o.acceptable +
      this.failures.length
    );
  }

  /** One line per file, plus one per acceptable flag combination. Printed on every run, pass or fail. */
  summary(): string[] {
    const o = this.outOfPolicy;
    const lines = [
      `${this.fileName}: ${this.total()} vectors — valid accepted ${this.validAccepted}, invalid rejected ` +
        `${this.invalidRejected}, acceptable accepted ${this.acceptableAccepted}, acceptable rejected ` +
        `${this.acceptableRejected}, out-of-policy ${o.valid + o.invalid + o.acceptable} ` +
        `(valid ${o.valid}, invalid ${o.invalid}, acceptable ${o.acceptable}), failures ${this.failures.length}`,
    ];
    for (const [flags, row] of this.acceptableByFlag) {
      lines.push(`  acceptable [${flags}]: accepted ${row.accepted}, rejected ${row.rejected}`);
    }
    return lines;
  }
}

/**
 * Runs `fn`: `false` or a CryptoError with one of `rejectCodes` is "rejected", a CryptoError with one of
 * `outOfPolicyCodes` is "outOfPolicy", anything else thrown is "crashed" (a bug).
 */
export function outcomeOf(
  fn: () => Uint8Array | boolean,
  rejectCodes: readonly string[],
  outOfPolicyCodes: readonly string[] = [],
): Outcome {
  try {
    const result = fn();
    if (result === false) return { kind: "rejected", code: "false" };
    return result === true ? { kind: "accepted" } : { kind: "accepted", output: result };
  } catch (error) {
    const code = error instanceof CryptoError ? error.code : undefined;
    if (code !== undefined && rejectCodes.includes(code)) return { kind: "rejected", code };
    if (code !== undefined && outOfPolicyCodes.includes(code)) return { kind: "outOfPolicy", code };
    return { kind: "crashed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

/** Prints the summary as test diagnostics and fails with every failure listed. */
export function finish(t: TestContext, tally: Tally, file: WycheproofFile): void {
  for (const line of tally.summary()) t.diagnostic(line);
  assert.equal(tally.total(), file.numberOfTests, `${tally.fileName}: every vector must be counted exactly once`);
  assert.deepEqual(tally.failures, [], `${tally.fileName}: ${tally.failures.length} failure(s)`);
}
