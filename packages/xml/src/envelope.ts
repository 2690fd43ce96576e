import type { AesKey } from "@obol/crypto/web";
import type { AgreedKey, AgreementRecipient } from "./agreement.js";
import type { CertificateInput } from "./certificates.js";
import { XMLSerializer } from "@xmldom/xmldom";
import { confidentialXml, newSalt, openConfidential, plaintextDigestProperty } from "./confidential.js";
import { decryptElement } from "./decrypt.js";
import type { DecryptionKeys } from "./decrypt.js";
import { encryptElement } from "./encrypt.js";
import type { KeyTransport } from "./encrypt.js";
import { XmlError } from "./errors.js";
import { escapeAttribute, escapeXml11LineEnds } from "./escape.js";
import { keyFingerprint, publicKeyOf, spkiFingerprint } from "./keys.js";
import type { SignatureAlgorithmName, SigningKey, TrustedKey } from "./keys.js";
import { freshnessWindowMsDefault, freshnessWindowMsMax, freshnessWindowMsMin } from "./limits.js";
import { checkType, formatTimestamp, messageRoot, newNonce, readMessageFields, uuidV4 } from "./message-fields.js";
import { obolMessageNs } from "./namespaces.js";
import { parseXml } from "./parse.js";
import type { ReplayGuard } from "./replay.js";
import { signEnveloped } from "./sign.js";
import { inspectSignature } from "./signature-structure.js";
import type { SignerHint } from "./signature-structure.js";
import { verifySignature } from "./verify.js";
import { serializeNodes } from "./xml-node.js";
import type { XmlNode } from "./xml-node.js";

/**
 * The Obol message envelope (seed 004 modernised):
 *
 *   <Message xmlns="urn:obol:msg:1" Id="m-<MessageId>" MessageId="<uuid>" Timestamp="<UTC>" Nonce="<b64url>"
 *            Type="<token>">
 *     <Body>…business content…</Body>
 *     <xenc:EncryptedData>…the sealed <Confidential> part, if any…</xenc:EncryptedData>
 *     <ds:Signature>…enveloped, over the whole Message…</ds:Signature>
 *   </Message>
 *
 * Encrypt-then-sign: the signature covers the EncryptedData, so openMessage() verifies before it decrypts,
 * and the seal (confidential.ts) makes the same signature cover the confidential plaintext too.
 */

export interface MessageSigner {
  /** The signer's key: P-256 (ECDSA-SHA256) or, with allowRsaSha256, RSA (legacy devices); a CryptoKeyPair or a
   * private Node KeyObject. */
  readonly privateKey: SigningKey;
  readonly allowRsaSha256?: boolean;
  /** ds:KeyName: a compact certificate identifier or device key id, to help the receiver look the key up. */
  readonly keyName?: string;
  /** ds:X509Data: the signer's certificate (leaf first), to help the receiver look the key up. */
  readonly certificates?: readonly CertificateInput[];
}

export interface ConfidentialPart {
  readonly content: ReadonlyArray<XmlNode | string>;
  /**
   * RSA-OAEP to the recipient's certificate; a named session key both sides hold (ds:KeyName); or a new session
   * key delivered by key agreement to the recipient's ECDH key and named by xenc:CarriedKeyName (agreement.ts).
   */
  readonly to:
    | { readonly certificate: CertificateInput }
    | { readonly sessionKey: { readonly name: string; readonly key: AesKey } }
    | { readonly agreement: { readonly key: Uint8Array; readonly carriedKeyName: string; readonly recipient: AgreementRecipient } };
}

export interface BuildMessageInput {
  readonly type: string;
  /** Content of <Body>, in the message namespace. */
  readonly body: ReadonlyArray<XmlNode | string>;
  readonly confidential?: ConfidentialPart;
  readonly signer: MessageSigner;
  /** The clock: Timestamp. */
  readonly now: Date;
  /** Randomness: MessageId, Nonce, Salt, content key, IV. */
  readonly random: (bytes: number) => Uint8Array;
}

