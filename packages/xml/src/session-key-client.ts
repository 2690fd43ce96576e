import { exportP256Point, generateEcdhP256KeyPair } from "@obol/crypto/web";
import { encodeBase64 } from "./base64.js";
import type { CertificateInput } from "./certificates.js";
import { buildMessage, openMessage } from "./envelope.js";
import type { MessageSigner } from "./envelope.js";
import { XmlError } from "./errors.js";
import { parseTimestamp } from "./message-fields.js";
import type { ReplayGuard } from "./replay.js";
import { readNodes } from "./xml-node.js";

/**
 * The device side of the wallet channel's `wallet.session-key` operation (obtain or rotate a named session
 * key, seed 004's CarriedKeyName): the same code in the CLI wallet and in a browser.
 *
 *   request:  <Body><SessionKeyRequest><AgreementKey>base64 P-256 point</AgreementKey></SessionKeyRequest></Body>,
 *             signed with the device key; the ECDH key is fresh and used once.
 *   answer:   wallet.session-key.result, signed by the platform, Body <SessionKey Name ExpiresAt/>, and a
 *             confidential part whose EncryptedKey carries the key by ECDH-ES to AgreementKey, named by
 *             xenc:CarriedKeyName (agreement.ts).
 */

export const sessionKeyRequestType = "wallet.session-key";
export const sessionKeyAnswerType = "wallet.session-key.result";

export interface SessionKeyRequest {
  readonly xml: string;
  /** Keep until the answer is opened, then drop: it decrypts this answer only. */
  readonly agreementKey: CryptoKeyPair;
}

export async function sessionKeyRequest(input: { signer: MessageSigner; now: Date; random: (bytes: number) => Uint8Array }): Promise<SessionKeyRequest> {
  const agreementKey = await generateEcdhP256KeyPair();
  const point = await exportP256Point(agreementKey.publicKey);
  const built = await buildMessage({
    type: sessionKeyRequestType,
    body: [{ name: "SessionKeyRequest", children: [{ name: "AgreementKey", children: [encodeBase64(point)] }] }],
    signer: input.signer,
    now: input.now,
    random: input.random,
  });
  return { xml: built.xml, agreementKey };
}

export interface ReceivedSessionKey {
  readonly name: string;
  /** AES-256-GCM; extractable only if asked for (a CLI that stores it), else it never leaves WebCrypto. */
  readonly key: CryptoKey;
  readonly expiresAt: Date;
}

/**
 * Opens the platform's answer with the pinned platform certificate and the request's agreement key, and checks
 * that the key it carries is the one the signed Body names.
 */
export async function openSessionKeyAnswer(
  xml: string | Uint8Array,
  options: { platformCertificate: CertificateInput; agreementKey: CryptoKeyPair; now: Date; replay: ReplayGuard; extractable?: boolean },
): Promise<ReceivedSessionKey> {
  const opened = await openMessage(xml, {
    trustedKeyFor: () => options.platformCertificate,
    now: options.now,
    replay: options.replay,
    decryptionKeys: { agreementKey: options.agreementKey, extractableAgreedKey: options.extractable === true },
  });
  const described = readNodes(opened.body).find((n) => typeof n !== "string" && n.name === "SessionKey");
  const name = typeof described === "object" ? described.attributes?.Name : undefined;
  const expiresAt = typeof described === "object" ? parseTimestamp(described.attributes?.ExpiresAt ?? "") : undefined;
  if (opened.type !== sessionKeyAnswerType || opened.carriedKey === undefined || name !== opened.carriedKey.name || expiresAt === undefined) {
    throw new XmlError("ERR_XML_MALFORMED", `not a ${sessionKeyAnswerType} carrying the key it names`);
  }
  return { name, key: opened.carriedKey.key, expiresAt: new Date(expiresAt) };
}
