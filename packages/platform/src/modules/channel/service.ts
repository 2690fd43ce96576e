import { randomBytes, X509Certificate } from "node:crypto";
import { buildMessage, isXmlError, openMessage, readNodes, requestDigestOf, signReceipt, type OpenedMessage, type Receipt, type XmlNode } from "@obol/xml";
import type { ApiErrorCode } from "../../errors/api-errors.js";
import { parseAmount } from "../../money.js";
import type { LedgerService } from "../ledger/index.js";
import type { PkiService, StoredCertificate } from "../pki/service.js";
import type { PartiesService, User } from "../parties/service.js";
import { transferIdFor } from "../idempotency/service.js";
import type { WalletService } from "../wallet/service.js";
import type { ChannelStore } from "./store.js";

export const freshnessWindowMs = 120_000;
export const messageBytesMax = 64 * 1024;
const historyEntriesMax = 50;

export type ChannelAnswer = { ok: true; status: number; xml: string } | { ok: false; code: ApiErrorCode; detail?: string };

/**
 * A message type that another module serves over the wallet channel (e.g. payments' confirmation).
 * It receives only what the channel verified: the signer's user and the signed body.
 */
export interface WalletOperation {
  /** What business record the message is about, kept with its bytes (non-repudiation). */
  businessRef?(body: XmlNode[]): string | null;
  handle(input: {
    opened: OpenedMessage; user: User; body: XmlNode[];
    reply(type: string, status: number, body: XmlNode[]): ChannelAnswer;
    receipt(receipt: Omit<Receipt, "requestDigest">): ChannelAnswer & { ok: true };
  }): Promise<ChannelAnswer>;
}

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
    pki: PkiService; store: ChannelStore; wallet: WalletService; parties: PartiesService; ledger: LedgerService; clock: () => number;
    operations?: Record<string, WalletOperation>;
    legacyRsaDevices?: boolean;
  }) {}

  async handle(bytes: Uint8Array): Promise<ChannelAnswer> {
    const { pki, store, clock } = this.deps;
    const legacyRsa = this.deps.legacyRsaDevices === true;
    let signerCertificate: StoredCertificate | undefined;
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
        decryptionKeys: { privateKey: pki.keys.encryption.privateKey },
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

    const body = readNodes(opened.body).filter((n): n is XmlNode => typeof n !== "string");
    const operation = this.operation(opened.type);
    const businessRef = opened.type === "wallet.transfer" ? this.transferId(user, body) : operation?.businessRef?.(body) ?? null;
    await store.keep({ messageId: opened.messageId, direction: "in", type: opened.type, partyType: "user", partyId: user.id, certificateSerial: certificate.serial, businessRef, bytes });

    const answer = await this.dispatch(opened, user, body);
    if (answer.ok) {
      const messageId = /MessageId="([^"]+)"/.exec(answer.xml)?.[1] ?? `out-${opened.messageId}`;
      await store.keep({ messageId, direction: "out", type: `${opened.type}.answer`, partyType: "user", partyId: user.id, certificateSerial: null, businessRef, bytes: Buffer.from(answer.xml) });
    }
    return answer;
  }

  private transferId(user: User, body: XmlNode[]): string | null {
    const key = body[0]?.name === "Transfer" ? body[0].attributes?.IdempotencyKey : undefined;
    return key === undefined ? null : transferIdFor(`user:${user.id}`, `xml:${key}`);
  }

  private async dispatch(opened: OpenedMessage, user: User, body: XmlNode[]): Promise<ChannelAnswer> {
    switch (opened.type) {
      case "wallet.balance": {
        const balances = await this.deps.wallet.balances(user.id);
        return this.reply("wallet.balance.result", 200, [{ name: "Balances", children: balances.map((b) => ({ name: "Balance", attributes: { Currency: b.currency, Available: b.available, Held: b.held, Posted: b.posted } })) }]);
      }
      case "wallet.history": {
        const limit = Math.min(Number(body[0]?.attributes?.Limit ?? 20) || 20, historyEntriesMax);
        const balances = await this.deps.wallet.balances(user.id);
        const entries = balances[0] === undefined ? [] : await this.deps.ledger.history(balances[0].accountId, { limit });
        return this.reply("wallet.history.result", 200, [{
          name: "History", attributes: { Currency: balances[0]?.currency ?? "" },
          children: entries.map((e) => ({ name: "Entry", attributes: { TransferId: e.transferId, Direction: e.amount < 0n ? "debit" : "credit", Amount: (e.amount < 0n ? -e.amount : e.amount).toString(), CreatedAt: new Date(e.createdAt).toISOString() } })),
        }]);
      }
      case "wallet.transfer":
        return this.transfer(opened, user, body);
      default: {
        const operation = this.operation(opened.type);
        if (operation === undefined) return { ok: false, code: "ERR_MESSAGE_TYPE_UNKNOWN" };
        return operation.handle({
          opened, user, body,
          reply: (type, status, replyBody) => this.reply(type, status, replyBody),
          receipt: (receipt) => ({ ok: true, status: 201, xml: this.receipt({ ...receipt, requestDigest: requestDigestOf(opened.signedXml) }) }),
        });
      }
    }
  }

  /** <Transfer IdempotencyKey="…"><To>+2547…</To><Amount Currency="KES">1250</Amount></Transfer> */
  private async transfer(opened: OpenedMessage, user: User, body: XmlNode[]): Promise<ChannelAnswer> {
    const transfer = body.length === 1 && body[0]!.name === "Transfer" ? body[0]! : undefined;
    const key = transfer?.attributes?.IdempotencyKey;
    const child = (name: string) => transfer?.children?.find((c): c is XmlNode => typeof c !== "string" && c.name === name);
    const to = child("To")?.children?.[0];
    const amountNode = child("Amount");
    const amountText = amountNode?.children?.[0];
    const currency = amountNode?.attributes?.Currency;
    if (key === undefined || !/^[\x21-\x7e]{8,128}$/.test(key) || typeof to !== "string" || typeof amountText !== "string" || currency === undefined) {
      return { ok: false, code: "ERR_MESSAGE_MALFORMED", detail: "Transfer needs IdempotencyKey, To and Amount@Currency" };
    }
    const amount = parseAmount(amountText);
    if (amount === undefined) return { ok: false, code: "ERR_AMOUNT_INVALID" };
    if (!/^\+[1-9][0-9]{7,14}$/.test(to)) return { ok: false, code: "ERR_MSISDN_INVALID" };
    const outcome = await this.deps.wallet.p2p(user, { toMsisdn: to, amount, currency, transferId: transferIdFor(`user:${user.id}`, `xml:${key}`) });
    if (!outcome.ok) {
      return this.reply("wallet.transfer.refused", 422, [{ name: "Refusal", attributes: { Code: outcome.code, IdempotencyKey: key, RequestDigest: requestDigestOf(opened.signedXml) } }]);
    }
    const xml = this.receipt({
      transactionId: outcome.value.transferId, status: "completed", amountMinor: outcome.value.amount, currency: outcome.value.currency,
      payer: outcome.value.from ?? "", payee: outcome.value.to ?? "", completedAt: new Date(outcome.value.createdAt),
      requestDigest: requestDigestOf(opened.signedXml),
    });
    return { ok: true, status: 201, xml };
  }

  private operation(type: string): WalletOperation | undefined {
    const operations = this.deps.operations;
    return operations !== undefined && Object.hasOwn(operations, type) ? operations[type] : undefined;
  }

  private receipt(receipt: Receipt): string {
    const { keys } = this.deps.pki;
    return signReceipt(receipt, { platformKey: keys.signing.privateKey, platformCertificate: new X509Certificate(keys.signing.certificateDer), now: new Date(this.deps.clock()), random: (n) => new Uint8Array(randomBytes(n)) });
  }

  /** A platform-signed answer. Refusals are signed too: the user can prove what the platform said. */
  private reply(type: string, status: number, body: XmlNode[]): ChannelAnswer {
    const { keys } = this.deps.pki;
    const built = buildMessage({
      type, body, now: new Date(this.deps.clock()), random: (n) => new Uint8Array(randomBytes(n)),
      signer: { privateKey: keys.signing.privateKey, certificates: [new X509Certificate(keys.signing.certificateDer)] },
    });
    return { ok: true, status, xml: built.xml };
  }
}
