import { CryptoError } from "../errors.js";

/**
 * The W3C Web Cryptography API of the running platform: `globalThis.crypto.subtle` in browsers and in Node
 * (19+; Node's is OpenSSL underneath). Everything under src/web uses only this, never `node:` modules, so the
 * client library runs unchanged in Node and in browsers.
 */
export function subtle(): SubtleCrypto {
  const api = (globalThis as { crypto?: Crypto }).crypto;
  if (api?.subtle === undefined) {
    throw new CryptoError("ERR_CRYPTO_ALGORITHM", "WebCrypto (globalThis.crypto.subtle) is not available: a secure context is needed");
  }
  return api.subtle;
}

/** A fresh ArrayBuffer copy: WebCrypto takes BufferSource, and a view into a larger buffer must not leak it. */
export function buffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.slice().buffer as ArrayBuffer;
}

export function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== "undefined" && value instanceof CryptoKey;
}
