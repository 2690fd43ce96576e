/**
 * Encoders and parsers for every SVS1-M message (svs-protocol.md §2.2-§2.7) and for the structures carried
 * inside them. Field order is the order of the spec. Parsers check every length and value, validate points,
 * and refuse trailing bytes (SvsEncodingError); encoders assume values their own party produced.
 *
 * Message type bytes (the spec names the messages but gives no numbers; these are ours):
 *   R1 0x11, R3 0x12, A1 0x21, W1 0x31, W2 0x32, P1 0x41, P2 0x42, Pj 0x43, Pj' 0x44, D1 0x51, D2 0x52,
 *   D3 0x53, D4 0x54.
 */
import { SvsEncodingError } from "../errors.js";
import {
  aeadNonceBytes,
  aeadTagBytes,
  depositRecordsMax,
  depositTokensMax,
  fieldBytesMax,
  goodsBytesMax,
  goodsInfoBytesMax,
  hashBytes,
  macBytes,
  nonceBytes,
  scalarBytes,
  serialNumberBytes,
  sessionIdBytes,
  signatureBytes,
  svsVersion,
} from "../limits.js";
import type { Role } from "../types.js";
import { FieldReader, openMessage, u32, u64, u8, writeFields, writeList, writeMessage } from "./fields.js";

export const MessageType = {
  R1: 0x11,
  R3: 0x12,
  A1: 0x21,
  W1: 0x31,
  W2: 0x32,
  P1: 0x41,
  P2: 0x42,
  Pj: 0x43,
  PjReply: 0x44,
  D1: 0x51,
  D2: 0x52,
  D3: 0x53,
  D4: 0x54,
} as const;
export type MessageName = keyof typeof MessageType;

/** The name of a message from its header, or null. Lets a transport route bytes without parsing them. */
export function messageNameOf(bytes: Uint8Array): MessageName | null {
  if (bytes.byteLength < 2 || bytes[0] !== svsVersion) return null;
  for (const [name, type] of Object.entries(MessageType)) if (type === bytes[1]) return name as MessageName;
  return null;
}

/** AEAD output: ciphertext ‖ 16-byte tag; the plaintext is at least one LP field (2 bytes). */
const sealedBytesMin = aeadTagBytes + 2;

function readRole(reader: FieldReader): Role {
  const role = reader.fixed("role", 1)[0];
  if (role === 0x55) return "U";
  if (role === 0x50) return "P";
  throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "role must be U or P");
}

// ---------------------------------------------------------------------------------------------------------
// §2.2 Registration, no-escrow variant SVS1-M-NE

/** R1, X→N: (ID_X, role_X, R_X, A, z). R_X = k'_X·G; (A, z) is a Schnorr proof of possession of k'_X. */
export interface R1 {
  readonly idX: string;
  readonly role: Role;
  readonly rX: Uint8Array;
  readonly popCommitment: Uint8Array;
  readonly popResponse: Uint8Array;
}

export function encodeR1(m: R1): Uint8Array {
  return writeMessage(MessageType.R1, [m.idX, m.role, m.rX, m.popCommitment, m.popResponse]);
}

export function parseR1(bytes: Uint8Array): R1 {
  const r = openMessage(bytes, MessageType.R1, "R1");
  const m: R1 = {
    idX: r.id("ID_X"),
    role: readRole(r),
    rX: r.point("R_X").bytes,
    popCommitment: r.point("A").bytes,
    popResponse: r.fixed("z", scalarBytes),
  };
  r.end();
  return m;
}

/** R3, N→X: (ID_X, role_X, notAfter_X, V_X, t_X, ID_N, Q_N, Q_N^sig). In SVS1-M-NE, t_X replaces s_X. */
export interface R3 {
  readonly idX: string;
  readonly role: Role;
  readonly notAfterMs: number;
  readonly vX: Uint8Array;
  readonly tX: Uint8Array;
  readonly idN: string;
  readonly qN: Uint8Array;
  readonly qNSig: Uint8Array;
}

export function encodeR3(m: R3): Uint8Array {
  return writeMessage(MessageType.R3, [m.idX, m.role, u64(m.notAfterMs), m.vX, m.tX, m.idN, m.qN, m.qNSig]);
}

