/**
 * The one error class of @obol/crypto. `code` is stable and meant for programs; `message` is for people and
 * may change. Decryption failures carry no detail on purpose (no padding or tag oracle, RFC 8017 §7.1.2 note).
 */
export type CryptoErrorCode =
  /** A key of the wrong type, curve or size was passed: a programming error, not attacker input. */
  | "ERR_CRYPTO_INVALID_KEY"
  /** An input is not a Uint8Array, has an impossible length, or is not a valid encoding (e.g. a peer point). */
  | "ERR_CRYPTO_INVALID_INPUT"
  /** Authenticated decryption or key unwrapping failed. Deliberately says nothing about why. */
  | "ERR_CRYPTO_DECRYPT_FAILED"
  /** An algorithm or parameter outside the allow-list (AES-192, a 64-bit GCM IV, an unknown hash, ...). */
  | "ERR_CRYPTO_ALGORITHM";

export class CryptoError extends Error {
  readonly code: CryptoErrorCode;

  constructor(code: CryptoErrorCode, message: string) {
    super(message);
    this.name = "CryptoError";
    this.code = code;
  }
}

export function isCryptoError(value: unknown, code?: CryptoErrorCode): value is CryptoError {
  return value instanceof CryptoError && (code === undefined || value.code === code);
}
