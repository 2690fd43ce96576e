/**
 * Stable error codes of @obol/svs. `code` is for programs and never reused; `message` is for people.
 *
 * Two kinds:
 * - SvsEncodingError: a parser refused bytes (thrown by the parse* functions; the party handlers catch it and
 *   turn it into the generic failure of §2.0).
 * - SvsFailure: the value a party handler returns when a check fails. On the wire the peer gets only
 *   `code` ("ERR_SVS_REJECTED" for every failed check, per the generic failure rule of §2.0); `reason` says
 *   which check failed and is for the receiver's log and rate limiter only.
 */
export type SvsEncodingErrorCode =
  /** A field's length prefix runs past the end, or a field is missing. */
  | "ERR_SVS_ENCODING_TRUNCATED"
  /** Bytes follow the last field of a message or structure. */
  | "ERR_SVS_ENCODING_TRAILING"
  /** The version byte is not 0x01. */
  | "ERR_SVS_ENCODING_VERSION"
  /** The message type byte is not the one expected (or unknown). */
  | "ERR_SVS_ENCODING_TYPE"
  /** A field's length is outside its limits (fixed size, or min/max). */
  | "ERR_SVS_ENCODING_LENGTH"
  /** A field has the right length but an impossible value (bad UTF-8, unknown enum, zero amount, time > 2^53). */
  | "ERR_SVS_ENCODING_VALUE"
  /** A point does not decode, is not on P-256, or is the identity (§2.0, property 25). */
  | "ERR_SVS_ENCODING_POINT"
  /** The whole input is larger than messageBytesMax. */
  | "ERR_SVS_ENCODING_TOO_LARGE";

export class SvsEncodingError extends Error {
  readonly code: SvsEncodingErrorCode;

  constructor(code: SvsEncodingErrorCode, message: string) {
    super(message);
    this.name = "SvsEncodingError";
    this.code = code;
  }
}

export function isSvsEncodingError(value: unknown, code?: SvsEncodingErrorCode): value is SvsEncodingError {
  return value instanceof SvsEncodingError && (code === undefined || value.code === code);
}

/**
 * Codes a handler returns.
 * - ERR_SVS_REJECTED: a received message failed a check (generic failure rule, §2.0). Send only this code back.
 * - The others come from local calls (the party's own program asked for something impossible); they never
 *   answer a peer's message and may be shown to the local user.
 */
export type SvsFailureCode =
  | "ERR_SVS_REJECTED"
  /** The party has no credential yet, or an enrolment is already under way / not under way. */
  | "ERR_SVS_NOT_ENROLLED"
  /** The wallet holds no usable token with this serial number (unknown, expired or wrong payee). */
  | "ERR_SVS_UNKNOWN_TOKEN"
  /** The payment would take the token's cumulative amount past its maximum M. */
  | "ERR_SVS_TOKEN_EXHAUSTED"
  /** A payment with this token is waiting for its reply: resend it or abandon the session first. */
  | "ERR_SVS_BUSY"
  /** No cached merchant key Y_P for this merchant: call wallet.addMerchant first. */
  | "ERR_SVS_UNKNOWN_MERCHANT"
  /** No such session, pending withdrawal or deposit, or it is waiting for a reply. */
  | "ERR_SVS_NO_SUCH_EXCHANGE"
  /** A pending W1 may no longer be resent: |now - T1| > Δ (§2.4 U step 2). */
  | "ERR_SVS_RETRY_EXPIRED"
  /** Nothing to deposit. */
  | "ERR_SVS_NOTHING_TO_DEPOSIT"
  /** An argument is outside its limits (amount 0, goods information too long, ...). */
  | "ERR_SVS_INVALID_ARGUMENT";

/** Why a check failed, for the receiver's log (never sent). One value per check of §2.2-§2.7. */
export type SvsRejectReason =
  | "encoding"
  | "unknown-identity"
  | "wrong-role"
  | "inactive-identity"
  | "expired-identity"
  | "key-mismatch"
  | "stale"
  | "replay"
  | "bad-tag"
  | "bad-proof"
  | "already-registered"
  | "unknown-payee"
  | "amount"
  | "insufficient-funds"
  | "nonce-reuse"
  | "decrypt"
  | "bad-token"
  | "bad-signature"
  | "wrong-payee"
  | "token-expired"
  | "session-reused"
  | "unknown-session"
  | "out-of-order"
  | "unknown-deposit"
  | "wrong-response"
  | "bad-credential"
  | "params-mismatch";

export interface SvsFailure {
  readonly code: SvsFailureCode;
  /** Which check failed; only for ERR_SVS_REJECTED. Log it, never send it. */
  readonly reason?: SvsRejectReason;
  /** The identity the message claimed, if any, so the caller can rate-limit it (§2.0). */
  readonly claimedId?: string;
  /** For people (logs, the local CLI). */
  readonly message: string;
}

export function rejected(reason: SvsRejectReason, claimedId?: string, message?: string): SvsFailure {
  return {
    code: "ERR_SVS_REJECTED",
    reason,
    ...(claimedId === undefined ? {} : { claimedId }),
    message: message ?? `rejected: ${reason}`,
  };
}

export function localFailure(code: Exclude<SvsFailureCode, "ERR_SVS_REJECTED">, message: string): SvsFailure {
  return { code, message };
}
