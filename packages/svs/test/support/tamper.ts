/** Helpers to build hostile variants of valid messages and states. */
import assert from "node:assert/strict";
import { platform } from "../../src/index.js";
import type { PlatformState } from "../../src/platform/index.js";

export function flipBit(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const byte = Math.floor(bitIndex / 8) % out.byteLength;
  out[byte] = (out[byte] as number) ^ (1 << (bitIndex % 8));
  return out;
}

export function randomBytesLike(bytes: Uint8Array, seed: number): Uint8Array {
  const out = new Uint8Array(bytes.byteLength);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Σ of the ledger moves of a kind, as a map account → amount. */
export function ledgerTotals(moves: readonly platform.LedgerMove[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const move of moves) totals.set(`${move.kind}:${move.account}`, (totals.get(`${move.kind}:${move.account}`) ?? 0n) + move.amount);
  return totals;
}

export function tokenOf(n: PlatformState, sn: string) {
  const token = n.tokens[sn];
  if (token === undefined) throw new Error(`no token ${sn}`);
  return token;
}

/** Asserts a generic rejection (§2.0), optionally with the logged reason. Returns the failure's reason. */
export function expectRejected(outcome: { ok: boolean }, reason?: string | RegExp): string {
  assert.equal(outcome.ok, false, "expected a rejection");
  const failure = (outcome as unknown as { failure: { code: string; reason?: string } }).failure;
  assert.equal(failure.code, "ERR_SVS_REJECTED");
  if (typeof reason === "string") assert.equal(failure.reason, reason);
  if (reason instanceof RegExp) assert.match(failure.reason ?? "", reason);
  return failure.reason ?? "";
}
