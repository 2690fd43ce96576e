/**
 * Every key, tag and challenge of SVS1-M, each a direct transcription of one line of svs-protocol.md §2.2-§2.7.
 * Labels written LP("…") in the spec are LP-prefixed here; bare labels (Expand(K, "SVS1/u2p")) are raw ASCII
 * (§2.0 exception). Each function states its cost in the units of §5.2.
 */
import { concatBytes, i2osp, lp } from "../bytes.js";
import type { PaymentRecord } from "../encoding/messages.js";
import { sessionIdBytes } from "../limits.js";
import type { Role } from "../types.js";
import { addPoints, encodePoint, isIdentity, mulPublic, xCoordinate } from "./group.js";
import type { GroupPoint } from "./group.js";
import { hashToScalar, hkdfExpand, hkdfExtract, hmacSha256, sha256 } from "./primitives.js";

/** e_X = Hn("SVS1/cert", ID_X, role_X, I2OSP(notAfter_X, 8), enc(V_X), enc(Q_N)) (§2.2 R2b). 1 T_h. */
export function certificateChallenge(idX: string, role: Role, notAfterMs: number, vX: Uint8Array, qN: Uint8Array): bigint {
  return hashToScalar("SVS1/cert", idX, role, i2osp(notAfterMs, 8), vX, qN);
}

/** Y_X = V_X + e_X·Q_N, X's implicit public key (§2.2). 1 T_mul. Null if it is the identity. */
export function implicitPublicKey(vX: GroupPoint, eX: bigint, qN: GroupPoint): GroupPoint | null {
  const y = addPoints(vX, mulPublic(qN, eX));
  return isIdentity(y) ? null : y;
}

/** Schnorr proof-of-possession challenge for SVS1-M-NE R1: c = Hn("SVS1/reg/pop", ID_X, role, enc(R_X), enc(A), ID_N). */
export function possessionChallenge(idX: string, role: Role, rX: Uint8Array, commitment: Uint8Array, idN: string): bigint {
  return hashToScalar("SVS1/reg/pop", idX, role, rX, commitment, idN);
}

/**
 * A1 tag (§2.3): prk = Extract(I2OSP(T,8) ‖ nonce, x(Z));
 * tag = HMAC(Expand(prk, LP("SVS1/auth") ‖ LP(ID_X) ‖ LP(ID_N)), LP("SVS1/A1") ‖ LP(ID_X) ‖ LP(enc(V_X)) ‖ I2OSP(T,8) ‖ nonce).
 * 1 Extract + 1 Expand + 1 HMAC.
 */
export function loginTag(zx: Uint8Array, idX: string, idN: string, vX: Uint8Array, tMs: number, nonce: Uint8Array): Uint8Array {
  const time = i2osp(tMs, 8);
  const prk = hkdfExtract(concatBytes(time, nonce), zx);
  const key = hkdfExpand(prk, concatBytes(lp("SVS1/auth"), lp(idX), lp(idN)));
  return hmacSha256(key, concatBytes(lp("SVS1/A1"), lp(idX), lp(vX), time, nonce));
}

/**
 * W1 tag1 (§2.4): prk1 = Extract(I2OSP(T1,8) ‖ nonce1, x(Z));
 * tag1 = HMAC(Expand(prk1, LP("SVS1/wd/auth") ‖ LP(ID_U) ‖ LP(ID_N)), LP("SVS1/W1") ‖ all preceding fields),
 * where "all preceding fields" is the W1 encoding up to tag1 (encodeW1Prefix). 1 Extract + 1 Expand + 1 HMAC.
 */
export function withdrawTag(zx: Uint8Array, idU: string, idN: string, t1Ms: number, nonce1: Uint8Array, w1Prefix: Uint8Array): Uint8Array {
  const prk1 = hkdfExtract(concatBytes(i2osp(t1Ms, 8), nonce1), zx);
  const key = hkdfExpand(prk1, concatBytes(lp("SVS1/wd/auth"), lp(idU), lp(idN)));
  return hmacSha256(key, concatBytes(lp("SVS1/W1"), w1Prefix));
}

