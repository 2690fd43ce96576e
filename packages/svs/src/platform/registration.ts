/** §2.2 R2-R3 at N, no-escrow variant SVS1-M-NE (see ../credential.ts), and §2.3 A1. */
import { equalBytes, idKey } from "../bytes.js";
import { certificateChallenge, loginTag, possessionChallenge } from "../crypto/derivations.js";
import {
  addPoints,
  decodePoint,
  decodeScalar,
  encodePoint,
  encodeScalar,
  isIdentity,
  modOrder,
  mulBase,
  mulPublic,
  pointsEqual,
  randomScalar,
} from "../crypto/group.js";
import { sha256 } from "../crypto/primitives.js";
import { rejected } from "../errors.js";
import { encodeR3, parseA1, parseR1 } from "../encoding/messages.js";
import type { A1, R1 } from "../encoding/messages.js";
import { fail } from "../outcome.js";
import type { Outcome } from "../outcome.js";
import type { Rng, Role } from "../types.js";
import { checkIdentityAndTime, isReplay, replayExpiry, replayKey, sharedSecretWith } from "./authenticate.js";
import type { PlatformConfig } from "./config.js";
import type { PlatformState, RegistryEntry } from "./state.js";

/** Who the enrolment channel authenticated (the adapter decides: login, identity proofing, §2.2 R1). */
export interface EnrolmentGrant {
  readonly id: string;
  readonly role: Role;
  /** Ledger account of this identity. */
  readonly account: string;
  readonly notAfterMs: number;
}

/**
 * R1 → R3. Checks: R1 parses (points valid); ID and role are the ones the channel authenticated; a retried R1
 * (same bytes) gets the stored R3; otherwise the ID must be new; the proof of possession z·G == A + c·R_X holds.
 * Then k_N ←$, V_X = R_X + k_N·G, e_X, t_X = k_N + e_X·x_N; reg[ID_X] stored. 3 T_mul (2 for the proof).
 */
export function handleR1(
  config: PlatformConfig,
  state: PlatformState,
  r1Bytes: Uint8Array,
  grant: EnrolmentGrant,
  now: number,
  rng: Rng,
): Outcome<PlatformState, { reply: Uint8Array }> {
  let r1: R1;
  try {
    r1 = parseR1(r1Bytes);
  } catch {
    return fail(state, rejected("encoding", grant.id));
  }
  if (r1.idX !== grant.id || r1.role !== grant.role) return fail(state, rejected("unknown-identity", grant.id));
  const key = idKey(r1.idX);
  const existing = state.registry[key];
  const r1Hash = sha256(r1Bytes);
  if (existing !== undefined) {
    if (equalBytes(existing.r1Hash, r1Hash)) return { ok: true, state, reply: existing.r3 };
    return fail(state, rejected("already-registered", grant.id));
  }
  if (grant.notAfterMs <= now) return fail(state, rejected("expired-identity", grant.id));
  const rX = decodePoint(r1.rX);
  const commitment = decodePoint(r1.popCommitment);
  const z = decodeScalar(r1.popResponse);
  if (rX === null || commitment === null || z === null) return fail(state, rejected("bad-proof", grant.id));
  const c = possessionChallenge(r1.idX, r1.role, r1.rX, r1.popCommitment, config.params.idN);
  if (!pointsEqual(mulBase(z), addPoints(commitment, mulPublic(rX, c)))) return fail(state, rejected("bad-proof", grant.id));

  const xN = decodeScalar(config.keys.x);
  if (xN === null) throw new Error("corrupt platform key");
  for (;;) {
    const kN = randomScalar(rng);
    const v = addPoints(rX, mulBase(kN));
    if (isIdentity(v)) continue; // R2a: V_X must be a valid point; happens only if k_N = −k'_X
    const vBytes = encodePoint(v);
    const e = certificateChallenge(r1.idX, r1.role, grant.notAfterMs, vBytes, config.params.qN);
    const t = modOrder(kN + e * xN);
    if (t === 0n) continue; // R2c: restart
    const r3 = encodeR3({
      idX: r1.idX,
      role: r1.role,
      notAfterMs: grant.notAfterMs,
      vX: vBytes,
      tX: encodeScalar(t),
      idN: config.params.idN,
      qN: config.params.qN,
      qNSig: config.params.qNSig,
    });
    const entry: RegistryEntry = {
      id: r1.idX,
      role: r1.role,
      v: vBytes,
      notAfterMs: grant.notAfterMs,
      status: "ACTIVE",
      account: grant.account,
      r1Hash,
      r3,
    };
    return { ok: true, state: { ...state, registry: { ...state.registry, [key]: entry } }, reply: r3 };
  }
}

/** Revocation (§3 #9): A1, W1 and D1 of this identity are refused from now on. */
export function revoke(state: PlatformState, id: string): PlatformState {
  const entry = state.registry[idKey(id)];
  if (entry === undefined || entry.status === "REVOKED") return state;
  return { ...state, registry: { ...state.registry, [idKey(id)]: { ...entry, status: "REVOKED" } } };
}

/**
 * A1 (§2.3), checks in order: registry, freshness, replay, tag; on success (ID_X, nonce) enters the replay
 * cache. Returns who logged in. 2 T_mul.
 */
export function handleA1(
  config: PlatformConfig,
  state: PlatformState,
  a1Bytes: Uint8Array,
  now: number,
): Outcome<PlatformState, { authenticated: { id: string; role: Role; account: string } }> {
  let a1: A1;
  try {
    a1 = parseA1(a1Bytes);
  } catch {
    return fail(state, rejected("encoding"));
  }
  const checked = checkIdentityAndTime(config, state, { id: a1.idX, v: a1.vX, tMs: a1.tMs }, null, now);
  if (!checked.ok) return fail(state, checked.failure);
  if (isReplay(state, a1.idX, a1.nonce, now)) return fail(state, rejected("replay", a1.idX));
  const zx = sharedSecretWith(config, checked.entry);
  if (zx === null || !equalBytes(loginTag(zx, a1.idX, config.params.idN, a1.vX, a1.tMs, a1.nonce), a1.tag)) {
    return fail(state, rejected("bad-tag", a1.idX));
  }
  const replay = { ...state.replay, [replayKey(a1.idX, a1.nonce)]: replayExpiry(config, now) };
  const { entry } = checked;
  return { ok: true, state: { ...state, replay }, authenticated: { id: entry.id, role: entry.role, account: entry.account } };
}
