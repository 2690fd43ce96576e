/** §2.7 Depositing at U: open D2, compare it with the log, answer with D3 (ACCEPT or REJECT). */
import { equalBytes, toHex } from "../bytes.js";
import { confirmationAssociatedData, confirmationKeys } from "../crypto/derivations.js";
import { aeadOpen, aeadSeal } from "../crypto/primitives.js";
import { rejected } from "../errors.js";
import { encodeD3, encodeD3Body, parseD2, parseD2Body } from "../encoding/messages.js";
import type { ConfirmItem, D2, D2Body, Decision } from "../encoding/messages.js";
import { aeadNonceBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import type { WalletLogEntry, WalletState, WalletToken } from "./state.js";

/** What U is asked to confirm, and whether it matches U's own log. */
export interface ConfirmationRequestView {
  readonly sn: string;
  readonly depId: string;
  readonly merchantId: string;
  readonly items: readonly ConfirmItem[];
  readonly total: bigint;
  /** True iff the items are, in order, the oldest unconfirmed payments of U's log for this merchant, and the total is their sum. */
  readonly matchesLog: boolean;
  /** Why not, for the user. */
  readonly mismatch: string | null;
  /** The answer already given to this D2, if any. */
  readonly answered: Decision | null;
}

function openD2(state: WalletState, d2Bytes: Uint8Array): { ok: true; d2: D2; body: D2Body; token: WalletToken } | { ok: false; failure: ReturnType<typeof rejected> } {
  let d2: D2;
  try {
    d2 = parseD2(d2Bytes);
  } catch {
    return { ok: false, failure: rejected("encoding") };
  }
  const token = state.tokens[toHex(d2.sn)];
  if (token === undefined || state.credential === null || d2.idN !== state.credential.params.idN) {
    return { ok: false, failure: rejected("bad-token") };
  }
  const bodyBytes = aeadOpen(confirmationKeys(token.kUN).n2u, d2.aeadNonce, d2.sealed, confirmationAssociatedData("D2", d2.sn, d2.depId));
  if (bodyBytes === null) return { ok: false, failure: rejected("decrypt") };
  try {
    return { ok: true, d2, body: parseD2Body(bodyBytes), token };
  } catch {
    return { ok: false, failure: rejected("encoding") };
  }
}

/** The matched log entries (a prefix of the unconfirmed ones), or why the request does not match. */
function matchLog(token: WalletToken, body: D2Body): { entries: WalletLogEntry[] } | { mismatch: string } {
  if (body.idP !== token.payee) return { mismatch: "the deposit names another merchant than the token's payee" };
  const unconfirmed = token.log.filter((entry) => entry.idP === body.idP && entry.status === "PAID");
  if (body.items.length > unconfirmed.length) return { mismatch: "the deposit names more payments than the wallet made" };
  let sum = 0n;
  for (const [index, item] of body.items.entries()) {
    const entry = unconfirmed[index] as WalletLogEntry;
    if (entry.j !== item.j || entry.price !== item.price || !equalBytes(entry.goodsInfoHash, item.goodsInfoHash)) {
      return { mismatch: `payment ${index + 1} differs from the wallet's log (goods or price)` };
    }
    sum += item.price;
  }
  if (sum !== body.total) return { mismatch: "the total is not the sum of the payments" };
  return { entries: unconfirmed.slice(0, body.items.length) };
}

/** Decrypts a D2 and compares it with the log, changing nothing: show the result to the user. */
export function inspectConfirmation(state: WalletState, d2Bytes: Uint8Array): Outcome<WalletState, { request: ConfirmationRequestView }> {
  const opened = openD2(state, d2Bytes);
  if (!opened.ok) return fail(state, opened.failure);
  const { d2, body, token } = opened;
  const match = matchLog(token, body);
  return {
    ok: true,
    state,
    request: {
      sn: toHex(d2.sn),
      depId: toHex(d2.depId),
      merchantId: body.idP,
      items: body.items,
      total: body.total,
      matchesLog: "entries" in match,
      mismatch: "mismatch" in match ? match.mismatch : null,
      answered: token.answers[toHex(d2.depId)]?.decision ?? null,
    },
  };
}

/**
 * D3: the user's decision on a D2. A D2 that does not match the log is always answered REJECT (§2.7 U step 2),
 * whatever `decision` says. The matched log entries become CONFIRMED or DISPUTED. A D2 answered before gets
 * the same D3 again.
 */
export function answerConfirmation(
  state: WalletState,
  d2Bytes: Uint8Array,
  decision: Decision,
  now: number,
  rng: Rng,
): Outcome<WalletState, { request: Uint8Array; decision: Decision }> {
  const opened = openD2(state, d2Bytes);
  if (!opened.ok) return fail(state, opened.failure);
  const { d2, body, token } = opened;
  const depKey = toHex(d2.depId);
  const previous = token.answers[depKey];
  if (previous !== undefined) return { ok: true, state, request: previous.d3, decision: previous.decision };
  const match = matchLog(token, body);
  const finalDecision: Decision = "entries" in match ? decision : "REJECT";
  const aeadNonce = rng(aeadNonceBytes);
  const plaintext = encodeD3Body({ depId: d2.depId, sn: d2.sn, decision: finalDecision, total: body.total, tMs: now });
  const sealed = aeadSeal(confirmationKeys(token.kUN).u2n, aeadNonce, plaintext, confirmationAssociatedData("D3", d2.sn, d2.depId));
  const d3 = encodeD3({ depId: d2.depId, sn: d2.sn, aeadNonce, sealed });
  const marked = new Set("entries" in match ? match.entries : []);
  const status = finalDecision === "ACCEPT" ? "CONFIRMED" : "DISPUTED";
  const nextToken: WalletToken = {
    ...token,
    log: token.log.map((entry) => (marked.has(entry) ? { ...entry, status } : entry)),
    answers: { ...token.answers, [depKey]: { decision: finalDecision, d3 } },
  };
  return { ok: true, state: { ...state, tokens: { ...state.tokens, [toHex(token.sn)]: nextToken } }, request: d3, decision: finalDecision };
}

/** The tokens of the wallet with what is left on each. */
export function listTokens(state: WalletState): { sn: string; payee: string; amount: bigint; spent: bigint; remaining: bigint; expMs: number }[] {
  return Object.values(state.tokens).map((t) => ({
    sn: toHex(t.sn),
    payee: t.payee,
    amount: t.amount,
    spent: t.spent,
    remaining: t.amount - t.spent,
    expMs: t.expMs,
  }));
}
