import type { SvsFailure } from "./errors.js";

/**
 * What every party handler returns. On success: the new state, plus the reply and effects named in T. On
 * failure: the failure and the state to keep, which equals the input unless the spec says a failed message
 * still changes something (P records R as seen once C_1 decrypts, §2.5; P advances j_last once C_j decrypts,
 * §2.6). Handlers never mutate their input; persisting `state` is always correct.
 */
export type Outcome<S, T extends object = object> = ({ ok: true; state: S } & T) | { ok: false; state: S; failure: SvsFailure };

export function fail<S>(state: S, failure: SvsFailure): { ok: false; state: S; failure: SvsFailure } {
  return { ok: false, state, failure };
}