/**
 * Withdrawal keys (§2.4 N steps 8-10): prk = Extract(nonce1 ‖ nonce2, x(Z)); K_UN = Expand(prk, LP("SVS1/KUN") ‖ H(W1));
 * k_w2 = Expand(prk, LP("SVS1/wd/resp") ‖ H(W1)). 1 Extract + 2 Expand.
 */
export function withdrawKeys(zx: Uint8Array, nonce1: Uint8Array, nonce2: Uint8Array, w1Hash: Uint8Array): { kUN: Uint8Array; kW2: Uint8Array } {
  const prk = hkdfExtract(concatBytes(nonce1, nonce2), zx);
  return {
    kUN: hkdfExpand(prk, concatBytes(lp("SVS1/KUN"), w1Hash)),
    kW2: hkdfExpand(prk, concatBytes(lp("SVS1/wd/resp"), w1Hash)),
  };
}

/** AD of C_N: LP("SVS1/W2") ‖ H(W1) ‖ nonce2. */
export function w2AssociatedData(w1Hash: Uint8Array, nonce2: Uint8Array): Uint8Array {
  return concatBytes(lp("SVS1/W2"), w1Hash, nonce2);
}

/** The bytes N signs: LP("SVS1/token") ‖ enc(τ) (§2.4 N step 7). */
export function tokenSignatureInput(tau: Uint8Array): Uint8Array {
  return concatBytes(lp("SVS1/token"), tau);
}

/**
 * K⁰ = Expand(Extract(enc(R), x(Z)), LP("SVS1/pay/K0") ‖ LP(ID_P) ‖ LP(ID_N) ‖ LP(enc(Y_P))) (§2.5), Z = r·Y_P = s_P·R.
 * 1 Extract + 1 Expand.
 */
export function firstPaymentKey(zx: Uint8Array, r: Uint8Array, idP: string, idN: string, yP: Uint8Array): Uint8Array {
  const prk0 = hkdfExtract(r, zx);
  return hkdfExpand(prk0, concatBytes(lp("SVS1/pay/K0"), lp(idP), lp(idN), lp(yP)));
}

/** k_u2p^j = Expand(K^j, "SVS1/u2p"), k_p2u^j = Expand(K^j, "SVS1/p2u"): one key per direction. 2 Expand. */
export function trafficKeys(k: Uint8Array): { u2p: Uint8Array; p2u: Uint8Array } {
  return { u2p: hkdfExpand(k, "SVS1/u2p"), p2u: hkdfExpand(k, "SVS1/p2u") };
}

/** K^{j+1} = HMAC(K^j, "SVS1/ratchet") (§2.6). 1 HMAC. */
export function ratchet(k: Uint8Array): Uint8Array {
  return hmacSha256(k, "SVS1/ratchet");
}

/** sid = H(LP("SVS1/sid") ‖ enc(R))[0..16] (§2.5). 1 T_h. */
export function sessionId(r: Uint8Array): Uint8Array {
  return sha256(lp("SVS1/sid"), r).subarray(0, sessionIdBytes);
}

/** k_pauth = Expand(K_UN, "SVS1/pay/auth-key") (§2.5). 1 Expand; U keeps it with the token. */
export function paymentAuthKey(kUN: Uint8Array): Uint8Array {
  return hkdfExpand(kUN, "SVS1/pay/auth-key");
}

/**
 * auth_j = HMAC(k_pauth, LP("SVS1/pay/auth") ‖ LP(ID_P) ‖ SN ‖ I2OSP(j,4) ‖ H(GI_j) ‖ I2OSP(price_j,8) ‖ I2OSP(cum_j,8) ‖ I2OSP(T_j,8)).
 * 1 HMAC.
 */
export function paymentAuth(kPauth: Uint8Array, idP: string, sn: Uint8Array, record: Omit<PaymentRecord, "auth">): Uint8Array {
  return hmacSha256(
    kPauth,
    concatBytes(
      lp("SVS1/pay/auth"),
      lp(idP),
      sn,
      i2osp(record.j, 4),
      record.goodsInfoHash,
      i2osp(record.price, 8),
      i2osp(record.cum, 8),
      i2osp(record.tMs, 8),
    ),
  );
}

