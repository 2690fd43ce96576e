import { randomBytes, X509Certificate } from "node:crypto";
import { isXmlError, type ReplayGuard, type XmlNode } from "@obol/xml";
import type { BankBooks, LinkOutcome, Mismatch, TransactionOutcome } from "./books.js";
import { messageNameOf } from "./books.js";
import { openBankMessage, sealBankMessage, type OpenedBankMessage } from "./channel.js";
import type { BankDatabase } from "./db.js";
import { declineReasonDefault, slowDelayMsDefault, type FaultSwitches, type MessageKind } from "./faults.js";
import type { BankKeys } from "./keys.js";
import {
  buildLinkReport, buildMessageReject, buildStatement, buildStatusReport, isBankMessageError, linkMessageTypes, paymentMessageTypes, readLinkConfirmation,
  readLinkRequest, readPaymentInstruction, readReversalRequest, readStatementRequest, readStatusRequest, rejectMessageType, statementMessageTypes,
  statusMessageTypes, type Header, type RejectReason, type StatusReport,
} from "./messages/index.js";

/** The ds:KeyName the bank signs with. */
export const bankKeyName = "bank";

const kindByType: Record<string, MessageKind> = {
  [paymentMessageTypes.debit]: "debit",
  [paymentMessageTypes.credit]: "credit",
  [statusMessageTypes.reversal]: "reversal",
  [statusMessageTypes.request]: "status",
  [statementMessageTypes.request]: "statement",
  [linkMessageTypes.request]: "link",
  [linkMessageTypes.confirmation]: "confirm",
};

const xmlRejectReasons: Record<string, RejectReason> = {
  ERR_XML_STALE: "STALE",
  ERR_XML_REPLAY: "REPLAY",
  ERR_XML_DECRYPT_FAILED: "DECRYPT",
  ERR_XML_SIGNATURE_INVALID: "SIGNATURE",
  ERR_XML_SIGNATURE_MISSING: "SIGNATURE",
  ERR_XML_SIGNATURE_STRUCTURE: "SIGNATURE",
  ERR_XML_ALGORITHM: "SIGNATURE",
};

/** What the HTTP edge does with a message: answer it, answer 503, or drop the connection. */
export type BankReply = { kind: "answer"; xml: string } | { kind: "down" } | { kind: "drop" };

