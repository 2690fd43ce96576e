import { CryptoError } from "../errors.js";
import { randomBytesMax } from "../limits.js";

/** `n` bytes from the platform CSPRNG (crypto.getRandomValues, W3C WebCrypto §10.1.1). 0 <= n <= randomBytesMax. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0 || n > randomBytesMax) {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", `randomBytes length must be an integer in [0, ${randomBytesMax}]`);
  }
  const out = new Uint8Array(n);
  // getRandomValues fills at most 65,536 bytes per call, which is randomBytesMax.
  globalThis.crypto.getRandomValues(out);
  return out;
}
