/** §2.5-§2.6 Paying at P: P1 → P2 (1 T_mul + 1 T_ver), Pj → Pj' (0 T_mul), with no platform round trip. */
import { equalBytes, toHex } from "../bytes.js";
import {
  firstPaymentKey,
  p1AssociatedData,
  pjAssociatedData,
  ratchet,
  replyAssociatedData,
  sessionId,
  tokenSignatureInput,
  trafficKeys,
} from "../crypto/derivations.js";
import { decodePoint, decodeScalar, mulSecret, xCoordinate } from "../crypto/group.js";
import { aeadOpen, aeadSeal, ecdsaVerify, sha256 } from "../crypto/primitives.js";
import { localFailure, rejected } from "../errors.js";
import {
  encodeP2,
  encodePaymentReplyBody,
  encodePjReply,
  messageNameOf,
  parseP1,
  parsePaymentBody,
  parsePj,
  parseTau,
} from "../encoding/messages.js";
import type { P1, PaymentBody, PaymentRejectReasonName, Pj, Tau } from "../encoding/messages.js";
import { aeadNonceBytes } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import type { Catalogue, MerchantSession, MerchantState, MerchantToken } from "./state.js";

export interface MerchantInput {
  readonly now: number;
  readonly rng: Rng;
  readonly catalogue: Catalogue;
}

/** What happened, for P's application (deliver goods, show a sale). */
export type MerchantPayment =
  | { readonly accepted: true; readonly sn: string; readonly sid: string; readonly j: number; readonly price: bigint; readonly cum: bigint; readonly goodsInfo: Uint8Array }
  | { readonly accepted: false; readonly sn: string; readonly sid: string; readonly j: number; readonly reason: PaymentRejectReasonName }
  /** A byte-identical retransmit answered from the cache: nothing new happened. */
  | { readonly accepted: null; readonly retransmit: true };

type PaymentOutcome = Outcome<MerchantState, { reply: Uint8Array; payment: MerchantPayment }>;

/** Routes P1 and Pj. */
export function handlePayment(state: MerchantState, request: Uint8Array, input: MerchantInput): PaymentOutcome {
  const name = messageNameOf(request);
  if (name === "P1") return handleP1(state, request, input);
  if (name === "Pj") return handlePj(state, request, input);
  return fail(state, rejected("encoding"));
}

/**
 * P1, P's checks in order (§2.5); any failure rejects, and R is recorded as seen once decryption succeeds:
 *  0. a byte-identical retransmit of a P1 whose R is in seenR gets the cached reply (no second charge);
 *  1. R is valid (parser) and not in seenR;
 *  2. Z' = s_P·R (1 T_mul), K⁰, k_u2p⁰, k_p2u⁰, sid; AEAD-decrypt;
 *  3. τ.ID_N = ID_N, ECDSA-Verify(Q_N^sig, σ_N) (1 T_ver), τ.payee = ID_P, τ.exp > now, |now − T_0| ≤ Δ, sid unused;
 *  4. price_0 is P's catalogue price for GI_0 and H(GI_0) matches;  5. cum_0 = spent[SN] + price_0 ≤ τ.M;
 *  6. a business-rule failure (4-5) is answered with an encrypted REJECT carrying spent[SN];
 *  7. on success: session[sid] = {SN, K¹, j_last = 0}, spent[SN] = cum_0, the record, R in seenR; reply P2.
 */
