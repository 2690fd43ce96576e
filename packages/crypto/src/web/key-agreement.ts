import { CryptoError } from "../errors.js";
import { assertBytes, concatBytes } from "../internal/bytes.js";
import { p256FieldBytes } from "../limits.js";
import { decodeP256Point } from "../p256.js";
import { buffer, isCryptoKey, subtle } from "./subtle.js";

/**
 * ECDH-ES over P-256 (SEC 1 §3.3.1; xmlenc-core1 §5.6.2), the single-step ConcatKDF with SHA-256
 * (NIST SP 800-56A Rev. 3 §5.8.2.1; xmlenc-core1 §5.4.1) and AES-256 key wrap (RFC 3394; xmlenc-core1
 * §5.7.3 kw-aes256): how a named session key reaches a device.
 */

/** A fresh ECDH P-256 key pair; the private key is not extractable. */
export async function generateEcdhP256KeyPair(): Promise<CryptoKeyPair> {
  return subtle().generateKey({ name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]) as Promise<CryptoKeyPair>;
}

/** The uncompressed SEC1 point (0x04 || X || Y) of a public ECDH or ECDSA P-256 CryptoKey. */
export async function exportP256Point(publicKey: CryptoKey): Promise<Uint8Array> {
  if (!isCryptoKey(publicKey) || publicKey.type !== "public") throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "a public P-256 CryptoKey was expected");
  return new Uint8Array(await subtle().exportKey("raw", publicKey));
}

/**
 * Z = x(d * Q) for a peer point given as SEC1 bytes. The point is fully validated first (on the curve, not the
 * identity; decodeP256Point), so invalid-curve points never reach the platform's implementation.
 */
export async function ecdhP256(privateKey: CryptoKey, peerPoint: Uint8Array): Promise<Uint8Array> {
  const algorithm = (isCryptoKey(privateKey) ? privateKey.algorithm : {}) as { name?: string; namedCurve?: string };
  if (!isCryptoKey(privateKey) || privateKey.type !== "private" || algorithm.name !== "ECDH" || algorithm.namedCurve !== "P-256") {
    throw new CryptoError("ERR_CRYPTO_INVALID_KEY", "privateKey must be an ECDH P-256 private CryptoKey");
  }
  assertBytes(peerPoint, "peerPoint");
  const point = decodeP256Point(peerPoint);
  let peer: CryptoKey;
  try {
    peer = await subtle().importKey("raw", buffer(concatBytes(Uint8Array.of(0x04), point.x, point.y)), { name: "ECDH", namedCurve: "P-256" }, false, []);
  } catch {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "invalid P-256 public point");
  }
  try {
    return new Uint8Array(await subtle().deriveBits({ name: "ECDH", public: peer }, privateKey, p256FieldBytes * 8));
  } catch {
    throw new CryptoError("ERR_CRYPTO_INVALID_INPUT", "ECDH with the peer public key failed");
  }
}

/**
 * ConcatKDF with SHA-256 for a 256-bit key (SP 800-56A §5.8.2.1.1): one round, K = SHA-256(00000001 || Z ||
 * OtherInfo), OtherInfo = AlgorithmID || PartyUInfo || PartyVInfo as raw bytes (xmlenc-core1 §5.4.1 writes each
 * in hex after a "00" padding-bits octet, which is not part of the input).
 */
export async function concatKdfSha256(z: Uint8Array, otherInfo: { algorithmId: Uint8Array; partyUInfo: Uint8Array; partyVInfo: Uint8Array }): Promise<Uint8Array> {
  assertBytes(z, "z");
  const input = concatBytes(Uint8Array.of(0, 0, 0, 1), z, otherInfo.algorithmId, otherInfo.partyUInfo, otherInfo.partyVInfo);
  return new Uint8Array(await subtle().digest("SHA-256", buffer(input)));
}

async function kek(key: Uint8Array, usage: KeyUsage): Promise<CryptoKey> {
  assertBytes(key, "kek");
  if (key.byteLength !== 32) throw new CryptoError("ERR_CRYPTO_ALGORITHM", "the key-encryption key must be 32 bytes (kw-aes256)");
  return subtle().importKey("raw", buffer(key), "AES-KW", false, [usage]);
}

/** AES-256 key wrap (RFC 3394 §2.2.1) of a 16- or 32-byte key. */
export async function aesKwWrap(kekBytes: Uint8Array, keyToWrap: Uint8Array): Promise<Uint8Array> {
  assertBytes(keyToWrap, "keyToWrap");
  if (keyToWrap.byteLength !== 16 && keyToWrap.byteLength !== 32) throw new CryptoError("ERR_CRYPTO_ALGORITHM", "only AES-128/256 keys are wrapped");
  const wrapping = await kek(kekBytes, "wrapKey");
  const inner = await subtle().importKey("raw", buffer(keyToWrap), "AES-GCM", true, ["encrypt"]);
  return new Uint8Array(await subtle().wrapKey("raw", inner, wrapping, "AES-KW"));
}

/**
 * AES-256 key unwrap (RFC 3394 §2.2.2) into an AES-GCM CryptoKey. `extractable` false keeps the session key out
 * of JavaScript memory (a browser wallet); true lets the caller export it. Any failure (integrity check,
 * length): ERR_CRYPTO_DECRYPT_FAILED, no detail.
 */
export async function aesKwUnwrap(kekBytes: Uint8Array, wrapped: Uint8Array, extractable: boolean): Promise<CryptoKey> {
  assertBytes(wrapped, "wrapped");
  const unwrapping = await kek(kekBytes, "unwrapKey");
  try {
    return await subtle().unwrapKey("raw", buffer(wrapped), unwrapping, "AES-KW", "AES-GCM", extractable, ["encrypt", "decrypt"]);
  } catch {
    throw new CryptoError("ERR_CRYPTO_DECRYPT_FAILED", "decryption failed");
  }
}

/** The raw bytes of an extractable AES CryptoKey. */
export async function exportAesKey(key: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle().exportKey("raw", key));
}
