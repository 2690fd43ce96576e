import { createPrivateKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { aesGcmDecrypt, isCryptoError } from "@obol/crypto";
import { PkiError } from "./errors.js";
import { deriveKey, deriveKeyAsync, fromBase64Url, header, passphraseBytes, sealedKeyPattern } from "./internal/sealed-format.js";
import { sealIvBytes, sealSaltBytes, sealScryptLog2NMax, sealScryptLog2NMin, sealedKeyCharsMax } from "./limits.js";

/**
 * Opens a key sealed by sealPrivateKey(). Throws ERR_PKI_BAD_PASSPHRASE when the GCM tag does not verify
 * (wrong passphrase, or a modified blob: the two are deliberately indistinguishable), ERR_PKI_SEALED_FORMAT
 * when the text is not a v1 sealed key or its scrypt parameters are outside [2^15, 2^17] x r = 8 x p = 1
 * (so a tampered record cannot make us allocate gigabytes).
 */
export function openPrivateKey(sealed: string, passphrase: string): KeyObject {
  const opening = parse(sealed, passphrase);
  return finish(opening, deriveKey(opening.secret, opening.salt, opening.log2N, 8, 1));
}

/** openPrivateKey with scrypt on libuv's thread pool, so that several keys open at once. Same checks, same errors. */
export async function openPrivateKeyAsync(sealed: string, passphrase: string): Promise<KeyObject> {
  const opening = parse(sealed, passphrase);
  let aesKey: Buffer;
  try {
    aesKey = await deriveKeyAsync(opening.secret, opening.salt, opening.log2N, 8, 1);
  } catch (error) {
    opening.secret.fill(0);
    throw error;
  }
  return finish(opening, aesKey);
}

interface Opening { log2N: number; salt: Uint8Array; iv: Uint8Array; body: Uint8Array; secret: Buffer }

function parse(sealed: string, passphrase: string): Opening {
  if (typeof sealed !== "string" || sealed.length > sealedKeyCharsMax) {
    throw new PkiError("ERR_PKI_SEALED_FORMAT", "not a sealed key");
  }
  const match = sealedKeyPattern.exec(sealed);
  if (match === null) throw new PkiError("ERR_PKI_SEALED_FORMAT", "not a v1 sealed key");
  const [, ln, r, p, saltText, ivText, bodyText] = match as unknown as [string, string, string, string, string, string, string];
  const log2N = Number(ln);
  if (log2N < sealScryptLog2NMin || log2N > sealScryptLog2NMax || r !== "8" || p !== "1") {
    throw new PkiError("ERR_PKI_SEALED_FORMAT", "scrypt parameters out of bounds");
  }
  const salt = fromBase64Url(saltText);
  const iv = fromBase64Url(ivText);
  const body = fromBase64Url(bodyText);
  if (salt === null || iv === null || body === null || salt.length !== sealSaltBytes || iv.length !== sealIvBytes) {
    throw new PkiError("ERR_PKI_SEALED_FORMAT", "bad salt, IV or ciphertext encoding");
  }
  const secret = passphraseBytes(passphrase);
  // Too short or too long to have been accepted by sealPrivateKey(): it cannot be the right one.
  if (secret === null) throw new PkiError("ERR_PKI_BAD_PASSPHRASE", "wrong passphrase or damaged sealed key");
  return { log2N, salt, iv, body, secret };
}

function finish({ log2N, iv, body, secret }: Opening, aesKey: Buffer): KeyObject {
  let pkcs8: Uint8Array;
  try {
    pkcs8 = aesGcmDecrypt(aesKey, iv, body, Buffer.from(header(log2N, 8, 1), "ascii"));
  } catch (error) {
    if (isCryptoError(error, "ERR_CRYPTO_DECRYPT_FAILED")) {
      throw new PkiError("ERR_PKI_BAD_PASSPHRASE", "wrong passphrase or damaged sealed key");
    }
    throw error;
  } finally {
    aesKey.fill(0);
    secret.fill(0);
  }
  try {
    return createPrivateKey({ key: Buffer.from(pkcs8.buffer, pkcs8.byteOffset, pkcs8.byteLength), format: "der", type: "pkcs8" });
  } catch (cause) {
    throw new PkiError("ERR_PKI_SEALED_FORMAT", "the sealed content is not a PKCS#8 private key", { cause });
  } finally {
    pkcs8.fill(0);
  }
}
