/**
 * The A1 checks of §2.3, shared by A1, W1 (§2.4 step 1) and D1 (§2.7 step 1), split so that W1 can look its
 * response cache up between the cheap checks and the replay check (see withdraw.ts).
 */
import { equalBytes, idKey, toHex } from "../bytes.js";
import { certificateChallenge, implicitPublicKey } from "../crypto/derivations.js";
import { decodePoint, decodeScalar, mulSecret, xCoordinate } from "../crypto/group.js";
import { rejected } from "../errors.js";
import type { SvsFailure } from "../errors.js";
import type { Role } from "../types.js";
import type { PlatformConfig } from "./config.js";
import type { PlatformState, RegistryEntry } from "./state.js";

export function replayKey(id: string, nonce: Uint8Array): string {
  return `${idKey(id)}:${toHex(nonce)}`;
}

/** A1 step 1 (registry: exists, ACTIVE, not expired, V_X equal, role) and step 2 (|now − T| ≤ Δ). */
export function checkIdentityAndTime(
  config: PlatformConfig,
  state: PlatformState,
  claimed: { id: string; v: Uint8Array; tMs: number },
  role: Role | null,
  now: number,
): { ok: true; entry: RegistryEntry } | { ok: false; failure: SvsFailure } {
  const entry = state.registry[idKey(claimed.id)];
  if (entry === undefined) return { ok: false, failure: rejected("unknown-identity", claimed.id) };
  if (entry.status !== "ACTIVE") return { ok: false, failure: rejected("inactive-identity", claimed.id) };
  if (entry.notAfterMs <= now) return { ok: false, failure: rejected("expired-identity", claimed.id) };
  if (role !== null && entry.role !== role) return { ok: false, failure: rejected("wrong-role", claimed.id) };
  if (!equalBytes(entry.v, claimed.v)) return { ok: false, failure: rejected("key-mismatch", claimed.id) };
  if (Math.abs(now - claimed.tMs) > config.params.freshnessWindowMs) return { ok: false, failure: rejected("stale", claimed.id) };
  return { ok: true, entry };
}

/** A1 step 3: (ID_X, nonce) not in the replay cache (expired entries count as absent). */
export function isReplay(state: PlatformState, id: string, nonce: Uint8Array, now: number): boolean {
  const expiresAtMs = state.replay[replayKey(id, nonce)];
  return expiresAtMs !== undefined && expiresAtMs > now;
}

/**
 * A1 step 4: recompute e_X, Y_X = V_X + e_X·Q_N and Z' = x_N·Y_X; returns x(Z'). 2 T_mul (the §5.2 count; the
 * public Y_X could be cached per identity to save one).
 */
export function sharedSecretWith(config: PlatformConfig, entry: RegistryEntry): Uint8Array | null {
  const vX = decodePoint(entry.v);
  const qN = decodePoint(config.params.qN);
  const xN = decodeScalar(config.keys.x);
  if (vX === null || qN === null || xN === null) throw new Error("corrupt registry entry or platform keys");
  const e = certificateChallenge(entry.id, entry.role, entry.notAfterMs, entry.v, config.params.qN);
  const y = implicitPublicKey(vX, e, qN);
  return y === null ? null : xCoordinate(mulSecret(y, xN));
}

/** Replay entries live 2Δ from now: a message is fresh for at most Δ either side of its T (§2.0). */
export function replayExpiry(config: PlatformConfig, now: number): number {
  return now + 2 * config.params.freshnessWindowMs;
}