export interface BuiltMessage {
  readonly xml: string;
  readonly messageId: string;
  readonly nonce: string;
  readonly timestamp: string;
}

/** Builds, seals and encrypts (if there is a confidential part), then signs a message. */
export async function buildMessage(input: BuildMessageInput): Promise<BuiltMessage> {
  checkType(input.type);
  const messageId = uuidV4(input.random);
  const nonce = newNonce(input.random);
  const timestamp = formatTimestamp(input.now);
  const confidential = input.confidential;
  const sealed =
    confidential === undefined
      ? ""
      : confidentialXml(confidential.content, {
          messageId,
          signer: await keyFingerprint(input.signer.privateKey),
          salt: newSalt(input.random),
        });
  const unsigned =
    `<Message xmlns="${obolMessageNs}" Id="m-${messageId}" MessageId="${messageId}" Timestamp="${timestamp}"` +
    ` Nonce="${nonce}" Type="${escapeAttribute(input.type)}"><Body>${serializeNodes(input.body)}</Body>${sealed}</Message>`;

  let toSign = unsigned;
  if (confidential !== undefined) {
    const parsed = parseXml(unsigned, { expectedRoot: messageRoot });
    const part = parsed.root.lastChild as Element;
    const to = confidential.to;
    const keyTransport: KeyTransport =
      "certificate" in to
        ? { kind: "rsa-oaep", recipient: to.certificate }
        : "sessionKey" in to
          ? { kind: "session-key", name: to.sessionKey.name, key: to.sessionKey.key }
          : { kind: "key-agreement", ...to.agreement };
    await encryptElement(part, {
      type: "element",
      keyTransport,
      random: input.random,
      properties: async (plaintext) => [await plaintextDigestProperty(plaintext)],
    });
    toSign = escapeXml11LineEnds(new XMLSerializer().serializeToString(parsed.document));
  }
  const xml = await signEnveloped(toSign, {
    privateKey: input.signer.privateKey,
    ...(input.signer.allowRsaSha256 !== undefined ? { allowRsaSha256: input.signer.allowRsaSha256 } : {}),
    ...(input.signer.keyName !== undefined ? { keyName: input.signer.keyName } : {}),
    ...(input.signer.certificates !== undefined ? { certificates: input.signer.certificates } : {}),
    parse: { expectedRoot: messageRoot },
  });
  return { xml, messageId, nonce, timestamp };
}

export interface OpenMessageOptions {
  /**
   * Returns the key the receiver TRUSTS for the signer the (unsigned, attacker-controlled) KeyInfo hints at:
   * look the KeyName up in your directory, or check a hinted certificate against your trust anchors and
   * revocation. Never return a key taken from the hint without such a check. undefined: unknown signer.
   */
  readonly trustedKeyFor: (hint: SignerHint) => TrustedKey | undefined | Promise<TrustedKey | undefined>;
  readonly now: Date;
  /** |now − Timestamp| must not exceed this. Default 120,000 ms. */
  readonly freshnessWindowMs?: number;
  readonly replay: ReplayGuard;
  /** Needed when a message carries a confidential part. */
  readonly decryptionKeys?: DecryptionKeys;
  /** Accept RSA-SHA256 signatures (legacy devices). */
  readonly allowRsaSha256?: boolean;
}

export interface OpenedMessage {
  readonly id: string;
  readonly messageId: string;
  readonly timestamp: Date;
  readonly nonce: string;
  readonly type: string;
  /** The verified <Body> (from the canonical re-parse of the signed bytes; never the received document). */
  readonly body: Element;
  /** The decrypted, seal-checked <Confidential> part, if the message has one. */
  readonly confidential?: Element;
  readonly signer: {
    readonly hint: SignerHint;
    /** The trusted public key that verified the signature. */
    readonly key: CryptoKey;
    readonly fingerprint: string;
    readonly algorithm: SignatureAlgorithmName;
  };
  /** The canonical XML the signature covers: keep it as the sender's signed confirmation (non-repudiation). */
  readonly signedXml: string;
  /** The session key the confidential part delivered by key agreement, with its xenc:CarriedKeyName. */
  readonly carriedKey?: AgreedKey;
}

