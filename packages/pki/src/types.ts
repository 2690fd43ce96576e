import type { KeyObject } from "node:crypto";
import type { SigningCa } from "./signer.js";

/**
 * A CA as the platform holds it: its certificate (DER) and its private key. Returned by createRootCa() and
 * createIssuingCa(); passed as `issuer` to everything that signs. Store the key with sealPrivateKey().
 */
export interface CaKeyPair {
  readonly certificateDer: Uint8Array;
  readonly privateKey: KeyObject;
}

/**
 * Whatever may sign as a CA: a key pair held in this process, or a certificate with a Signer whose key is
 * elsewhere (a PKCS#11 token).
 */
export type Issuer = CaKeyPair | SigningCa;

/** Reason codes (RFC 5280 §5.3.1). "unspecified" is written as an entry without a reasonCode extension. */
export type RevocationReason =
  | "unspecified"
  | "keyCompromise"
  | "cACompromise"
  | "affiliationChanged"
  | "superseded"
  | "cessationOfOperation"
  | "certificateHold"
  | "privilegeWithdrawn";

export const revocationReasonCodes: Readonly<Record<RevocationReason, number>> = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  // 7 is not used; 8 removeFromCRL only appears in delta CRLs, which we do not produce.
  privilegeWithdrawn: 9,
};

export function revocationReasonOf(code: number): RevocationReason | undefined {
  for (const [name, value] of Object.entries(revocationReasonCodes)) if (value === code) return name as RevocationReason;
  return undefined;
}

/** Revocation status of one serial, as the platform's certificate store knows it. */
export type CertificateStatus = "good" | "unknown" | { readonly revokedAt: Date; readonly reason?: RevocationReason };

/**
 * Looks a serial up in the platform's certificate store. `serialHex` is lowercase hex of the serial's minimal
 * unsigned big-endian bytes (even length, no "00" sign octet), the form every function here produces.
 */
export type StatusOf = (serialHex: string) => CertificateStatus;
