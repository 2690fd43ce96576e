/**
 * Enrolment of a wallet (U) or merchant (P) with N, no-escrow variant SVS1-M-NE (svs-protocol.md §2.2):
 * X contributes R_X = k'_X·G with a Schnorr proof of possession, N returns t_X = k_N + e_X·x_N for
 * V_X = R_X + k_N·G, and X sets s_X = k'_X + t_X. The check equation s_X·G = V_X + e_X·Q_N is the spec's, so
 * Y_X = V_X + e_X·Q_N and every later message are unchanged, but N never learns s_X.
 */
import { equalBytes } from "./bytes.js";
import { certificateChallenge, possessionChallenge } from "./crypto/derivations.js";
import {
  addPoints,
  decodePoint,
  decodeScalar,
  encodePoint,
  encodeScalar,
  modOrder,
  mulBase,
  mulPublic,
  pointsEqual,
  randomScalar,
} from "./crypto/group.js";
import { rejected } from "./errors.js";
import type { SvsFailure } from "./errors.js";
import { encodeR1, parseR3 } from "./encoding/messages.js";
import type { PublicParams, Rng, Role } from "./types.js";

/** What X keeps after enrolment (§4: s_X, V_X, ID_X, Q_N, Q_N^sig). `secret` is s_X: keep it in a keystore. */
export interface Credential {
  readonly id: string;
  readonly role: Role;
  /** s_X, 32 bytes. Secret. */
  readonly secret: Uint8Array;
  /** enc(V_X). */
  readonly v: Uint8Array;
  /** enc(Y_X) = enc(s_X·G) = enc(V_X + e_X·Q_N), X's implicit public key (a by-product of the R4 check). */
  readonly y: Uint8Array;
  readonly notAfterMs: number;
  readonly params: PublicParams;
}

/** Between R1 and R3 X keeps k'_X (secret) and its R1 for a retry. */
export interface PendingEnrolment {
  readonly id: string;
  readonly role: Role;
  readonly params: PublicParams;
  /** k'_X, 32 bytes. Secret. */
  readonly contribution: Uint8Array;
  readonly r1: Uint8Array;
}

/**
 * R1: k'_X, a ←$ [1, n−1]; R_X = k'_X·G, A = a·G; c = Hn("SVS1/reg/pop", ID_X, role, enc(R_X), enc(A), ID_N);
 * z = a + c·k'_X. 2 T_mul. `params` are N's parameters, pinned out of band (§2.1 I4).
 */
export function startEnrolment(params: PublicParams, id: string, role: Role, rng: Rng): { pending: PendingEnrolment; r1: Uint8Array } {
  const contribution = randomScalar(rng);
  const rX = encodePoint(mulBase(contribution));
  const a = randomScalar(rng);
  const commitment = encodePoint(mulBase(a));
  const c = possessionChallenge(id, role, rX, commitment, params.idN);
  const z = modOrder(a + c * contribution);
  const r1 = encodeR1({ idX: id, role, rX, popCommitment: commitment, popResponse: encodeScalar(z) });
  return { pending: { id, role, params, contribution: encodeScalar(contribution), r1 }, r1 };
}

/**
 * R4: validate V_X, check the echoed identity and N's parameters against the pinned ones, s_X = k'_X + t_X in
 * [1, n−1], recompute e_X and check s_X·G == V_X + e_X·Q_N. 2 T_mul. On failure discard everything (§2.2 R4).
 */
export function finishEnrolment(pending: PendingEnrolment, r3Bytes: Uint8Array, now: number): { ok: true; credential: Credential } | { ok: false; failure: SvsFailure } {
  let r3;
  try {
    r3 = parseR3(r3Bytes);
  } catch {
    return { ok: false, failure: rejected("encoding") };
  }
  const { params } = pending;
  if (r3.idX !== pending.id || r3.role !== pending.role) return { ok: false, failure: rejected("unknown-identity") };
  if (r3.idN !== params.idN || !equalBytes(r3.qN, params.qN) || !equalBytes(r3.qNSig, params.qNSig)) {
    return { ok: false, failure: rejected("params-mismatch") };
  }
  if (r3.notAfterMs <= now) return { ok: false, failure: rejected("expired-identity") };
  const t = decodeScalar(r3.tX);
  const k = decodeScalar(pending.contribution);
  const vX = decodePoint(r3.vX);
  const qN = decodePoint(params.qN);
  if (t === null || k === null || vX === null || qN === null) return { ok: false, failure: rejected("bad-credential") };
  const s = modOrder(k + t);
  if (s === 0n) return { ok: false, failure: rejected("bad-credential") };
  const e = certificateChallenge(pending.id, pending.role, r3.notAfterMs, r3.vX, params.qN);
  const y = mulBase(s);
  if (!pointsEqual(y, addPoints(vX, mulPublic(qN, e)))) return { ok: false, failure: rejected("bad-credential") };
  return {
    ok: true,
    credential: { id: pending.id, role: pending.role, secret: encodeScalar(s), v: r3.vX, y: encodePoint(y), notAfterMs: r3.notAfterMs, params },
  };
}
