/**
 * SVS1-A: the scheme as published, with the reconstructed [R] equations of svs-protocol.md §2.2-§2.7.
 * FOR THE COST COMPARISON ONLY (npm run bench:svs, property 17). It has escrowed keys (N computes s_X), no
 * integrity (E = AES-256-CTR), no replay state and raw hashes as keys: never expose it on a network.
 * It is reachable only through the subpath "@obol/svs/svs1a"; nothing in "@obol/svs" imports it.
 *
 * Values are passed as objects, not wire bytes: the point is to count operations (§5.2), not to interoperate.
 * h = SHA-256 over the plain concatenation of its inputs, as in the paper; e_X = h(…) mod n.
 */
import { concatBytes, i2osp, os2ip, toHex, utf8 } from "../bytes.js";
import {
  addPoints,
  decodePoint,
  encodePoint,
  encodeScalar,
  groupOrder,
  modOrder,
  mulBase,
  mulPublic,
  mulSecret,
  pointsEqual,
  randomScalar,
  xCoordinate,
} from "../crypto/group.js";
import type { GroupPoint } from "../crypto/group.js";
import { ecdsaSign, ecdsaVerify, sha256, unauthenticatedCipher } from "../crypto/primitives.js";
import { FieldReader, u64, writeFields } from "../encoding/fields.js";
import type { Rng } from "../types.js";

const ivBytes = 16;

function h(...parts: (Uint8Array | string)[]): Uint8Array {
  return sha256(...parts.map((p) => (typeof p === "string" ? utf8(p) : p)));
}

/** e_X = h(ID_X ‖ x(V_X) ‖ y(V_X)) mod n (§2.2 R2b, SVS1-A). 1 T_h. */
function challenge(id: string, v: GroupPoint): bigint {
  const affine = v.toAffine();
  return os2ip(h(id, i2osp(affine.x, 32), i2osp(affine.y, 32))) % groupOrder;
}

function encrypt(key: Uint8Array, plaintext: Uint8Array, rng: Rng): { iv: Uint8Array; body: Uint8Array } {
  const iv = rng(ivBytes);
  return { iv, body: unauthenticatedCipher(key, iv, plaintext) };
}

function decrypt(key: Uint8Array, sealed: { iv: Uint8Array; body: Uint8Array }): Uint8Array {
  return unauthenticatedCipher(key, sealed.iv, sealed.body);
}

export interface Operator {
  readonly id: string;
  readonly x: bigint;
  readonly q: GroupPoint;
  readonly sigKey: Uint8Array;
  readonly sigPublic: Uint8Array;
}

export function setup(id: string, rng: Rng): Operator {
  const x = randomScalar(rng);
  const sig = randomScalar(rng);
  return { id, x, q: mulBase(x), sigKey: encodeScalar(sig), sigPublic: encodePoint(mulBase(sig)) };
}

/** An enrolled party. In SVS1-A, N computed `s`, so N knows it too (key escrow, §3 #8). */
export interface Party {
  readonly id: string;
  readonly v: GroupPoint;
  readonly s: bigint;
}

/** R2 at N: k ←$, V = k·G, e = h(ID ‖ x(V) ‖ y(V)), s = k + e·x_N. 1 T_mul + 1 T_h. */
export function register(n: Operator, id: string, rng: Rng): Party {
  for (;;) {
    const k = randomScalar(rng);
    const v = mulBase(k);
    const s = modOrder(k + challenge(id, v) * n.x);
    if (s !== 0n) return { id, v, s };
  }
}

/** R4 at X: s·G == V + e·Q_N. 2 T_mul + 1 T_h. */
export function checkRegistration(qN: GroupPoint, party: Party): boolean {
  return pointsEqual(mulBase(party.s), addPoints(party.v, mulPublic(qN, challenge(party.id, party.v))));
}

/** Y_X = V_X + e_X·Q_N. 1 T_mul + 1 T_h. */
export function implicitKey(qN: GroupPoint, id: string, v: GroupPoint): GroupPoint {
  return addPoints(v, mulPublic(qN, challenge(id, v)));
}

export interface Login {
  readonly id: string;
  readonly v: GroupPoint;
  readonly c: Uint8Array;
  readonly tMs: number;
}

/** §2.3 at U: C = h(ID ‖ x(s_U·Q_N) ‖ T). 1 T_mul + 1 T_h. Also W-1 without M_req. */
export function login(party: Party, qN: GroupPoint, tMs: number): { login: Login; zx: Uint8Array } {
  const zx = xCoordinate(mulSecret(qN, party.s));
  return { login: { id: party.id, v: party.v, c: h(party.id, zx, u64(tMs)), tMs }, zx };
}

