import { randomBytes, X509Certificate } from "node:crypto";
import { decodeP256Point } from "@obol/crypto";
import {
  buildMessage, isXmlError, onlyElement, openMessage, optionalElement, readMessageContent, readNodes, requestDigestOf, signReceipt,
  type ConfidentialPart, type ContentDeclaration, type DeclaredContent, type DeclaredElement, type OpenedMessage, type Receipt, type XmlNode,
} from "@obol/xml";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import { parseAmount } from "../../money.js";
import type { LedgerService } from "../ledger/index.js";
import type { PkiService, StoredCertificate } from "../pki/service.js";
import type { PartiesService, User } from "../parties/service.js";
import { transferIdFor } from "../idempotency/service.js";
import type { SessionKeyService } from "../sessionkeys/service.js";
import type { WalletService } from "../wallet/service.js";
import type { ChannelStore } from "./store.js";

export const freshnessWindowMs = 120_000;
export const messageBytesMax = 64 * 1024;
const historyEntriesMax = 50;

export type ChannelAnswer = { ok: true; status: number; xml: string } | { ok: false; code: ApiErrorCode; detail?: string };

/**
 * A message type that another module serves over the wallet channel (e.g. payments' confirmation).
 * It receives only what the channel verified: the signer's user and the signed (and decrypted) content,
 * read strictly against the type's declaration (anything undeclared, repeated or mixed is refused first).
 * Its answers go through the channel, so they are signed, and sealed under the request's session key.
 */
export interface WalletOperation {
  /** The business content this message type carries: exactly these elements, or ERR_MESSAGE_MALFORMED. */
  readonly content: ContentDeclaration;
  /** What business record the message is about, kept with its bytes (non-repudiation). */
  businessRef?(content: DeclaredContent): string | null;
  handle(input: {
    opened: OpenedMessage; user: User; content: DeclaredContent;
    reply(type: string, status: number, body: XmlNode[]): Promise<ChannelAnswer>;
    receipt(receipt: Omit<Receipt, "requestDigest">): Promise<ChannelAnswer & { ok: true }>;
  }): Promise<ChannelAnswer>;
}

/** The session key a request's confidential part was encrypted under: the answer's goes under it too. */
type AnswerKey = { name: string; key: Uint8Array } | undefined;

const nodesOf = (element: Parameters<typeof readNodes>[0] | undefined): Array<XmlNode | string> => element === undefined ? [] : readNodes(element);

/** The wallet channel's own message types (others come from `operations`): their declared content. */
const channelContent: Record<string, ContentDeclaration> = {
  "wallet.balance": [{ name: "BalanceQuery", min: 0 }],
  "wallet.history": [{ name: "History", attributes: ["Limit?"], min: 0 }],
  "wallet.transfer": [{
    name: "Transfer", attributes: ["IdempotencyKey"],
    content: [{ name: "To", content: "text" }, { name: "Amount", attributes: ["Currency"], content: "text" }],
  }],
  "wallet.session-key": [{ name: "SessionKeyRequest", content: [{ name: "AgreementKey", content: "text" }] }],
};

const xmlErrorCodes: Record<string, ApiErrorCode> = {
  ERR_XML_MALFORMED: "ERR_MESSAGE_MALFORMED",
  ERR_XML_FORBIDDEN_CONSTRUCT: "ERR_MESSAGE_MALFORMED",
  ERR_XML_LIMIT: "ERR_MESSAGE_MALFORMED",
  ERR_XML_SIGNATURE_INVALID: "ERR_MESSAGE_SIGNATURE",
  ERR_XML_SIGNATURE_MISSING: "ERR_MESSAGE_SIGNATURE",
  ERR_XML_SIGNATURE_STRUCTURE: "ERR_MESSAGE_SIGNATURE",
  ERR_XML_ALGORITHM: "ERR_MESSAGE_ALGORITHM",
  ERR_XML_STALE: "ERR_MESSAGE_STALE",
  ERR_XML_REPLAY: "ERR_MESSAGE_REPLAY",
  ERR_XML_DECRYPT_FAILED: "ERR_MESSAGE_DECRYPT_FAILED",
};