export function handleP1(state: MerchantState, request: Uint8Array, input: MerchantInput): PaymentOutcome {
  const credential = state.credential;
  if (credential === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "enrol first"));
  const { now, rng } = input;
  let p1: P1;
  try {
    p1 = parseP1(request);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const rKey = toHex(p1.r);
  const requestHash = sha256(request);
  const seen = state.seenR[rKey];
  if (seen !== undefined && seen.expiresAtMs > now) {
    if (seen.reply !== null && equalBytes(seen.requestHash, requestHash)) {
      return { ok: true, state, reply: seen.reply, payment: { accepted: null, retransmit: true } };
    }
    return fail(state, rejected("replay"));
  }
  const r = decodePoint(p1.r);
  const sP = decodeScalar(credential.secret);
  if (r === null || sP === null) return fail(state, rejected("encoding"));
  const zx = xCoordinate(mulSecret(r, sP));
  const sid = sessionId(p1.r);
  const k0 = firstPaymentKey(zx, p1.r, credential.id, credential.params.idN, credential.y);
  const keys = trafficKeys(k0);
  const bodyBytes = aeadOpen(keys.u2p, p1.aeadNonce, p1.sealed, p1AssociatedData(p1.r, sid, credential.id));
  if (bodyBytes === null) return fail(state, rejected("decrypt"));

  const seenEntry = { expiresAtMs: now + 2 * credential.params.freshnessWindowMs, requestHash, reply: null };
  const seenState: MerchantState = { ...state, seenR: { ...state.seenR, [rKey]: seenEntry } };
  let body: PaymentBody;
  let tau: Tau;
  try {
    body = parsePaymentBody(bodyBytes, true);
    tau = parseTau((body.token as { tau: Uint8Array }).tau);
  } catch {
    return fail(seenState, rejected("encoding"));
  }
  const token = body.token as { tau: Uint8Array; signature: Uint8Array };
  if (tau.idN !== credential.params.idN || !equalBytes(tau.sn, body.sn)) return fail(seenState, rejected("bad-token"));
  if (!ecdsaVerify(credential.params.qNSig, tokenSignatureInput(token.tau), token.signature)) return fail(seenState, rejected("bad-signature"));
  if (tau.payee !== credential.id) return fail(seenState, rejected("wrong-payee"));
  if (tau.expMs <= now) return fail(seenState, rejected("token-expired"));
  if (Math.abs(now - body.record.tMs) > credential.params.freshnessWindowMs) return fail(seenState, rejected("stale"));
  if (state.sessions[toHex(sid)] !== undefined) return fail(seenState, rejected("session-reused"));

  const snKey = toHex(tau.sn);
  const known = state.tokens[snKey];
  if (known !== undefined && !equalBytes(known.tau, token.tau)) return fail(seenState, rejected("bad-token"));
  const merchantToken: MerchantToken = known ?? {
    sn: tau.sn,
    tau: token.tau,
    signature: token.signature,
    amount: tau.amount,
    expMs: tau.expMs,
    spent: 0n,
    records: [],
  };
  const verdict = businessRules(merchantToken, body, input.catalogue);
  const aeadNonce = rng(aeadNonceBytes);
  const replyBody = verdict.ok
    ? encodePaymentReplyBody({ accepted: true, reason: null, j: 0, cum: body.record.cum, goods: verdict.goods })
    : encodePaymentReplyBody({ accepted: false, reason: verdict.reason, j: 0, cum: merchantToken.spent, goods: new Uint8Array(0) });
  const sealed = aeadSeal(keys.p2u, aeadNonce, replyBody, replyAssociatedData(sid, 0, sha256(p1.sealed)));
  const reply = encodeP2({ sid, j: 0, aeadNonce, sealed });
  const seenR = { ...state.seenR, [rKey]: { ...seenEntry, reply } };
  const sidKey = toHex(sid);
  if (!verdict.ok) {
    return { ok: true, state: { ...state, seenR }, reply, payment: { accepted: false, sn: snKey, sid: sidKey, j: 0, reason: verdict.reason } };
  }
  const session: MerchantSession = { sid, sn: tau.sn, key: ratchet(k0), jLast: 0, lastRequestHash: requestHash, lastReply: reply };
  return {
    ok: true,
    state: {
      ...state,
      seenR,
      sessions: { ...state.sessions, [sidKey]: session },
      tokens: { ...state.tokens, [snKey]: withRecord(merchantToken, body) },
    },
    reply,
    payment: { accepted: true, sn: snKey, sid: sidKey, j: 0, price: body.record.price, cum: body.record.cum, goodsInfo: body.goodsInfo },
  };
}

/**
 * Pj, P's checks in order (§2.6):
 *  1. session[sid] exists;
 *  2. j = j_last + 1 exactly; j = j_last with the byte-identical last request gets the cached reply; else reject;
 *  3. k_u2p^j, k_p2u^j from K^j; decrypt; a failure rejects and does not advance;
 *  4. SN matches the session, τ.exp > now, |now − T_j| ≤ Δ;  5. price_j is the catalogue price;
 *  6. cum_j = spent[SN] + price_j ≤ τ.M;
 *  7. once decrypted, j_last := j and K^{j+1} = HMAC(K^j, "SVS1/ratchet") even if 4-6 fail (encrypted REJECT);
 *  8. on success: the record and spent[SN]; reply Pj'.
 * 0 T_mul.
 */