export function parseR3(bytes: Uint8Array): R3 {
  const r = openMessage(bytes, MessageType.R3, "R3");
  const m: R3 = {
    idX: r.id("ID_X"),
    role: readRole(r),
    notAfterMs: r.timeMs("notAfter"),
    vX: r.point("V_X").bytes,
    tX: r.fixed("t_X", scalarBytes),
    idN: r.id("ID_N"),
    qN: r.point("Q_N").bytes,
    qNSig: r.point("Q_N^sig").bytes,
  };
  r.end();
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// §2.3 Authentication

/** A1, X→N: (ID_X, V_X, T, nonce, tag). */
export interface A1 {
  readonly idX: string;
  readonly vX: Uint8Array;
  readonly tMs: number;
  readonly nonce: Uint8Array;
  readonly tag: Uint8Array;
}

export function encodeA1(m: A1): Uint8Array {
  return writeMessage(MessageType.A1, [m.idX, m.vX, u64(m.tMs), m.nonce, m.tag]);
}

export function parseA1(bytes: Uint8Array): A1 {
  const r = openMessage(bytes, MessageType.A1, "A1");
  const m: A1 = {
    idX: r.id("ID_X"),
    vX: r.point("V_X").bytes,
    tMs: r.timeMs("T"),
    nonce: r.fixed("nonce", nonceBytes),
    tag: r.fixed("tag", macBytes),
  };
  r.end();
  return m;
}

// ---------------------------------------------------------------------------------------------------------
// §2.4 Withdrawing

/** W1, U→N: (ID_U, V_U, T1, nonce1, M_req, ID_payee, tag1). */
export interface W1 {
  readonly idU: string;
  readonly vU: Uint8Array;
  readonly t1Ms: number;
  readonly nonce1: Uint8Array;
  readonly amount: bigint;
  readonly payee: string;
  readonly tag1: Uint8Array;
}

/** The W1 bytes before tag1: "all preceding fields" that tag1 covers after LP("SVS1/W1"). */
export function encodeW1Prefix(m: Omit<W1, "tag1">): Uint8Array {
  return writeMessage(MessageType.W1, [m.idU, m.vU, u64(m.t1Ms), m.nonce1, u64(m.amount), m.payee]);
}

export function encodeW1(m: W1): Uint8Array {
  return writeMessage(MessageType.W1, [m.idU, m.vU, u64(m.t1Ms), m.nonce1, u64(m.amount), m.payee, m.tag1]);
}

export function parseW1(bytes: Uint8Array): W1 {
  const r = openMessage(bytes, MessageType.W1, "W1");
  const m: W1 = {
    idU: r.id("ID_U"),
    vU: r.point("V_U").bytes,
    t1Ms: r.timeMs("T1"),
    nonce1: r.fixed("nonce1", nonceBytes),
    amount: r.amount("M_req", 1n),
    payee: r.id("ID_payee"),
    tag1: r.fixed("tag1", macBytes),
  };
  r.end();
  return m;
}

/** W2, N→U: (ID_N, nonce2, aeadNonce, C_N). */
export interface W2 {
  readonly idN: string;
  readonly nonce2: Uint8Array;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeW2(m: W2): Uint8Array {
  return writeMessage(MessageType.W2, [m.idN, m.nonce2, m.aeadNonce, m.sealed]);
}

export function parseW2(bytes: Uint8Array): W2 {
  const r = openMessage(bytes, MessageType.W2, "W2");
  const m: W2 = {
    idN: r.id("ID_N"),
    nonce2: r.fixed("nonce2", nonceBytes),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C_N", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

/** τ = (ver, ID_N, SN, M, ID_payee, exp) (§2.4 N step 6), encoded as LP fields. */
export interface Tau {
  readonly idN: string;
  readonly sn: Uint8Array;
  readonly amount: bigint;
  readonly payee: string;
  readonly expMs: number;
}

export function encodeTau(t: Tau): Uint8Array {
  return writeFields([u8(svsVersion), t.idN, t.sn, u64(t.amount), t.payee, u64(t.expMs)]);
}

export function parseTau(bytes: Uint8Array): Tau {
  const r = new FieldReader(bytes);
  if (r.u8("ver") !== svsVersion) throw new SvsEncodingError("ERR_SVS_ENCODING_VERSION", "τ: version");
  const t: Tau = {
    idN: r.id("ID_N"),
    sn: r.fixed("SN", serialNumberBytes),
    amount: r.amount("M", 1n),
    payee: r.id("ID_payee"),
    expMs: r.timeMs("exp"),
  };
  r.end();
  return t;
}

/** Largest enc(τ): 3 + 2+255 + 2+16 + 2+8 + 2+255 + 2+8. */
export const tauBytesMax = 555;

/** Plaintext of C_N: enc(τ) ‖ σ_N ‖ I2OSP(T2, 8). */
export interface W2Body {
  readonly tau: Uint8Array;
  readonly signature: Uint8Array;
  readonly t2Ms: number;
}

export function encodeW2Body(b: W2Body): Uint8Array {
  return writeFields([b.tau, b.signature, u64(b.t2Ms)]);
}

export function parseW2Body(bytes: Uint8Array): W2Body & { parsedTau: Tau } {
  const r = new FieldReader(bytes);
  const tau = r.field("τ", 1, tauBytesMax);
  const b = { tau, parsedTau: parseTau(tau), signature: r.fixed("σ_N", signatureBytes), t2Ms: r.timeMs("T2") };
  r.end();
  return b;
}

// ---------------------------------------------------------------------------------------------------------
// §2.5-§2.6 Paying

/** P1, U→P: (R, aeadNonce, C_1). */
export interface P1 {
  readonly r: Uint8Array;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeP1(m: P1): Uint8Array {
  return writeMessage(MessageType.P1, [m.r, m.aeadNonce, m.sealed]);
}

export function parseP1(bytes: Uint8Array): P1 {
  const r = openMessage(bytes, MessageType.P1, "P1");
  const m: P1 = {
    r: r.point("R").bytes,
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C_1", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

/** One payment record (SN, j, H(GI_j), price_j, cum_j, T_j, auth_j): the part of PB_j N checks at deposit. */
export interface PaymentRecord {
  readonly j: number;
  readonly goodsInfoHash: Uint8Array;
  readonly price: bigint;
  readonly cum: bigint;
  readonly tMs: number;
  readonly auth: Uint8Array;
}

/**
 * Plaintext of C_1: PB_0 ‖ GI_0 with PB_0 = (SN, τ, σ_N, j=0, H(GI_0), price_0, cum_0, T_0, auth_0), and of C_j:
 * PB_j ‖ GI_j with PB_j = (SN, j, H(GI_j), price_j, cum_j, T_j, auth_j). `token` is present only for j = 0.
 */
export interface PaymentBody {
  readonly sn: Uint8Array;
  readonly token: { readonly tau: Uint8Array; readonly signature: Uint8Array } | null;
  readonly record: PaymentRecord;
  readonly goodsInfo: Uint8Array;
}

function recordFields(rec: PaymentRecord): Uint8Array[] {
  return [u32(rec.j), rec.goodsInfoHash, u64(rec.price), u64(rec.cum), u64(rec.tMs), rec.auth];
}

function readRecord(r: FieldReader): PaymentRecord {
  return {
    j: r.u32("j"),
    goodsInfoHash: r.fixed("H(GI)", hashBytes),
    price: r.amount("price", 1n),
    cum: r.amount("cum", 1n),
    tMs: r.timeMs("T"),
    auth: r.fixed("auth", macBytes),
  };
}

export function encodePaymentBody(b: PaymentBody): Uint8Array {
  const head = b.token === null ? [b.sn] : [b.sn, b.token.tau, b.token.signature];
  return writeFields([...head, ...recordFields(b.record), b.goodsInfo]);
}

export function parsePaymentBody(bytes: Uint8Array, first: boolean): PaymentBody {
  const r = new FieldReader(bytes);
  const sn = r.fixed("SN", serialNumberBytes);
  const token = first ? { tau: r.field("τ", 1, tauBytesMax), signature: r.fixed("σ_N", signatureBytes) } : null;
  const record = readRecord(r);
  const goodsInfo = r.field("GI", 0, goodsInfoBytesMax);
  r.end();
  if (first && record.j !== 0) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "PB_0: j must be 0");
  return { sn, token, record, goodsInfo };
}

/** P2, P→U: (sid, aeadNonce, C) and Pj', P→U: (sid, j, aeadNonce, C). */
export interface PaymentReply {
  readonly sid: Uint8Array;
  /** Absent on the wire for P2 (j = 0 is implied). */
  readonly j: number;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeP2(m: PaymentReply): Uint8Array {
  return writeMessage(MessageType.P2, [m.sid, m.aeadNonce, m.sealed]);
}

export function parseP2(bytes: Uint8Array): PaymentReply {
  const r = openMessage(bytes, MessageType.P2, "P2");
  const m: PaymentReply = {
    sid: r.fixed("sid", sessionIdBytes),
    j: 0,
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

/** Pj, U→P: (sid, j, aeadNonce, C_j). */
export interface Pj {
  readonly sid: Uint8Array;
  readonly j: number;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodePj(m: Pj): Uint8Array {
  return writeMessage(MessageType.Pj, [m.sid, u32(m.j), m.aeadNonce, m.sealed]);
}

export function parsePj(bytes: Uint8Array): Pj {
  const r = openMessage(bytes, MessageType.Pj, "Pj");
  const m: Pj = {
    sid: r.fixed("sid", sessionIdBytes),
    j: r.u32("j"),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C_j", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  if (m.j === 0) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "Pj: j must be at least 1");
  return m;
}

export function encodePjReply(m: PaymentReply): Uint8Array {
  return writeMessage(MessageType.PjReply, [m.sid, u32(m.j), m.aeadNonce, m.sealed]);
}

export function parsePjReply(bytes: Uint8Array): PaymentReply {
  const r = openMessage(bytes, MessageType.PjReply, "Pj'");
  const m: PaymentReply = {
    sid: r.fixed("sid", sessionIdBytes),
    j: r.u32("j"),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

/**
 * Business rejections P sends encrypted after a successful decryption (§2.5 P step 6, §2.6 P step 7).
 * They go only to the holder of the session key, so naming the rule is safe; the generic failure rule covers
 * failed checks before that point.
 */
export const PaymentRejectReason = {
  /** GI_j is not in P's catalogue, or price_j differs from P's price, or H(GI_j) does not match. */
  price: 1,
  /** cum_j ≠ spent[SN] + price_j: U and P disagree on what was spent. */
  cumulative: 2,
  /** cum_j > τ.M: the token would be overspent. */
  overspend: 3,
  /** τ.exp ≤ now. */
  expired: 4,
  /** |now − T_j| > Δ. */
  stale: 5,
  /** SN does not match the session. */
  token: 6,
} as const;
export type PaymentRejectReasonName = keyof typeof PaymentRejectReason;

/**
 * Plaintext of a P2/Pj' reply: EG_j ‖ receipt(j, cum_j) on ACCEPT; on REJECT the reason and P's spent[SN]
 * ("the expected cum" before this payment) so that U can resynchronise.
 */
export interface PaymentReplyBody {
  readonly accepted: boolean;
  readonly reason: PaymentRejectReasonName | null;
  readonly j: number;
  /** ACCEPT: cum_j. REJECT: spent[SN] at P. */
  readonly cum: bigint;
  readonly goods: Uint8Array;
}

export function encodePaymentReplyBody(b: PaymentReplyBody): Uint8Array {
  const reason = b.reason === null ? 0 : PaymentRejectReason[b.reason];
  return writeFields([u8(b.accepted ? 0 : 1), u8(reason), u32(b.j), u64(b.cum), b.goods]);
}

export function parsePaymentReplyBody(bytes: Uint8Array): PaymentReplyBody {
  const r = new FieldReader(bytes);
  const status = r.u8("status");
  const reasonCode = r.u8("reason");
  const j = r.u32("j");
  const cum = r.u64("cum");
  const goods = r.field("EG", 0, goodsBytesMax);
  r.end();
  if (status === 0 && reasonCode === 0) return { accepted: true, reason: null, j, cum, goods };
  const reason = (Object.keys(PaymentRejectReason) as PaymentRejectReasonName[]).find(
    (name) => PaymentRejectReason[name] === reasonCode,
  );
  if (status !== 1 || reason === undefined || goods.byteLength !== 0) {
    throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "payment reply: bad status or reason");
  }
  return { accepted: false, reason, j, cum, goods };
}

// ---------------------------------------------------------------------------------------------------------
// §2.7 Depositing

/** D1, P→N: (ID_P, V_P, T_D, nonceD, aeadNonce, C_D, tag_D). dep_id = nonceD. */
export interface D1 {
  readonly idP: string;
  readonly vP: Uint8Array;
  readonly tMs: number;
  readonly nonceD: Uint8Array;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
  readonly tag: Uint8Array;
}

export function encodeD1(m: D1): Uint8Array {
  return writeMessage(MessageType.D1, [m.idP, m.vP, u64(m.tMs), m.nonceD, m.aeadNonce, m.sealed, m.tag]);
}

export function parseD1(bytes: Uint8Array): D1 {
  const r = openMessage(bytes, MessageType.D1, "D1");
  const m: D1 = {
    idP: r.id("ID_P"),
    vP: r.point("V_P").bytes,
    tMs: r.timeMs("T_D"),
    nonceD: r.fixed("nonceD", nonceBytes),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C_D", sealedBytesMin, fieldBytesMax),
    tag: r.fixed("tag_D", macBytes),
  };
  r.end();
  return m;
}

/** One token of a deposit batch: (τ, σ_N, [(j, H(GI_j), price_j, cum_j, T_j, auth_j)…]). */
export interface DepositEntry {
  readonly tau: Uint8Array;
  readonly signature: Uint8Array;
  readonly records: readonly PaymentRecord[];
}

export function encodeDepositBatch(entries: readonly DepositEntry[]): Uint8Array {
  return writeList(
    entries.map((entry) =>
      writeFields([entry.tau, entry.signature, writeList(entry.records.map((rec) => writeFields(recordFields(rec))))]),
    ),
  );
}

/** The batch inside C_D: 1..depositTokensMax tokens, each with 1+ records, depositRecordsMax records in all. */
export function parseDepositBatch(bytes: Uint8Array): DepositEntry[] {
  const outer = new FieldReader(bytes);
  const entries: DepositEntry[] = [];
  let recordCount = 0;
  while (!outer.atEnd()) {
    if (entries.length === depositTokensMax) {
      throw new SvsEncodingError("ERR_SVS_ENCODING_LENGTH", `batch: more than ${depositTokensMax} tokens`);
    }
    const r = new FieldReader(outer.field("entry", 0, fieldBytesMax));
    const tau = r.field("τ", 1, tauBytesMax);
    const signature = r.fixed("σ_N", signatureBytes);
    const records = r.list("records", depositRecordsMax - recordCount).map((item) => {
      const rr = new FieldReader(item);
      const rec = readRecord(rr);
      rr.end();
      return rec;
    });
    r.end();
    if (records.length === 0) throw new SvsEncodingError("ERR_SVS_ENCODING_LENGTH", "batch: a token with no records");
    recordCount += records.length;
    entries.push({ tau, signature, records });
  }
  if (entries.length === 0) throw new SvsEncodingError("ERR_SVS_ENCODING_LENGTH", "batch: no tokens");
  return entries;
}

/** D2, N→U: (ID_N, SN, dep_id, aeadNonce, C_NU). */
export interface D2 {
  readonly idN: string;
  readonly sn: Uint8Array;
  readonly depId: Uint8Array;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeD2(m: D2): Uint8Array {
  return writeMessage(MessageType.D2, [m.idN, m.sn, m.depId, m.aeadNonce, m.sealed]);
}

export function parseD2(bytes: Uint8Array): D2 {
  const r = openMessage(bytes, MessageType.D2, "D2");
  const m: D2 = {
    idN: r.id("ID_N"),
    sn: r.fixed("SN", serialNumberBytes),
    depId: r.fixed("dep_id", nonceBytes),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C_NU", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

/** What U is asked to confirm: one (j, H(GI_j), price_j) per record. */
export interface ConfirmItem {
  readonly j: number;
  readonly goodsInfoHash: Uint8Array;
  readonly price: bigint;
}

/** Plaintext of C_NU: LP(ID_P) ‖ [(j, H(GI_j), price_j)] ‖ total ‖ I2OSP(T, 8). */
export interface D2Body {
  readonly idP: string;
  readonly items: readonly ConfirmItem[];
  readonly total: bigint;
  readonly tMs: number;
}

export function encodeD2Body(b: D2Body): Uint8Array {
  const items = writeList(b.items.map((item) => writeFields([u32(item.j), item.goodsInfoHash, u64(item.price)])));
  return writeFields([b.idP, items, u64(b.total), u64(b.tMs)]);
}

export function parseD2Body(bytes: Uint8Array): D2Body {
  const r = new FieldReader(bytes);
  const idP = r.id("ID_P");
  const items = r.list("records", depositRecordsMax).map((item) => {
    const ir = new FieldReader(item);
    const parsed = { j: ir.u32("j"), goodsInfoHash: ir.fixed("H(GI)", hashBytes), price: ir.amount("price", 1n) };
    ir.end();
    return parsed;
  });
  const b: D2Body = { idP, items, total: r.amount("total", 1n), tMs: r.timeMs("T") };
  r.end();
  if (items.length === 0) throw new SvsEncodingError("ERR_SVS_ENCODING_LENGTH", "D2: no records");
  return b;
}

/**
 * D3, U→N: (dep_id, SN, aeadNonce, C). The spec lists (dep_id, aeadNonce, C) but binds SN in the AD; SN is sent
 * in clear too (it is already in clear in D2) because one dep_id can cover several tokens and N needs SN to
 * find K_UN.
 */
export interface D3 {
  readonly depId: Uint8Array;
  readonly sn: Uint8Array;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeD3(m: D3): Uint8Array {
  return writeMessage(MessageType.D3, [m.depId, m.sn, m.aeadNonce, m.sealed]);
}

export function parseD3(bytes: Uint8Array): D3 {
  const r = openMessage(bytes, MessageType.D3, "D3");
  const m: D3 = {
    depId: r.fixed("dep_id", nonceBytes),
    sn: r.fixed("SN", serialNumberBytes),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

export type Decision = "ACCEPT" | "REJECT";

/** Plaintext of D3: dep_id ‖ SN ‖ decision ‖ total ‖ I2OSP(T, 8). */
export interface D3Body {
  readonly depId: Uint8Array;
  readonly sn: Uint8Array;
  readonly decision: Decision;
  readonly total: bigint;
  readonly tMs: number;
}

export function encodeD3Body(b: D3Body): Uint8Array {
  return writeFields([b.depId, b.sn, u8(b.decision === "ACCEPT" ? 1 : 2), u64(b.total), u64(b.tMs)]);
}

export function parseD3Body(bytes: Uint8Array): D3Body {
  const r = new FieldReader(bytes);
  const depId = r.fixed("dep_id", nonceBytes);
  const sn = r.fixed("SN", serialNumberBytes);
  const code = r.u8("decision");
  if (code !== 1 && code !== 2) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "D3: decision");
  const b: D3Body = { depId, sn, decision: code === 1 ? "ACCEPT" : "REJECT", total: r.u64("total"), tMs: r.timeMs("T") };
  r.end();
  return b;
}

/** D4, N→P: (dep_id, aeadNonce, C), C under Expand(prk, "SVS1/dep/result"). */
export interface D4 {
  readonly depId: Uint8Array;
  readonly aeadNonce: Uint8Array;
  readonly sealed: Uint8Array;
}

export function encodeD4(m: D4): Uint8Array {
  return writeMessage(MessageType.D4, [m.depId, m.aeadNonce, m.sealed]);
}

export function parseD4(bytes: Uint8Array): D4 {
  const r = openMessage(bytes, MessageType.D4, "D4");
  const m: D4 = {
    depId: r.fixed("dep_id", nonceBytes),
    aeadNonce: r.fixed("aeadNonce", aeadNonceBytes),
    sealed: r.field("C", sealedBytesMin, fieldBytesMax),
  };
  r.end();
  return m;
}

/** Per-token state of a deposit, as N reports it in D4. */
export type DepositItemStatus = "PENDING" | "SETTLED" | "DISPUTED" | "REJECTED";
const depositStatusCodes: Record<DepositItemStatus, number> = { PENDING: 1, SETTLED: 2, DISPUTED: 3, REJECTED: 4 };

export interface DepositResult {
  readonly sn: Uint8Array;
  readonly status: DepositItemStatus;
  /** SETTLED: the amount credited to P; otherwise the amount claimed. */
  readonly amount: bigint;
}

/** Plaintext of D4: [(SN, status, amount)] ‖ I2OSP(T, 8). */
export interface D4Body {
  readonly results: readonly DepositResult[];
  readonly tMs: number;
}

export function encodeD4Body(b: D4Body): Uint8Array {
  const results = writeList(b.results.map((x) => writeFields([x.sn, u8(depositStatusCodes[x.status]), u64(x.amount)])));
  return writeFields([results, u64(b.tMs)]);
}

export function parseD4Body(bytes: Uint8Array): D4Body {
  const r = new FieldReader(bytes);
  const results = r.list("results", depositTokensMax).map((item) => {
    const ir = new FieldReader(item);
    const sn = ir.fixed("SN", serialNumberBytes);
    const code = ir.u8("status");
    const status = (Object.keys(depositStatusCodes) as DepositItemStatus[]).find((s) => depositStatusCodes[s] === code);
    if (status === undefined) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "D4: status");
    const parsed = { sn, status, amount: ir.u64("amount") };
    ir.end();
    return parsed;
  });
  const b: D4Body = { results, tMs: r.timeMs("T") };
  r.end();
  return b;
}

