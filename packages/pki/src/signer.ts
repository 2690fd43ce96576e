import { KeyObject, createPublicKey } from "node:crypto";
import { signEcdsaP256 } from "@obol/crypto";
import { PkiError } from "./errors.js";
import { assertP256PrivateKey, isP256 } from "./internal/keys.js";

/**
 * What signs for a CA. The private key stays where it is (a sealed key opened in this process, a PKCS#11
 * token, an HSM); only this interface crosses into certificate, CRL and OCSP issuance. One algorithm:
 * ECDSA on P-256 with SHA-256 (RFC 5758 §3.2, ecdsa-with-SHA256).
 */
export interface Signer {
  readonly algorithm: "ecdsa-p256-sha256";
  /** The public half. Issuance checks it against the CA certificate and verifies every signature with it. */
  readonly publicKey: KeyObject;
  /**
   * ECDSA over SHA-256(data), as IEEE P1363 r || s (64 bytes): what WebCrypto and PKCS#11 CKM_ECDSA produce.
   * The caller re-encodes it as DER where X.509 wants that (RFC 3279 §2.2.3).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** A CA whose key is behind a Signer: what the issuing functions accept beside a CaKeyPair. */
export interface SigningCa {
  readonly certificateDer: Uint8Array;
  readonly signer: Signer;
}

const softwareSigners = new WeakMap<KeyObject, Signer>();

/** A Signer over a P-256 private KeyObject held in this process (e.g. from openPrivateKey()). */
export function softwareSigner(privateKey: KeyObject): Signer {
  assertP256PrivateKey(privateKey, "privateKey");
  let signer = softwareSigners.get(privateKey);
  if (signer === undefined) {
    signer = Object.freeze({
      algorithm: "ecdsa-p256-sha256" as const,
      publicKey: createPublicKey(privateKey),
      sign: async (data: Uint8Array) => signEcdsaP256(privateKey, data, "p1363"),
    });
    softwareSigners.set(privateKey, signer);
  }
  return signer;
}

/** Checks the shape of a caller's Signer; throws ERR_PKI_INVALID_INPUT. */
export function checkSigner(value: unknown, name: string): Signer {
  const signer = value as Signer;
  if (
    typeof signer !== "object" || signer === null || signer.algorithm !== "ecdsa-p256-sha256" ||
    !(signer.publicKey instanceof KeyObject) || signer.publicKey.type !== "public" || !isP256(signer.publicKey) ||
    typeof signer.sign !== "function"
  ) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${name} must be a Signer: { algorithm: "ecdsa-p256-sha256", publicKey: P-256 public KeyObject, sign }`);
  }
  return signer;
}