export function handlePj(state: MerchantState, request: Uint8Array, input: MerchantInput): PaymentOutcome {
  const { now, rng } = input;
  const credential = state.credential;
  if (credential === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "enrol first"));
  let pj: Pj;
  try {
    pj = parsePj(request);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const sidKey = toHex(pj.sid);
  const session = state.sessions[sidKey];
  if (session === undefined) return fail(state, rejected("unknown-session"));
  const requestHash = sha256(request);
  if (pj.j === session.jLast && equalBytes(requestHash, session.lastRequestHash)) {
    return { ok: true, state, reply: session.lastReply, payment: { accepted: null, retransmit: true } };
  }
  if (pj.j !== session.jLast + 1) return fail(state, rejected("out-of-order"));
  const keys = trafficKeys(session.key);
  const bodyBytes = aeadOpen(keys.u2p, pj.aeadNonce, pj.sealed, pjAssociatedData(pj.sid, pj.j));
  if (bodyBytes === null) return fail(state, rejected("decrypt"));

  const snKey = toHex(session.sn);
  const token = state.tokens[snKey];
  if (token === undefined) throw new Error("merchant state: a session without its token");
  let body: PaymentBody | null = null;
  try {
    body = parsePaymentBody(bodyBytes, false);
  } catch {
    body = null;
  }
  let verdict: { ok: true; goods: Uint8Array } | { ok: false; reason: PaymentRejectReasonName };
  if (body === null || body.record.j !== pj.j || !equalBytes(body.sn, session.sn)) verdict = { ok: false, reason: "token" };
  else if (token.expMs <= now) verdict = { ok: false, reason: "expired" };
  else if (Math.abs(now - body.record.tMs) > credential.params.freshnessWindowMs) verdict = { ok: false, reason: "stale" };
  else verdict = businessRules(token, body, input.catalogue);

  const aeadNonce = rng(aeadNonceBytes);
  const replyBody =
    verdict.ok && body !== null
      ? encodePaymentReplyBody({ accepted: true, reason: null, j: pj.j, cum: body.record.cum, goods: verdict.goods })
      : encodePaymentReplyBody({ accepted: false, reason: verdict.ok ? "token" : verdict.reason, j: pj.j, cum: token.spent, goods: new Uint8Array(0) });
  const sealed = aeadSeal(keys.p2u, aeadNonce, replyBody, replyAssociatedData(pj.sid, pj.j, sha256(pj.sealed)));
  const reply = encodePjReply({ sid: pj.sid, j: pj.j, aeadNonce, sealed });
  const nextSession: MerchantSession = { ...session, key: ratchet(session.key), jLast: pj.j, lastRequestHash: requestHash, lastReply: reply };
  const sessions = { ...state.sessions, [sidKey]: nextSession };
  if (!verdict.ok || body === null) {
    const reason = verdict.ok ? "token" : verdict.reason;
    return { ok: true, state: { ...state, sessions }, reply, payment: { accepted: false, sn: snKey, sid: sidKey, j: pj.j, reason } };
  }
  return {
    ok: true,
    state: { ...state, sessions, tokens: { ...state.tokens, [snKey]: withRecord(token, body) } },
    reply,
    payment: { accepted: true, sn: snKey, sid: sidKey, j: pj.j, price: body.record.price, cum: body.record.cum, goodsInfo: body.goodsInfo },
  };
}

/** Steps 4-6 of P1 / 5-6 of Pj: catalogue price and H(GI), then the overspend check on spent[SN] [S, strengthened]. */
function businessRules(
  token: MerchantToken,
  body: PaymentBody,
  catalogue: Catalogue,
): { ok: true; goods: Uint8Array } | { ok: false; reason: PaymentRejectReasonName } {
  const quote = catalogue(body.goodsInfo);
  if (quote === null || quote.price !== body.record.price || !equalBytes(sha256(body.goodsInfo), body.record.goodsInfoHash)) {
    return { ok: false, reason: "price" };
  }
  if (body.record.cum !== token.spent + body.record.price) return { ok: false, reason: "cumulative" };
  if (body.record.cum > token.amount) return { ok: false, reason: "overspend" };
  return { ok: true, goods: quote.goods };
}

function withRecord(token: MerchantToken, body: PaymentBody): MerchantToken {
  return {
    ...token,
    spent: body.record.cum,
    records: [...token.records, { record: body.record, goodsInfo: body.goodsInfo, status: "UNDEPOSITED", depId: null }],
  };
}
