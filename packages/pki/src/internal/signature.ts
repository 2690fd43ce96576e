import { createPublicKey } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { verifyEcdsaP256 } from "@obol/crypto";
import { isP256 } from "./keys.js";
import { OID_ECDSA_WITH_SHA256 } from "./ocsp-asn1.js";

/** A SubjectPublicKeyInfo as a KeyObject, or null if node cannot read it. */
export function publicKeyFromSpki(spki: Uint8Array): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  } catch {
    return null;
  }
}

/**
 * Verifies a signature made by this package's CAs and responders: the allow-list is exactly
 * ecdsa-with-SHA256 (RFC 5758 §3.2) by a P-256 key. Anything else is false, never an exception.
 */
export function verifiedBy(signerSpki: Uint8Array, algorithmOid: string, signed: Uint8Array, signature: Uint8Array): boolean {
  if (algorithmOid !== OID_ECDSA_WITH_SHA256) return false;
  const key = publicKeyFromSpki(signerSpki);
  if (key === null || !isP256(key)) return false;
  return verifyEcdsaP256(key, signed, signature, "der");
}
