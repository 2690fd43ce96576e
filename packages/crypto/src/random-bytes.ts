import { randomBytes as nodeRandomBytes } from "node:crypto";
import { CryptoError } from "./errors.js";
import { copyBytes } from "./internal/bytes.js";
import { randomBytesMax } from "./limits.js";

/** `n` bytes from OpenSSL's CSPRNG (SP 800-90A CTR_DRBG seeded by the OS). 0 <= n <= randomBytesMax. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > randomBytesMax) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", `randomBytes length must be an integer in [0, ${randomBytesMax}]`);
  }
  return copyBytes(nodeRandomBytes(n));
}