export interface BankServiceOptions {
  readonly db: BankDatabase;
  readonly books: BankBooks;
  readonly keys: BankKeys;
  readonly faults: FaultSwitches;
  readonly clock: () => number;
  readonly freshnessWindowMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The bank's side of the channel: opens a client's message (pinned client certificate, freshness,
 * replay, decryption), applies the fault switches, lets the books do the work, and answers with a
 * message signed by the bank (confidential parts encrypted to the client's certificate).
 */
export class BankService {
  private readonly clients = new Map<string, { signing: X509Certificate; encryption: X509Certificate }>();
  readonly replay: ReplayGuard;

  constructor(private readonly o: BankServiceOptions) {
    this.replay = {
      seen: async (nonce, messageId, expiresAt) => (await o.db.query(
        "INSERT INTO bank_nonces (nonce, message_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1", [nonce, messageId, expiresAt])).length === 0,
    };
  }

  async handle(bytes: Uint8Array | string): Promise<BankReply> {
    let clientId: string | undefined;
    let opened: OpenedBankMessage;
    try {
      opened = await openBankMessage(bytes, {
        trustedKeyFor: async (hint) => {
          const client = hint.keyName === undefined ? undefined : await this.client(hint.keyName);
          if (client === undefined) return undefined;
          clientId = hint.keyName;
          return client.signing;
        },
        decryptionKey: this.o.keys.encryption.privateKey,
        replay: this.replay,
        now: new Date(this.o.clock()),
        freshnessWindowMs: this.o.freshnessWindowMs,
      });
    } catch (error) {
      if (!isXmlError(error) && !isBankMessageError(error)) throw error;
      return this.reject(undefined, isXmlError(error) ? (xmlRejectReasons[error.code] ?? "MALFORMED") : "MALFORMED", error.message);
    }
    const client = clientId!;
    const kind = kindByType[opened.type];
    if (kind === undefined) return this.reject(opened.envelope.messageId, "TYPE", "unknown message type");

    const fault = this.o.faults.take(kind);
    if (fault?.fault === "down") return { kind: "down" };
    if (fault?.fault === "slow") await (this.o.sleep ?? sleep)(fault.delayMs ?? slowDelayMsDefault);
    const decline = fault?.fault === "decline" ? (fault.reason ?? declineReasonDefault) : undefined;
    let answer: BankReply;
    try {
      answer = await this.dispatch(client, kind, opened, decline);
    } catch (error) {
      if (!isBankMessageError(error)) throw error;
      answer = await this.reject(opened.envelope.messageId, "MALFORMED", error.message);
    }
    return fault?.fault === "applied_response_lost" ? { kind: "drop" } : answer;
  }

  private async dispatch(clientId: string, kind: MessageKind, opened: OpenedBankMessage, decline: string | undefined): Promise<BankReply> {
    const inReplyTo = opened.envelope.messageId;
    switch (kind) {
      case "debit":
      case "credit": {
        const instruction = readPaymentInstruction(kind, opened.body, opened.confidential);
        const outcome = await this.o.books.instruct(clientId, instruction, { decline });
        return this.report(clientId, inReplyTo, instruction.header.msgId, outcome);
      }
      case "reversal": {
        const reversal = readReversalRequest(opened.body);
        const outcome = await this.o.books.reverse(clientId, reversal, { decline });
        return this.report(clientId, inReplyTo, reversal.header.msgId, outcome);
      }
      case "status": {
        const request = readStatusRequest(opened.body);
        const outcome = await this.o.books.status(clientId, request.originalMsgId);
        if (outcome === undefined) {
          return this.answer(clientId, statusMessageTypes.report, buildStatusReport({
            header: this.header(), inReplyTo, originalMsgId: request.originalMsgId, originalEndToEndId: request.originalEndToEndId, status: "NTFD",
          }));
        }
        return this.report(clientId, inReplyTo, request.originalMsgId, outcome);
      }
      case "statement": {
        const request = readStatementRequest(opened.body);
        const page = await this.o.books.statement(clientId, request.currency, request.afterEntry, request.entriesMax);
        const built = buildStatement({
          header: this.header(), inReplyTo, currency: request.currency, openingBalance: page.opening, closingBalance: page.closing,
          entries: page.entries, lastPage: page.lastPage, accountNumber: page.account.number, holderName: page.account.holder_name,
        });
        return this.answer(clientId, statementMessageTypes.statement, built.body, built.confidential);
      }
      case "link": {
        const request = readLinkRequest(opened.body, opened.confidential);
        const outcome = await this.o.books.link(clientId, request, { decline: decline !== undefined });
        return this.linkReport(clientId, inReplyTo, request.linkId, outcome);
      }
      case "confirm": {
        const confirmation = readLinkConfirmation(opened.body, opened.confidential);
        return this.linkReport(clientId, inReplyTo, confirmation.linkId, await this.o.books.confirmLink(clientId, confirmation.linkId, confirmation.code));
      }
    }
  }

  private async report(clientId: string, inReplyTo: string, msgId: string, outcome: TransactionOutcome | Mismatch): Promise<BankReply> {
    if ("mismatch" in outcome) return this.reject(inReplyTo, "MISMATCH", "this MsgId was used for a different instruction");
    const report: StatusReport = {
      header: this.header(), inReplyTo, originalMsgId: msgId, originalMessageName: messageNameOf(outcome.kind),
      originalEndToEndId: outcome.endToEndId ?? undefined, status: outcome.status, reason: outcome.reason ?? undefined,
      ...(outcome.status === "ACSC" ? { acceptedAt: outcome.bookedAt.toISOString(), bankReference: outcome.reference } : {}),
      amount: outcome.amount, currency: outcome.currency,
      ...(outcome.kind === "reversal" && outcome.status === "ACSC" ? { reversal: outcome.reversalResult ?? undefined } : {}),
    };
    return this.answer(clientId, statusMessageTypes.report, buildStatusReport(report));
  }

  private async linkReport(clientId: string, inReplyTo: string, linkId: string, outcome: LinkOutcome | Mismatch): Promise<BankReply> {
    if ("mismatch" in outcome) return this.reject(inReplyTo, "MISMATCH", "this link id was used for a different request");
    const built = buildLinkReport({ header: this.header(), inReplyTo, linkId, ...outcome });
    return this.answer(clientId, linkMessageTypes.report, built.body, built.confidential);
  }

  private async reject(inReplyTo: string | undefined, reason: RejectReason, description: string): Promise<BankReply> {
    const text = description.replace(/[^\x20-\x7e]/g, "?").slice(0, 140) || reason;
    return this.answer(undefined, rejectMessageType, buildMessageReject({ header: this.header(), inReplyTo, reason, description: text }));
  }

  private async answer(clientId: string | undefined, type: string, body: XmlNode[], confidential?: XmlNode[]): Promise<BankReply> {
    const client = clientId === undefined ? undefined : await this.client(clientId);
    if (confidential !== undefined && client === undefined) throw new Error("a confidential answer needs a registered client");
    const sealed = await sealBankMessage({
      type, body, confidential, signer: { privateKey: this.o.keys.signing.privateKey, keyName: bankKeyName },
      encryptTo: client?.encryption ?? this.o.keys.encryption.certificate, now: new Date(this.o.clock()), random: (n) => new Uint8Array(randomBytes(n)),
    });
    return { kind: "answer", xml: sealed.xml };
  }

  private header(): Header {
    return { msgId: `B${randomBytes(16).toString("hex").toUpperCase()}`, createdAt: new Date(this.o.clock()).toISOString() };
  }

  /** A registered client's certificates (cached; re-registration replaces them through forgetClient). */
  async client(id: string): Promise<{ signing: X509Certificate; encryption: X509Certificate } | undefined> {
    const cached = this.clients.get(id);
    if (cached !== undefined) return cached;
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(id)) return undefined;
    const stored = await this.o.books.client(id);
    if (stored === undefined) return undefined;
    const certificates = { signing: new X509Certificate(Buffer.from(stored.signing)), encryption: new X509Certificate(Buffer.from(stored.encryption)) };
    this.clients.set(id, certificates);
    return certificates;
  }

  forgetClient(id: string): void {
    this.clients.delete(id);
  }

  async purgeNonces(): Promise<void> {
    await this.o.db.query("DELETE FROM bank_nonces WHERE expires_at < $1", [new Date(this.o.clock())]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
