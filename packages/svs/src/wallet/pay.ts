/** §2.5-§2.6 Paying at U: P1 opens a session (2 T_mul), Pj continues it (0 T_mul), replies advance the ratchet. */
import { idKey, toHex } from "../bytes.js";
import {
  firstPaymentKey,
  p1AssociatedData,
  paymentAuth,
  pjAssociatedData,
  ratchet,
  replyAssociatedData,
  sessionId,
  trafficKeys,
} from "../crypto/derivations.js";
import { decodePoint, encodePoint, mulBase, mulSecret, randomScalar, xCoordinate } from "../crypto/group.js";
import { aeadOpen, aeadSeal, sha256 } from "../crypto/primitives.js";
import { localFailure, rejected } from "../errors.js";
import { encodeP1, encodePaymentBody, encodePj, parseP2, parsePaymentReplyBody, parsePjReply } from "../encoding/messages.js";
import type { PaymentRecord, PaymentRejectReasonName, PaymentReply, PaymentReplyBody } from "../encoding/messages.js";
import { aeadNonceBytes, goodsInfoBytesMax, sessionPaymentsMax } from "../limits.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng } from "../types.js";
import type { WalletSession, WalletState, WalletToken } from "./state.js";

export interface PaymentOrder {
  /** hex(SN) of the token to pay with. */
  readonly sn: string;
  readonly merchantId: string;
  /** GI: what is bought, in the merchant's format (its catalogue key). */
  readonly goodsInfo: Uint8Array;
  /** The merchant's price for GI, in minor units. */
  readonly price: bigint;
  /** Open a new session (P1) even if one with this merchant and token is open. */
  readonly newSession?: boolean;
}

/**
 * Builds the next payment: Pj on an open session of this token with this merchant (0 T_mul: the key is the
 * ratchet's K^j), otherwise P1 (r ←$, R = r·G, Z = r·Y_P: 2 T_mul). Local checks first: the token exists, is
 * bound to this merchant, has not expired, has no other payment in flight, and cum = spent + price ≤ M.
 * The message is in `state` until its reply arrives (resendPayment sends the same bytes).
 */
export function pay(state: WalletState, order: PaymentOrder, now: number, rng: Rng): Outcome<WalletState, { request: Uint8Array; sid: string; j: number }> {
  const credential = state.credential;
  if (credential === null) return fail(state, localFailure("ERR_SVS_NOT_ENROLLED", "enrol first"));
  const token = state.tokens[order.sn];
  if (token === undefined || token.payee !== order.merchantId || token.expMs <= now) {
    return fail(state, localFailure("ERR_SVS_UNKNOWN_TOKEN", "no unexpired token with this SN for this merchant"));
  }
  if (order.price < 1n || order.goodsInfo.byteLength > goodsInfoBytesMax) {
    return fail(state, localFailure("ERR_SVS_INVALID_ARGUMENT", "price must be at least 1 and GI at most 1024 bytes"));
  }
  const sessions = Object.values(state.sessions).filter((s) => toHex(s.sn) === order.sn);
  if (sessions.some((s) => s.inFlight !== null)) return fail(state, localFailure("ERR_SVS_BUSY", "a payment with this token awaits its reply"));
  const cum = token.spent + order.price;
  if (cum > token.amount) return fail(state, localFailure("ERR_SVS_TOKEN_EXHAUSTED", `cumulative ${cum} would exceed ${token.amount}`));
  const goodsInfoHash = sha256(order.goodsInfo);
  const open = order.newSession === true ? undefined : sessions.find((s) => s.idP === order.merchantId && s.j < sessionPaymentsMax);

  if (open !== undefined) {
    const keys = trafficKeys(open.key);
    const record = withAuth(token, order.merchantId, { j: open.j, goodsInfoHash, price: order.price, cum, tMs: now });
    const aeadNonce = rng(aeadNonceBytes);
    const body = encodePaymentBody({ sn: token.sn, token: null, record, goodsInfo: order.goodsInfo });
    const sealed = aeadSeal(keys.u2p, aeadNonce, body, pjAssociatedData(open.sid, open.j));
    const request = encodePj({ sid: open.sid, j: open.j, aeadNonce, sealed });
    const inFlight = { request, requestCiphertextHash: sha256(sealed), replyKey: keys.p2u, goodsInfoHash, price: order.price, cum, tMs: now };
    const session: WalletSession = { ...open, inFlight };
    return { ok: true, state: withSession(state, session), request, sid: toHex(open.sid), j: open.j };
  }

  const merchant = state.merchants[idKey(order.merchantId)];
  const yP = merchant === undefined ? null : decodePoint(merchant.y);
  if (merchant === undefined || yP === null) return fail(state, localFailure("ERR_SVS_UNKNOWN_MERCHANT", "call addMerchant first"));
  const r = randomScalar(rng);
  const rBytes = encodePoint(mulBase(r));
  const zx = xCoordinate(mulSecret(yP, r));
  const sid = sessionId(rBytes);
  const k0 = firstPaymentKey(zx, rBytes, order.merchantId, credential.params.idN, merchant.y);
  const keys = trafficKeys(k0);
  const record = withAuth(token, order.merchantId, { j: 0, goodsInfoHash, price: order.price, cum, tMs: now });
  const aeadNonce = rng(aeadNonceBytes);
  const body = encodePaymentBody({ sn: token.sn, token: { tau: token.tau, signature: token.signature }, record, goodsInfo: order.goodsInfo });
  const sealed = aeadSeal(keys.u2p, aeadNonce, body, p1AssociatedData(rBytes, sid, order.merchantId));
  const request = encodeP1({ r: rBytes, aeadNonce, sealed });
  const inFlight = { request, requestCiphertextHash: sha256(sealed), replyKey: keys.p2u, goodsInfoHash, price: order.price, cum, tMs: now };
  const session: WalletSession = { sid, sn: token.sn, idP: order.merchantId, key: k0, j: 0, inFlight };
  return { ok: true, state: withSession(state, session), request, sid: toHex(sid), j: 0 };
}

