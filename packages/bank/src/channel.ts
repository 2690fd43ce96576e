import type { KeyObject, X509Certificate } from "node:crypto";
import { buildMessage, openMessage, readNodes, type OpenedMessage, type ReplayGuard, type SignerHint, type TrustedKey, type XmlNode } from "@obol/xml";

/**
 * The bank channel's envelope: @obol/xml's Message, encrypted (RSA-OAEP to the receiver's encryption
 * certificate, AES-256-GCM) then signed (ECDSA P-256). Both sides pin the other's certificates; KeyInfo
 * only names the sender (ds:KeyName = the client id, or "bank").
 */
export interface ChannelSigner {
  readonly privateKey: KeyObject;
  readonly keyName: string;
}

export interface SealInput {
  readonly type: string;
  readonly body: ReadonlyArray<XmlNode | string>;
  readonly confidential?: ReadonlyArray<XmlNode | string> | undefined;
  readonly signer: ChannelSigner;
  /** The receiver's encryption certificate (RSA): confidential parts are encrypted to it. */
  readonly encryptTo: X509Certificate;
  readonly now: Date;
  readonly random: (bytes: number) => Uint8Array;
}

export interface SealedMessage {
  readonly xml: string;
  /** The envelope MessageId: a fresh one per transmission. Reports name it in InRplyTo. */
  readonly messageId: string;
}

export async function sealBankMessage(input: SealInput): Promise<SealedMessage> {
  const built = await buildMessage({
    type: input.type,
    body: input.body,
    ...(input.confidential === undefined ? {} : { confidential: { content: input.confidential, to: { certificate: input.encryptTo } } }),
    signer: { privateKey: input.signer.privateKey, keyName: input.signer.keyName },
    now: input.now,
    random: input.random,
  });
  return { xml: built.xml, messageId: built.messageId };
}

export interface OpenInput {
  /** The pinned signing key of the sender the KeyName hint names, or undefined (refused). */
  readonly trustedKeyFor: (hint: SignerHint) => TrustedKey | undefined | Promise<TrustedKey | undefined>;
  /** The receiver's RSA private key, for the confidential part. */
  readonly decryptionKey: KeyObject;
  readonly replay: ReplayGuard;
  readonly now: Date;
  readonly freshnessWindowMs: number;
}

export interface OpenedBankMessage {
  readonly envelope: OpenedMessage;
  readonly type: string;
  readonly body: Array<XmlNode | string>;
  readonly confidential: Array<XmlNode | string> | undefined;
}

/** Parse (hardened), verify with the pinned key, check freshness and replay, decrypt: @obol/xml's openMessage. */
export async function openBankMessage(xml: string | Uint8Array, input: OpenInput): Promise<OpenedBankMessage> {
  const envelope = await openMessage(xml, {
    trustedKeyFor: input.trustedKeyFor,
    now: input.now,
    freshnessWindowMs: input.freshnessWindowMs,
    replay: input.replay,
    decryptionKeys: { privateKey: input.decryptionKey },
  });
  return {
    envelope,
    type: envelope.type,
    body: readNodes(envelope.body),
    confidential: envelope.confidential === undefined ? undefined : readNodes(envelope.confidential),
  };
}
