import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { verifyEcdsaP256 } from "@obol/crypto";
import { PkiError } from "../errors.js";
import { pkcs11SignQueueMax } from "../limits.js";
import type { Signer } from "../signer.js";
import { CKM_ECDSA } from "./constants.js";
import { findKeyPair } from "./keys.js";
import { openTokenSession, pkcs11Failure, tokenKeyUri, type Pkcs11Config, type TokenSession } from "./token.js";
import type { Handle } from "./binding.js";

/** A Signer whose private key never leaves a PKCS#11 token. */
export interface Pkcs11Signer extends Signer {
  /** RFC 7512 URI of the key, for records and logs. */
  readonly uri: string;
  /** Waits for signatures in progress, then closes the session (logging out when it was the last one). */
  close(): Promise<void>;
}

/**
 * Opens the key pair labelled config.keyLabel on the token labelled config.tokenLabel for signing, after
 * checking it (findKeyPair) and that the private key signs what the public key verifies. Signs with
 * CKM_ECDSA over a SHA-256 digest computed here (PKCS#11 §2.3.6: the raw mechanism, which every token has),
 * one signature at a time: a session runs one operation at a time (PKCS#11 §5.2, CKR_OPERATION_ACTIVE).
 * Throws ERR_PKI_PKCS11_UNAVAILABLE / _MODULE / _TOKEN / _PIN / _KEY / _FAILED.
 */
export async function openPkcs11Signer(config: Pkcs11Config): Promise<Pkcs11Signer> {
  const token = await openTokenSession(config, { readWrite: false });
  try {
    const { privateKey, publicKey } = findKeyPair(token);
    const signer = new TokenSigner(token, privateKey, publicKey, tokenKeyUri(config));
    const challenge = new Uint8Array(randomBytes(32));
    if (!verifyEcdsaP256(publicKey, challenge, await signer.sign(challenge), "p1363")) {
      throw new PkiError("ERR_PKI_PKCS11_KEY", "the private and public key objects labelled the same do not form a pair");
    }
    return signer;
  } catch (error) {
    token.close();
    throw error;
  }
}

class TokenSigner implements Pkcs11Signer {
  readonly algorithm = "ecdsa-p256-sha256" as const;
  private queue: Promise<unknown> = Promise.resolve();
  private waiting = 0;
  private closed = false;

  constructor(
    private readonly token: TokenSession, private readonly key: Handle, readonly publicKey: KeyObject, readonly uri: string,
  ) {}

  sign(data: Uint8Array): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new PkiError("ERR_PKI_PKCS11_FAILED", "PKCS#11: the signer is closed"));
    if (this.waiting >= pkcs11SignQueueMax) {
      return Promise.reject(new PkiError("ERR_PKI_PKCS11_FAILED", `PKCS#11: more than ${pkcs11SignQueueMax} signatures waiting`));
    }
    const digest = createHash("sha256").update(data).digest();
    this.waiting++;
    const result = this.queue.then(() => this.signDigest(digest)).finally(() => this.waiting--);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async signDigest(digest: Buffer): Promise<Uint8Array> {
    const { module, session } = this.token;
    try {
      module.C_SignInit(session, { mechanism: CKM_ECDSA }, this.key);
      // CKM_ECDSA gives r || s, each as long as the order: 64 bytes for P-256 (PKCS#11 §2.3.1).
      return new Uint8Array(await module.C_SignAsync(session, digest, Buffer.alloc(64)));
    } catch (error) {
      throw pkcs11Failure(error, "C_Sign");
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.queue;
    this.token.close();
  }
}