function withAuth(token: WalletToken, idP: string, record: Omit<PaymentRecord, "auth">): PaymentRecord {
  return { ...record, auth: paymentAuth(token.kPauth, idP, token.sn, record) };
}

function withSession(state: WalletState, session: WalletSession): WalletState {
  return { ...state, sessions: { ...state.sessions, [toHex(session.sid)]: session } };
}

export type PaymentOutcome =
  | { readonly accepted: true; readonly j: number; readonly cum: bigint; readonly goods: Uint8Array }
  | { readonly accepted: false; readonly j: number; readonly reason: PaymentRejectReasonName; readonly merchantSpent: bigint };

/**
 * P2 or Pj' for session `sid`: AEAD-decrypt under k_p2u^j with AD bound to H(C_j), check the receipt, log an
 * accepted payment, then ratchet K^{j+1} = HMAC(K^j, "SVS1/ratchet") and erase K^j (1 HMAC). A rejected first
 * payment closes the session (P keeps none). A reply that fails to decrypt changes nothing: resend.
 */
export function handlePaymentReply(state: WalletState, sid: string, replyBytes: Uint8Array, _now: number): Outcome<WalletState, { outcome: PaymentOutcome }> {
  const session = state.sessions[sid];
  const token = session === undefined ? undefined : state.tokens[toHex(session.sn)];
  if (session === undefined || session.inFlight === null || token === undefined) {
    return fail(state, localFailure("ERR_SVS_NO_SUCH_EXCHANGE", "no payment of this session awaits a reply"));
  }
  const inFlight = session.inFlight;
  let reply: PaymentReply;
  try {
    reply = session.j === 0 ? parseP2(replyBytes) : parsePjReply(replyBytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  if (toHex(reply.sid) !== sid || reply.j !== session.j) return fail(state, rejected("wrong-response"));
  const bodyBytes = aeadOpen(inFlight.replyKey, reply.aeadNonce, reply.sealed, replyAssociatedData(session.sid, session.j, inFlight.requestCiphertextHash));
  if (bodyBytes === null) return fail(state, rejected("decrypt"));
  let body: PaymentReplyBody;
  try {
    body = parsePaymentReplyBody(bodyBytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  if (body.j !== session.j || (body.accepted && body.cum !== inFlight.cum)) return fail(state, rejected("wrong-response"));

  let tokens = state.tokens;
  if (body.accepted) {
    const entry = {
      idP: session.idP,
      sid: session.sid,
      j: session.j,
      goodsInfoHash: inFlight.goodsInfoHash,
      price: inFlight.price,
      cum: inFlight.cum,
      tMs: inFlight.tMs,
      status: "PAID" as const,
    };
    tokens = { ...tokens, [toHex(token.sn)]: { ...token, spent: inFlight.cum, log: [...token.log, entry] } };
  }
  const outcome: PaymentOutcome = body.accepted
    ? { accepted: true, j: session.j, cum: body.cum, goods: body.goods }
    : { accepted: false, j: session.j, reason: body.reason ?? "token", merchantSpent: body.cum };
  const { [sid]: _closed, ...others } = state.sessions;
  const sessions =
    !body.accepted && session.j === 0
      ? others
      : { ...state.sessions, [sid]: { ...session, key: ratchet(session.key), j: session.j + 1, inFlight: null } };
  return { ok: true, state: { ...state, tokens, sessions }, outcome };
}

/** The payment of this session that awaits its reply, to send again (P answers a byte-identical retransmit from its cache). */
export function resendPayment(state: WalletState, sid: string): Uint8Array | null {
  return state.sessions[sid]?.inFlight?.request ?? null;
}

/**
 * Forgets a session. If a payment was in flight, P may have accepted it: U then disagrees with P's spent[SN],
 * P rejects the next payment with reason "cumulative", and a deposit naming the lost payment will not match
 * U's log. Prefer resending.
 */
export function abandonSession(state: WalletState, sid: string): WalletState {
  const { [sid]: _dropped, ...sessions } = state.sessions;
  return { ...state, sessions };
}
