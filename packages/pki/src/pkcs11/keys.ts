import { createPublicKey, type KeyObject } from "node:crypto";
import { PkiError } from "../errors.js";
import type { Handle } from "./binding.js";
import {
  CKA_EC_PARAMS, CKA_EC_POINT, CKA_EXTRACTABLE, CKA_KEY_TYPE, CKA_SENSITIVE, CKA_SIGN, CKK_EC, CKO_PRIVATE_KEY,
  CKO_PUBLIC_KEY, P256_EC_PARAMS,
} from "./constants.js";
import { findByLabel, pkcs11Failure, type TokenSession } from "./token.js";

/** SubjectPublicKeyInfo of a P-256 key up to the point (RFC 5480 §2: id-ecPublicKey, prime256v1, BIT STRING). */
const p256SpkiPrefix = Buffer.from("3059301306072a8648ce3d020106082a8648ce3d030107034200", "hex");

/** The key pair labelled config.keyLabel: its private key handle and its public key, checked. */
export interface TokenKeyPair {
  readonly privateKey: Handle;
  readonly publicKey: KeyObject;
}

function one(token: TokenSession, objectClass: number, what: string): Handle {
  const found = findByLabel(token, objectClass);
  if (found.length !== 1) {
    throw new PkiError("ERR_PKI_PKCS11_KEY", `${found.length === 0 ? "no" : "more than one"} ${what} labelled "${token.keyLabel}" on the token`);
  }
  return found[0]!;
}

function attributes(token: TokenSession, object: Handle, types: number[]): Map<number, Buffer> {
  try {
    return new Map(token.module.C_GetAttributeValue(token.session, object, types.map((type) => ({ type }))).map((a) => [a.type, a.value]));
  } catch (error) {
    throw pkcs11Failure(error, "C_GetAttributeValue");
  }
}

const isTrue = (value: Buffer | undefined) => value !== undefined && value.length === 1 && value[0] === 1;
const isFalse = (value: Buffer | undefined) => value !== undefined && value.length === 1 && value[0] === 0;

/** CK_ULONG as the module wrote it: native byte order, 4 or 8 bytes. */
function ulong(value: Buffer | undefined): number | undefined {
  if (value === undefined) return undefined;
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (value.length === 8) return Number(littleEndian ? value.readBigUInt64LE() : value.readBigUInt64BE());
  if (value.length === 4) return littleEndian ? value.readUInt32LE() : value.readUInt32BE();
  return undefined;
}

/**
 * CKA_EC_POINT to a public KeyObject. PKCS#11 §2.3.3 says DER OCTET STRING of the uncompressed point; some
 * modules give the bare point, which is accepted too. node:crypto checks the point is on the curve.
 */
export function publicKeyFromEcPoint(ecPoint: Buffer): KeyObject {
  let point = ecPoint;
  if (point.length === 67 && point[0] === 0x04 && point[1] === 0x41) point = point.subarray(2);
  if (point.length !== 65 || point[0] !== 0x04) throw new PkiError("ERR_PKI_PKCS11_KEY", "CKA_EC_POINT is not an uncompressed P-256 point");
  try {
    return createPublicKey({ key: Buffer.concat([p256SpkiPrefix, point]), format: "der", type: "spki" });
  } catch (cause) {
    throw new PkiError("ERR_PKI_PKCS11_KEY", "CKA_EC_POINT is not a point on P-256", { cause });
  }
}

/**
 * Finds the key pair and checks the private key is what a CA key must be: EC on P-256, for signing, sensitive
 * and not extractable (PKCS#11 §4.9: its value can never leave the token in clear). ERR_PKI_PKCS11_KEY.
 */
export function findKeyPair(token: TokenSession): TokenKeyPair {
  const privateKey = one(token, CKO_PRIVATE_KEY, "private key");
  const publicObject = one(token, CKO_PUBLIC_KEY, "public key");
  const a = attributes(token, privateKey, [CKA_KEY_TYPE, CKA_EC_PARAMS, CKA_SIGN, CKA_SENSITIVE, CKA_EXTRACTABLE]);
  if (ulong(a.get(CKA_KEY_TYPE)) !== CKK_EC || !Buffer.from(P256_EC_PARAMS).equals(a.get(CKA_EC_PARAMS) ?? Buffer.alloc(0))) {
    throw new PkiError("ERR_PKI_PKCS11_KEY", "the private key is not an EC P-256 key");
  }
  if (!isTrue(a.get(CKA_SIGN))) throw new PkiError("ERR_PKI_PKCS11_KEY", "the private key may not sign (CKA_SIGN)");
  if (!isTrue(a.get(CKA_SENSITIVE)) || !isFalse(a.get(CKA_EXTRACTABLE))) {
    throw new PkiError("ERR_PKI_PKCS11_KEY", "the private key must be sensitive and not extractable");
  }
  const p = attributes(token, publicObject, [CKA_EC_PARAMS, CKA_EC_POINT]);
  if (!Buffer.from(P256_EC_PARAMS).equals(p.get(CKA_EC_PARAMS) ?? Buffer.alloc(0))) {
    throw new PkiError("ERR_PKI_PKCS11_KEY", "the public key is not an EC P-256 key");
  }
  return { privateKey, publicKey: publicKeyFromEcPoint(p.get(CKA_EC_POINT) ?? Buffer.alloc(0)) };
}
