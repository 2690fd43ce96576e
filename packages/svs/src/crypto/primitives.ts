/**
 * The symmetric primitives and ECDSA of SVS1-M (svs-protocol.md §2.0), byte-only, each call counted for §5.2.
 * This file and group.ts are the only ones that touch a crypto library, so a browser build replaces these two.
 *
 * - H = SHA-256, HMAC-SHA256, HKDF-SHA256 (RFC 5869) split into Extract and Expand: node:crypto's hkdfSync
 *   always runs both halves, and the spec uses them apart (K⁰ = Expand(prk0, ...), Expand(K_UN, ...)).
 *   Every Expand in the spec asks for 32 bytes = HashLen, so Expand is the single block T(1) = HMAC(prk, info ‖ 0x01)
 *   (RFC 5869 §2.3).
 * - AEAD: AES-256-GCM, 12-byte nonce, 16-byte tag, through @obol/crypto (node:crypto).
 * - ECDSA P-256/SHA-256 with RFC 6979 nonces for N's token signature (§2.0). OpenSSL 3.0 (Node 20) cannot make
 *   deterministic ECDSA, so signing uses @noble/curves (RFC 6979 by default); verification uses node:crypto,
 *   about 40x faster (ecosystem-notes §3), through @obol/crypto's strict P1363 parser.
 */
import { createCipheriv, createHash, createHmac, createPublicKey } from "node:crypto";
import { p256 } from "@noble/curves/nist.js";
import { aesGcmDecrypt, aesGcmEncrypt, verifyEcdsaP256 } from "@obol/crypto";
import { lp, os2ip } from "../bytes.js";
import { aeadKeyBytes, aeadNonceBytes, signatureBytes } from "../limits.js";
import { tally } from "../ops.js";
import { decodePoint, groupOrder } from "./group.js";

export function sha256(...parts: readonly Uint8Array[]): Uint8Array {
  tally("hash");
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

export function hmacSha256(key: Uint8Array, ...parts: readonly (Uint8Array | string)[]): Uint8Array {
  tally("hmac");
  return rawHmac(key, parts);
}

function rawHmac(key: Uint8Array, parts: readonly (Uint8Array | string)[]): Uint8Array {
  const mac = createHmac("sha256", key);
  for (const part of parts) mac.update(part);
  return new Uint8Array(mac.digest());
}

/** HKDF-Extract(salt, IKM) = HMAC(salt, IKM) (RFC 5869 §2.2). */
export function hkdfExtract(salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  tally("extract");
  return rawHmac(salt, [ikm]);
}

/**
 * HKDF-Expand(PRK, info, 32) (RFC 5869 §2.3). `info` given as a string is the raw ASCII label with no LP
 * prefix, the §2.0 exception, e.g. Expand(K, "SVS1/u2p").
 */
export function hkdfExpand(prk: Uint8Array, info: Uint8Array | string): Uint8Array {
  tally("expand");
  return rawHmac(prk, [info, Uint8Array.of(1)]);
}

/**
 * Hn(label, f1..fk) = OS2IP(SHA-256(LP(label) ‖ LP(f1) ‖ … ‖ LP(fk))) mod n (§2.0). A zero result aborts:
 * it happens with probability 2^-256, so it is an assertion, not an outcome.
 */
export function hashToScalar(label: string, ...fields: readonly (Uint8Array | string)[]): bigint {
  const digest = sha256(lp(label), ...fields.map((field) => lp(field)));
  const value = os2ip(digest) % groupOrder;
  if (value === 0n) throw new Error("Hn returned 0");
  return value;
}

/** AES-256-GCM encryption; returns ciphertext ‖ tag. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  assertAeadParams(key, nonce);
  tally("sym");
  return aesGcmEncrypt(key, nonce, plaintext, ad);
}

/** AES-256-GCM decryption; null when the tag does not verify (nothing is released). */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  assertAeadParams(key, nonce);
  tally("sym");
  try {
    return aesGcmDecrypt(key, nonce, sealed, ad);
  } catch {
    return null;
  }
}

function assertAeadParams(key: Uint8Array, nonce: Uint8Array): void {
  if (key.byteLength !== aeadKeyBytes || nonce.byteLength !== aeadNonceBytes) {
    throw new Error("AEAD key must be 32 bytes and nonce 12 bytes");
  }
}

/** ECDSA P-256/SHA-256 over `message`, RFC 6979 nonce, 64-byte r ‖ s. `secretKey` is a 32-byte scalar. */
export function ecdsaSign(secretKey: Uint8Array, message: Uint8Array): Uint8Array {
  tally("sign");
  return Uint8Array.from(p256.sign(message, secretKey, { prehash: true, lowS: false, format: "compact" }));
}

/** ECDSA P-256/SHA-256 verification under enc(Q) (33 bytes); false for any malformed key or signature. */
export function ecdsaVerify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  tally("verify");
  if (signature.byteLength !== signatureBytes) return false;
  const point = decodePoint(publicKey);
  if (point === null) return false;
  const affine = point.toAffine();
  const keyObject = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: base64url(affine.x), y: base64url(affine.y) },
    format: "jwk",
  });
  return verifyEcdsaP256(keyObject, message, signature, "p1363");
}

function base64url(coordinate: bigint): string {
  return Buffer.from(coordinate.toString(16).padStart(64, "0"), "hex").toString("base64url");
}

/**
 * SVS1-A only: the paper's unspecified E/D, modelled as AES-256-CTR with a random 16-byte IV and no
 * integrity (spec §3 #2), so that the benchmark counts one T_sym and property 17 can show the replay.
 */
export function unauthenticatedCipher(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  tally("sym");
  const cipher = createCipheriv("aes-256-ctr", key, iv);
  return new Uint8Array(Buffer.concat([cipher.update(data), cipher.final()]));
}
