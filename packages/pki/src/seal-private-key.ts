import { KeyObject } from "node:crypto";
import { aesGcmEncrypt, randomBytes } from "@obol/crypto";
import { PkiError } from "./errors.js";
import { deriveKey, deriveKeyAsync, header, passphraseBytes, toBase64Url } from "./internal/sealed-format.js";
import {
  sealIvBytes,
  sealPassphraseCharsMax,
  sealPassphraseCharsMin,
  sealSaltBytes,
  sealScryptLog2N,
  sealScryptP,
  sealScryptR,
} from "./limits.js";

/**
 * Encrypts a private key for storage at rest: PKCS#8 DER under AES-256-GCM with a key from scrypt
 * (N = 2^15, r = 8, p = 1, random 16-byte salt, random 96-bit IV). The text format is documented in
 * internal/sealed-format.ts and the README. Takes about 0.1 s and 32 MiB (that is the point of scrypt).
 * Throws ERR_PKI_WEAK_PASSPHRASE for passphrases under sealPassphraseCharsMin characters.
 */
export function sealPrivateKey(key: KeyObject, passphrase: string): string {
  const sealing = prepare(key, passphrase);
  return finish(sealing, deriveKey(sealing.secret, sealing.salt, sealScryptLog2N, sealScryptR, sealScryptP));
}

/**
 * sealPrivateKey with scrypt on libuv's thread pool: the same format and cost, but several keys can be sealed
 * at once (a first start seals a handful) while the event loop goes on.
 */
export async function sealPrivateKeyAsync(key: KeyObject, passphrase: string): Promise<string> {
  const sealing = prepare(key, passphrase);
  let aesKey: Buffer;
  try {
    aesKey = await deriveKeyAsync(sealing.secret, sealing.salt, sealScryptLog2N, sealScryptR, sealScryptP);
  } catch (error) {
    sealing.secret.fill(0);
    throw error;
  }
  return finish(sealing, aesKey);
}

interface Sealing { key: KeyObject; secret: Buffer; salt: Uint8Array }

function prepare(key: KeyObject, passphrase: string): Sealing {
  if (!(key instanceof KeyObject) || key.type !== "private") {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "key must be a private KeyObject");
  }
  const secret = passphraseBytes(passphrase);
  if (secret === null) {
    throw new PkiError(
      "ERR_PKI_WEAK_PASSPHRASE",
      `passphrase must have ${sealPassphraseCharsMin} to ${sealPassphraseCharsMax} characters`,
    );
  }
  return { key, secret, salt: randomBytes(sealSaltBytes) };
}

function finish({ key, secret, salt }: Sealing, aesKey: Buffer): string {
  const iv = randomBytes(sealIvBytes);
  const aad = header(sealScryptLog2N, sealScryptR, sealScryptP);
  const pkcs8 = key.export({ format: "der", type: "pkcs8" });
  try {
    const sealed = aesGcmEncrypt(aesKey, iv, pkcs8, Buffer.from(aad, "ascii"));
    return `${aad}:${toBase64Url(salt)}:${toBase64Url(iv)}:${toBase64Url(sealed)}`;
  } finally {
    pkcs8.fill(0);
    aesKey.fill(0);
    secret.fill(0);
  }
}