/**
 * The wallet channel (seed 004's XML transaction protocol): signed, optionally encrypted
 * messages from enrolled devices. The signer is trusted only through the platform's directory
 * (compact certificate id in ds:KeyName) and only while its certificate validates (chain, dates,
 * key usage, revocation). The exact bytes of every accepted message and of every signed answer
 * are kept. Answers are signed by the platform.
 *
 * Signature algorithms: ECDSA-SHA256 from P-256 device certificates; RSA-SHA256 only with legacyRsaDevices
 * and only from RSA device certificates. The algorithm follows the certificate's key (@obol/xml refuses a
 * SignatureMethod that does not fit the trusted key, both ways: ERR_MESSAGE_ALGORITHM), and with the setting
 * off an RSA certificate is not trusted at all, whatever the message claims.
 */
export class WalletChannel {
  constructor(private readonly deps: {
    pki: PkiService; store: ChannelStore; wallet: WalletService; parties: PartiesService; ledger: LedgerService; sessionKeys: SessionKeyService; clock: () => number;
    operations?: Record<string, WalletOperation>;
    legacyRsaDevices?: boolean;
  }) {}

  async handle(bytes: Uint8Array): Promise<ChannelAnswer> {
    const { pki, store, sessionKeys, clock } = this.deps;
    const legacyRsa = this.deps.legacyRsaDevices === true;
    let signerCertificate: StoredCertificate | undefined;
    let answerKey: AnswerKey;
    let rejected: ApiErrorCode | undefined;
    let opened: OpenedMessage;
    try {
      opened = await openMessage(bytes, {
        now: new Date(clock()),
        freshnessWindowMs,
        trustedKeyFor: async (hint) => {
          const found = hint.keyName === undefined ? undefined : await pki.byCompactId(hint.keyName);
          if (found === undefined) { rejected = "ERR_CERTIFICATE_UNKNOWN"; return undefined; }
          const validation = await pki.validate(found.certificateDer);
          if (!validation.ok) { rejected = "ERR_CERTIFICATE_REJECTED"; return undefined; }
          const certificate = new X509Certificate(found.certificateDer);
          if (certificate.publicKey.asymmetricKeyType === "rsa" && !legacyRsa) { rejected = "ERR_MESSAGE_ALGORITHM"; return undefined; }
          signerCertificate = found;
          return certificate;
        },
        replay: { seen: async (nonce, messageId, expiresAt) => !(await store.firstSighting(nonce, messageId, expiresAt.getTime() - clock())) },
        decryptionKeys: {
          privateKey: pki.keys.encryption.privateKey,
          // A named session key (seed 004's CarriedKeyName): only the device it was issued to may use it.
          resolveSessionKey: async (name) => {
            if (signerCertificate === undefined) return undefined;
            const resolved = await sessionKeys.resolve(name, signerCertificate.serial);
            if (!resolved.ok) { rejected = resolved.code; return undefined; }
            answerKey = { name, key: resolved.key };
            return resolved.key;
          },
        },
        allowRsaSha256: legacyRsa,
      });
    } catch (error) {
      if (rejected !== undefined) return { ok: false, code: rejected };
      if (isXmlError(error)) return { ok: false, code: xmlErrorCodes[error.code] ?? "ERR_MESSAGE_MALFORMED", detail: error.message };
      throw error;
    }
    const certificate = signerCertificate!;
    if (certificate.partyType !== "user") return { ok: false, code: "ERR_FORBIDDEN" };
    const user = await this.deps.parties.userById(certificate.partyId);
    if (user === undefined || user.status !== "active") return { ok: false, code: "ERR_USER_SUSPENDED" };

    // Business content is the Body followed by the decrypted Confidential part (a device holding a session
    // key sends its request there), read strictly against the type's declaration: one meaning or none.
    const operation = this.operation(opened.type);
    const declaration = Object.hasOwn(channelContent, opened.type) ? channelContent[opened.type] : operation?.content;
    const read = declaration === undefined ? undefined : readMessageContent([...nodesOf(opened.body), ...nodesOf(opened.confidential)], declaration);
    const content = read?.ok === true ? read.content : undefined;
    const businessRef = content === undefined ? null : opened.type === "wallet.transfer" ? this.transferId(user, content) : operation?.businessRef?.(content) ?? null;
    // The exact bytes are kept, durably, before anything the message causes; a MessageId kept before (the
    // replay store forgets nonces after 2x the window, this table never forgets) is a replay: refused.
    const kept = await store.keep({ messageId: opened.messageId, direction: "in", type: opened.type, partyType: "user", partyId: user.id, certificateSerial: certificate.serial, businessRef, bytes });
    if (!kept) return { ok: false, code: "ERR_MESSAGE_REPLAY", detail: "this MessageId was seen before" };
    if (read === undefined) return { ok: false, code: "ERR_MESSAGE_TYPE_UNKNOWN" };
    if (!read.ok) return { ok: false, code: "ERR_MESSAGE_MALFORMED", detail: read.reason };

    const answer = await this.dispatch(opened, user, read.content, certificate, answerKey);
    if (answer.ok) {
      const messageId = /MessageId="([^"]+)"/.exec(answer.xml)?.[1] ?? `out-${opened.messageId}`;
      const answerKept = await store.keep({ messageId, direction: "out", type: `${opened.type}.answer`, partyType: "user", partyId: user.id, certificateSerial: null, businessRef, bytes: Buffer.from(answer.xml) });
      // The platform's own MessageIds are fresh random UUIDs: a clash is a broken invariant, never skipped.
      if (!answerKept) throw new Error(`channel: the answer's MessageId ${messageId} was kept before`);
    }
    return answer;
  }

  private transferId(user: User, content: DeclaredContent): string {
    return transferIdFor(`user:${user.id}`, `xml:${onlyElement(content, "Transfer").attributes.IdempotencyKey!}`);
  }

  private async dispatch(opened: OpenedMessage, user: User, content: DeclaredContent, certificate: StoredCertificate, answerKey: AnswerKey): Promise<ChannelAnswer> {
    switch (opened.type) {
      case "wallet.balance": {
        const balances = await this.deps.wallet.balances(user.id);
        return this.reply("wallet.balance.result", 200, answerKey, [{ name: "Balances", children: balances.map((b) => ({ name: "Balance", attributes: { Currency: b.currency, Available: b.available, Held: b.held, Posted: b.posted } })) }]);
      }
      case "wallet.history": {
        const limit = Math.min(Number(optionalElement(content, "History")?.attributes.Limit ?? 20) || 20, historyEntriesMax);
        const balances = await this.deps.wallet.balances(user.id);
        const entries = balances[0] === undefined ? [] : await this.deps.ledger.history(balances[0].accountId, { limit });
        return this.reply("wallet.history.result", 200, answerKey, [{
          name: "History", attributes: { Currency: balances[0]?.currency ?? "" },
          children: entries.map((e) => ({ name: "Entry", attributes: { TransferId: e.transferId, Direction: e.amount < 0n ? "debit" : "credit", Amount: (e.amount < 0n ? -e.amount : e.amount).toString(), CreatedAt: new Date(e.createdAt).toISOString() } })),
        }]);
      }
      case "wallet.transfer":
        return this.transfer(opened, user, onlyElement(content, "Transfer"), answerKey);
      case "wallet.session-key":
        return this.issueSessionKey(certificate, onlyElement(onlyElement(content, "SessionKeyRequest").children, "AgreementKey").text);
      default: {
        const operation = this.operation(opened.type);
        if (operation === undefined) return { ok: false, code: "ERR_MESSAGE_TYPE_UNKNOWN" };
        return operation.handle({
          opened, user, content,
          reply: (type, status, replyBody) => this.reply(type, status, answerKey, replyBody),
          receipt: async (receipt) => ({ ok: true, status: 201, xml: await this.receipt({ ...receipt, requestDigest: await requestDigestOf(opened.signedXml) }) }),
        });
      }
    }
  }

  /** <Transfer IdempotencyKey="…"><To>+2547…</To><Amount Currency="KES">1250</Amount></Transfer> */
  private async transfer(opened: OpenedMessage, user: User, transfer: DeclaredElement, answerKey: AnswerKey): Promise<ChannelAnswer> {
    const key = transfer.attributes.IdempotencyKey!;
    const to = onlyElement(transfer.children, "To").text;
    const amountElement = onlyElement(transfer.children, "Amount");
    const currency = amountElement.attributes.Currency!;
    if (!/^[\x21-\x7e]{8,128}$/.test(key)) {
      return { ok: false, code: "ERR_MESSAGE_MALFORMED", detail: "IdempotencyKey must be 8 to 128 printable ASCII characters" };
    }
    const amount = parseAmount(amountElement.text);
    if (amount === undefined) return { ok: false, code: "ERR_AMOUNT_INVALID" };
    if (!/^\+[1-9][0-9]{7,14}$/.test(to)) return { ok: false, code: "ERR_MSISDN_INVALID" };
    const outcome = await this.deps.wallet.p2p(user, { toMsisdn: to, amount, currency, transferId: transferIdFor(`user:${user.id}`, `xml:${key}`) });
    if (!outcome.ok) {
      return this.reply("wallet.transfer.refused", 422, answerKey, [{ name: "Refusal", attributes: { Code: outcome.code, IdempotencyKey: key, RequestDigest: await requestDigestOf(opened.signedXml) } }]);
    }
    const xml = await this.receipt({
      transactionId: outcome.value.transferId, status: "completed", amountMinor: outcome.value.amount, currency: outcome.value.currency,
      payer: outcome.value.from ?? "", payee: outcome.value.to ?? "", completedAt: new Date(outcome.value.createdAt),
      requestDigest: await requestDigestOf(opened.signedXml),
    });
    return { ok: true, status: 201, xml };
  }

  private operation(type: string): WalletOperation | undefined {
    const operations = this.deps.operations;
    return operations !== undefined && Object.hasOwn(operations, type) ? operations[type] : undefined;
  }

  /** Receipts stay in clear (never under a session key): anyone with the platform certificate verifies them offline. */
  private receipt(receipt: Receipt): Promise<string> {
    const { keys } = this.deps.pki;
    return signReceipt(receipt, { platformKey: keys.signing.privateKey, platformCertificate: new X509Certificate(keys.signing.certificateDer), now: new Date(this.deps.clock()), random: (n) => new Uint8Array(randomBytes(n)) });
  }

  /**
   * <SessionKeyRequest><AgreementKey>base64 of a P-256 point</AgreementKey></SessionKeyRequest>: the device's
   * fresh ECDH key, signed with its certificate key. The platform issues a named session key and sends it back
   * by ECDH-ES + ConcatKDF + kw-aes256 to that key, named by xenc:CarriedKeyName (packages/xml agreement.ts).
   * Each request rotates: the device's older keys beyond sessionKeysPerDeviceMax are retired.
   */
  private async issueSessionKey(certificate: StoredCertificate, encoded: string): Promise<ChannelAnswer> {
    if (!/^[A-Za-z0-9+/]{87}=$|^[A-Za-z0-9+/]{44}$/.test(encoded)) {
      return { ok: false, code: "ERR_MESSAGE_MALFORMED", detail: "SessionKeyRequest needs one AgreementKey: base64 of a P-256 point" };
    }
    const point = new Uint8Array(Buffer.from(encoded, "base64"));
    try {
      decodeP256Point(point); // on the curve, not the identity: before anything is issued
    } catch {
      return { ok: false, code: "ERR_MESSAGE_MALFORMED", detail: "AgreementKey is not a valid P-256 point" };
    }
    const issued = await this.deps.sessionKeys.issue(certificate.serial);
    const described: XmlNode = { name: "SessionKey", attributes: { Name: issued.name, ExpiresAt: issued.expiresAt.toISOString() } };
    return this.reply("wallet.session-key.result", 201, undefined, [described], {
      content: [described],
      to: { agreement: { key: issued.key, carriedKeyName: issued.name, recipient: { point, partyUInfo: "obol-platform", partyVInfo: certificate.compactId } } },
    });
  }

  /**
   * A platform-signed answer. Refusals are signed too: the user can prove what the platform said. When the
   * request came under a session key, the answer's content goes in its confidential part under that key.
   */
  private async reply(type: string, status: number, answerKey: AnswerKey, body: XmlNode[], confidential?: ConfidentialPart): Promise<ChannelAnswer> {
    const { keys } = this.deps.pki;
    const sealed: ConfidentialPart | undefined =
      confidential ?? (answerKey === undefined ? undefined : { content: body, to: { sessionKey: answerKey } });
    const built = await buildMessage({
      type, body: confidential === undefined && answerKey !== undefined ? [] : body, now: new Date(this.deps.clock()), random: (n) => new Uint8Array(randomBytes(n)),
      ...(sealed !== undefined ? { confidential: sealed } : {}),
      signer: { privateKey: keys.signing.privateKey, certificates: [new X509Certificate(keys.signing.certificateDer)] },
    });
    return { ok: true, status, xml: built.xml };
  }
}