/** AD of C_1: LP("SVS1/P1") ‖ enc(R) ‖ sid ‖ LP(ID_P). */
export function p1AssociatedData(r: Uint8Array, sid: Uint8Array, idP: string): Uint8Array {
  return concatBytes(lp("SVS1/P1"), r, sid, lp(idP));
}

/** AD of a P2 (j = 0): LP("SVS1/P2") ‖ sid ‖ I2OSP(0,4) ‖ H(C_1); of a Pj': LP("SVS1/Pj'") ‖ sid ‖ I2OSP(j,4) ‖ H(C_j). */
export function replyAssociatedData(sid: Uint8Array, j: number, requestCiphertextHash: Uint8Array): Uint8Array {
  return concatBytes(lp(j === 0 ? "SVS1/P2" : "SVS1/Pj'"), sid, i2osp(j, 4), requestCiphertextHash);
}

/** AD of C_j: LP("SVS1/Pj") ‖ sid ‖ I2OSP(j,4). */
export function pjAssociatedData(sid: Uint8Array, j: number): Uint8Array {
  return concatBytes(lp("SVS1/Pj"), sid, i2osp(j, 4));
}

/**
 * Deposit keys (§2.7 D1): prk = Extract(I2OSP(T_D,8) ‖ nonceD, x(s_P·Q_N)); enc = Expand(prk, "SVS1/dep/enc"),
 * tag = Expand(prk, "SVS1/dep/tag"), result = Expand(prk, "SVS1/dep/result"). 1 Extract + 3 Expand.
 */
export function depositKeys(zx: Uint8Array, tMs: number, nonceD: Uint8Array): { enc: Uint8Array; tag: Uint8Array; result: Uint8Array } {
  const prk = hkdfExtract(concatBytes(i2osp(tMs, 8), nonceD), zx);
  return { enc: hkdfExpand(prk, "SVS1/dep/enc"), tag: hkdfExpand(prk, "SVS1/dep/tag"), result: hkdfExpand(prk, "SVS1/dep/result") };
}

/** AD of C_D: LP("SVS1/D1") ‖ LP(ID_P) ‖ I2OSP(T_D,8) ‖ nonceD. */
export function d1AssociatedData(idP: string, tMs: number, nonceD: Uint8Array): Uint8Array {
  return concatBytes(lp("SVS1/D1"), lp(idP), i2osp(tMs, 8), nonceD);
}

/** tag_D = HMAC(Expand(prk,"SVS1/dep/tag"), hdr ‖ H(C_D)), hdr = LP("SVS1/D1") ‖ LP(ID_P) ‖ LP(enc(V_P)) ‖ I2OSP(T_D,8) ‖ nonceD ‖ aeadNonce. */
export function depositTag(
  tagKey: Uint8Array,
  idP: string,
  vP: Uint8Array,
  tMs: number,
  nonceD: Uint8Array,
  aeadNonce: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  const hdr = concatBytes(lp("SVS1/D1"), lp(idP), lp(vP), i2osp(tMs, 8), nonceD, aeadNonce);
  return hmacSha256(tagKey, concatBytes(hdr, sha256(sealed)));
}

/** Key of C_NU (D2): Expand(K_UN, "SVS1/dep/n2u"); of D3: Expand(K_UN, "SVS1/dep/u2n"). */
export function confirmationKeys(kUN: Uint8Array): { n2u: Uint8Array; u2n: Uint8Array } {
  return { n2u: hkdfExpand(kUN, "SVS1/dep/n2u"), u2n: hkdfExpand(kUN, "SVS1/dep/u2n") };
}

/** AD of D2: LP("SVS1/D2") ‖ SN ‖ dep_id; of D3: LP("SVS1/D3") ‖ SN ‖ dep_id. */
export function confirmationAssociatedData(kind: "D2" | "D3", sn: Uint8Array, depId: Uint8Array): Uint8Array {
  return concatBytes(lp(`SVS1/${kind}`), sn, depId);
}

/** AD of D4 (not given by the spec; same pattern): LP("SVS1/D4") ‖ dep_id. */
export function d4AssociatedData(depId: Uint8Array): Uint8Array {
  return concatBytes(lp("SVS1/D4"), depId);
}

/** enc(Y) and x(Z) as used above. */
export { encodePoint, xCoordinate };