/** §2.3 at N: K' = x_N·(V + e·Q_N), C' = h(ID ‖ x(K') ‖ T), accept iff C' = C and T is fresh. 2 T_mul + 2 T_h. */
export function verifyLogin(n: Operator, message: Login, now: number, windowMs: number): Uint8Array | null {
  if (Math.abs(now - message.tMs) > windowMs) return null;
  const kx = xCoordinate(mulSecret(implicitKey(n.q, message.id, message.v), n.x));
  const expected = h(message.id, kx, u64(message.tMs));
  return toHex(expected) === toHex(message.c) ? kx : null;
}

export interface IssuedToken {
  readonly sn: Uint8Array;
  readonly amount: bigint;
  readonly signature: Uint8Array;
  readonly t2Ms: number;
}

/** W-2..W-4 at N. Returns C_N and the record (ID_U, SN, M, K_UN). 2 T_mul + 3 T_h + T_sig + T_sym. */
export function issue(n: Operator, request: Login & { amount: bigint }, now: number, windowMs: number, rng: Rng) {
  const kx = verifyLogin(n, request, now, windowMs);
  if (kx === null) return null;
  const sn = rng(16);
  const kUN = h(kx, request.id, u64(request.tMs));
  const signature = ecdsaSign(n.sigKey, concatBytes(u64(request.amount), sn, u64(now)));
  const sealed = encrypt(kUN, writeFields([u64(request.amount), sn, signature, n.id, u64(now)]), rng);
  return { sealed, record: { idU: request.id, sn, amount: request.amount, kUN } };
}

/** W-5 at U: K_UN = h(x(Z) ‖ ID_U ‖ T_1), decrypt, verify Sig_N. 1 T_h + T_sym + T_ver. */
export function receiveToken(n: Pick<Operator, "sigPublic">, idU: string, zx: Uint8Array, t1Ms: number, sealed: { iv: Uint8Array; body: Uint8Array }) {
  const kUN = h(zx, idU, u64(t1Ms));
  const r = new FieldReader(decrypt(kUN, sealed));
  const amount = r.u64("M");
  const sn = r.fixed("SN", 16);
  const signature = r.fixed("Sig", 64);
  r.id("ID_N");
  const t2Ms = r.timeMs("T2");
  if (!ecdsaVerify(n.sigPublic, concatBytes(u64(amount), sn, u64(t2Ms)), signature)) return null;
  return { token: { sn, amount, signature, t2Ms } as IssuedToken, kUN };
}

export interface WalletSession {
  readonly kUP: Uint8Array;
  readonly r: Uint8Array;
  /** K^j of the last payment sent. */
  readonly key: Uint8Array;
  readonly j: number;
}

export interface PaymentMessage {
  /** Session handle sent in clear (enc(R)), and j. */
  readonly r: Uint8Array;
  readonly j: number;
  readonly sealed: { iv: Uint8Array; body: Uint8Array };
}

/**
 * 1.1 at U: r ←$, R = r·G, K_UP = h(x(r·Y_P) ‖ ID_P ‖ ID_N), C_1 = E(GI ‖ price ‖ M ‖ SN ‖ Sig_N ‖ T).
 * 2 T_mul + 1 T_h with Y_P cached (implicitKey adds 1 T_mul + 1 T_h).
 */
export function firstPayment(idN: string, idP: string, yP: GroupPoint, token: IssuedToken, goodsInfo: string, price: bigint, tMs: number, rng: Rng) {
  const r = randomScalar(rng);
  const rBytes = encodePoint(mulBase(r));
  const kUP = h(xCoordinate(mulSecret(yP, r)), idP, idN);
  const body = writeFields([goodsInfo, u64(price), u64(token.amount), token.sn, token.signature, u64(token.t2Ms), u64(tMs)]);
  const message: PaymentMessage = { r: rBytes, j: 0, sealed: encrypt(kUP, body, rng) };
  return { message, session: { kUP, r: rBytes, key: kUP, j: 0 } as WalletSession };
}

/** J.1-J.2 at U: K^j = h(K^{j−1}) (1 T_h), C_j = E_{K^j}(GI_j ‖ price_j ‖ T_j). 0 T_mul. */
export function nextPayment(session: WalletSession, goodsInfo: string, price: bigint, tMs: number, rng: Rng) {
  const key = h(session.key);
  const message: PaymentMessage = { r: session.r, j: session.j + 1, sealed: encrypt(key, writeFields([goodsInfo, u64(price), u64(tMs)]), rng) };
  return { message, session: { ...session, key, j: session.j + 1 } };
}