/**
 * Opens a received message. The order of checks, and why:
 *
 *  1. parse (hardened): DOCTYPE/ENTITY/PI/comments and every limit are refused before any other work;
 *  2. signature structure and algorithm allow-lists (inspectSignature): cheap, no key needed, closes XSW;
 *  3. key lookup by the untrusted hint, then signature verification with the TRUSTED key; from here on only
 *     the canonical re-parse of the signed bytes is read, never the received document;
 *  4. envelope fields (formats, Id = "m-" + MessageId, Body + at most one EncryptedData);
 *  5. freshness: the signed Timestamp within ±window of now → else ERR_XML_STALE;
 *  6. replay: the only step with state, so it runs once everything an attacker can forge has been checked
 *     (no one can burn a legitimate message's nonce with an invalid copy) and before decryption (a replayed
 *     message costs no private-key operation);
 *  7. decryption of the confidential part, only for an authenticated, fresh, first-seen message (verify
 *     before decrypt: forged ciphertexts never reach RSA-OAEP or AES-GCM, so there is no decryption
 *     oracle for strangers), then the seal check (digest, MessageId, Signer).
 */
export async function openMessage(xml: string | Uint8Array, options: OpenMessageOptions): Promise<OpenedMessage> {
  const windowMs = options.freshnessWindowMs ?? freshnessWindowMsDefault;
  if (!Number.isSafeInteger(windowMs) || windowMs < freshnessWindowMsMin || windowMs > freshnessWindowMsMax) {
    throw new XmlError("ERR_XML_LIMIT", `freshnessWindowMs must be an integer in [${freshnessWindowMsMin}, ${freshnessWindowMsMax}]`);
  }
  const now = options.now.getTime();
  if (!Number.isFinite(now)) throw new XmlError("ERR_XML_MALFORMED", "now is not a valid date");
  const policy = { allowRsaSha256: options.allowRsaSha256 === true };

  const parsed = parseXml(xml, { expectedRoot: messageRoot });
  const info = inspectSignature(parsed.root, policy);
  const trusted = await options.trustedKeyFor(info.signerHint);
  if (trusted === undefined) throw new XmlError("ERR_XML_SIGNATURE_INVALID", "unknown signer");
  const verified = await verifySignature(parsed, { ...policy, trustedKey: trusted });
  const fields = readMessageFields(verified.root);

  if (Math.abs(now - fields.timestamp.getTime()) > windowMs) {
    throw new XmlError("ERR_XML_STALE", `Timestamp is more than ${windowMs} ms away from now`);
  }
  if (await options.replay.seen(fields.nonce, fields.messageId, new Date(now + 2 * windowMs))) {
    throw new XmlError("ERR_XML_REPLAY", "this Nonce or MessageId was seen before");
  }

  const { key, spki } = await publicKeyOf(trusted);
  const fingerprint = await spkiFingerprint(spki);
  let confidential: Element | undefined;
  let carriedKey: AgreedKey | undefined;
  if (fields.encrypted !== undefined) {
    const decrypted = await decryptElement(fields.encrypted, options.decryptionKeys ?? {}, {}, { signerFingerprint: fingerprint });
    confidential = await openConfidential(decrypted, { messageId: fields.messageId, signer: fingerprint });
    carriedKey = decrypted.carriedKey;
  }
  return {
    id: fields.id,
    messageId: fields.messageId,
    timestamp: fields.timestamp,
    nonce: fields.nonce,
    type: fields.type,
    body: fields.body,
    ...(confidential !== undefined ? { confidential } : {}),
    signer: { hint: verified.signerHint, key, fingerprint, algorithm: verified.algorithm },
    signedXml: verified.canonicalXml,
    ...(carriedKey !== undefined ? { carriedKey } : {}),
  };
}