export interface MerchantSession {
  readonly kUP: Uint8Array;
  readonly sn: Uint8Array;
  readonly amount: bigint;
  readonly spent: bigint;
  readonly records: readonly { j: number; goodsInfo: string; price: bigint }[];
}

export interface Merchant {
  readonly party: Party;
  readonly sessions: Readonly<Record<string, MerchantSession>>;
}

/**
 * 1.2-1.3 and J.2-J.3 at P. j = 0: K_UP = h(x(s_P·R) ‖ ID_P ‖ ID_N) (1 T_mul + 1 T_h), decrypt, verify Sig_N
 * (T_ver), price ≤ M. j ≥ 1: K^j = h^j(K_UP) recomputed from K_UP (j T_h, the paper's "hash j times"),
 * decrypt, accept iff Σ price ≤ M. There is no record of which j were seen (spec §3 #3): property 17.
 */
export function acceptPayment(merchant: Merchant, n: Pick<Operator, "id" | "sigPublic">, message: PaymentMessage) {
  const handle = toHex(message.r);
  let session = merchant.sessions[handle];
  try {
    if (message.j === 0) {
      const rPoint = decodePoint(message.r);
      if (rPoint === null) return null;
      const kUP = h(xCoordinate(mulSecret(rPoint, merchant.party.s)), merchant.party.id, n.id);
      const body = new FieldReader(decrypt(kUP, message.sealed));
      const goodsInfo = new TextDecoder().decode(body.field("GI", 0, 1024));
      const price = body.u64("price");
      const amount = body.u64("M");
      const sn = body.fixed("SN", 16);
      const signature = body.fixed("Sig", 64);
      const t2Ms = body.timeMs("T2");
      body.timeMs("T");
      if (!ecdsaVerify(n.sigPublic, concatBytes(u64(amount), sn, u64(t2Ms)), signature) || price > amount) return null;
      session = { kUP, sn, amount, spent: price, records: [{ j: 0, goodsInfo, price }] };
      return { merchant: { ...merchant, sessions: { ...merchant.sessions, [handle]: session } }, price };
    }
    if (session === undefined) return null;
    let key = session.kUP;
    for (let i = 0; i < message.j; i++) key = h(key);
    const body = new FieldReader(decrypt(key, message.sealed));
    const goodsInfo = new TextDecoder().decode(body.field("GI", 0, 1024));
    const price = body.u64("price");
    body.timeMs("T");
    const spent = session.spent + price;
    if (spent > session.amount) return null;
    const next: MerchantSession = { ...session, spent, records: [...session.records, { j: message.j, goodsInfo, price }] };
    return { merchant: { ...merchant, sessions: { ...merchant.sessions, [handle]: next } }, price };
  } catch {
    return null;
  }
}

/** Deposit at P: C_P = h(ID_P ‖ x(s_P·Q_N) ‖ T_P). 1 T_mul + 1 T_h. */
export function depositRequest(merchant: Merchant, qN: GroupPoint, tMs: number): Login {
  return login(merchant.party, qN, tMs).login;
}

/**
 * Deposit at N: K' = x_N·(V_P + e_P·Q_N), C' (2 T_mul + 2 T_h), then per token C_NU = E_{K_UN}(ID_P ‖ SN ‖ GI ‖ Σprice)
 * (k T_sym). Tokens are found by SN, with no signature verification.
 */
export function verifyDeposit(
  n: Operator,
  request: Login,
  claims: readonly { sn: Uint8Array; goodsInfo: string; total: bigint; kUN: Uint8Array }[],
  now: number,
  windowMs: number,
  rng: Rng,
) {
  if (verifyLogin(n, request, now, windowMs) === null) return null;
  return claims.map((claim) => encrypt(claim.kUN, writeFields([request.id, claim.sn, claim.goodsInfo, u64(claim.total)]), rng));
}

/** Deposit at U: decrypt C_NU and agree iff the total is what U paid. 1 T_sym. */
export function confirmDeposit(kUN: Uint8Array, sealed: { iv: Uint8Array; body: Uint8Array }, expectedTotal: bigint): boolean {
  try {
    const r = new FieldReader(decrypt(kUN, sealed));
    r.id("ID_P");
    r.fixed("SN", 16);
    r.field("GI", 0, 65535);
    return r.u64("total") === expectedTotal;
  } catch {
    return false;
  }
}
