import type { KeyObject, X509Certificate } from "node:crypto";
import { isXmlError, MemoryReplayGuard, type XmlNode } from "@obol/xml";
import { openBankMessage, sealBankMessage } from "./channel.js";
import {
  buildLinkConfirmation, buildLinkRequest, buildPaymentInstruction, buildReversalRequest, buildStatementRequest, buildStatusRequest, isBankMessageError,
  linkMessageTypes, paymentMessageTypes, readLinkReport, readMessageReject, readStatement, readStatusReport, rejectMessageType, statementMessageTypes,
  statusMessageTypes, type Header, type LinkConfirmation, type LinkReport, type LinkRequest, type MessageReject, type PaymentInstruction,
  type ReversalRequest, type Statement, type StatementRequest, type StatusReport, type StatusRequest,
} from "./messages/index.js";
import { BankTransportError, type BankTransport } from "./transport.js";

/**
 * What one exchange with the bank gave:
 * - answer: a verified, fresh answer from the pinned bank key, to exactly this message;
 * - rejected: the bank refused the message before processing it (admi.002), signed;
 * - unknown: no usable answer (timeout, lost connection, HTTP error, an answer that does not verify
 *   or answers something else). The bank may or may not have processed the message.
 */
export type Exchange<T> =
  | { readonly kind: "answer"; readonly value: T }
  | { readonly kind: "rejected"; readonly reject: MessageReject }
  | { readonly kind: "unknown"; readonly reason: string };

export interface BankClientOptions {
  /** The id the bank registered this client under; also its ds:KeyName. */
  readonly clientId: string;
  readonly signingKey: KeyObject;
  /** RSA private key: the bank encrypts confidential answers to its certificate. */
  readonly decryptionKey: KeyObject;
  /** The bank's pinned certificates. */
  readonly bankSigning: X509Certificate;
  readonly bankEncryption: X509Certificate;
  readonly transport: BankTransport;
  readonly timeoutMs: number;
  readonly clock: () => number;
  readonly random: (bytes: number) => Uint8Array;
  readonly freshnessWindowMs?: number;
}

/** The client's end of the bank channel: build, seal, send, and open the answer. Stateless but for the replay guard. */
export class BankClient {
  private readonly replay: MemoryReplayGuard;

  constructor(private readonly o: BankClientOptions) {
    this.replay = new MemoryReplayGuard({ now: o.clock });
  }

  /** A header for a new message: `msgId` is the business id (derived by the caller for idempotency). */
  header(msgId: string): Header {
    return { msgId, createdAt: new Date(this.o.clock()).toISOString() };
  }

  instruct(p: PaymentInstruction): Promise<Exchange<StatusReport>> {
    const built = buildPaymentInstruction(p);
    return this.exchange(paymentMessageTypes[p.direction], built.body, built.confidential, statusMessageTypes.report, (body) => readStatusReport(body));
  }

  reverse(r: ReversalRequest): Promise<Exchange<StatusReport>> {
    return this.exchange(statusMessageTypes.reversal, buildReversalRequest(r), undefined, statusMessageTypes.report, (body) => readStatusReport(body));
  }

  status(r: StatusRequest): Promise<Exchange<StatusReport>> {
    return this.exchange(statusMessageTypes.request, buildStatusRequest(r), undefined, statusMessageTypes.report, (body) => readStatusReport(body));
  }

  statement(r: StatementRequest): Promise<Exchange<Statement>> {
    return this.exchange(statementMessageTypes.request, buildStatementRequest(r), undefined, statementMessageTypes.statement, (body, confidential) => readStatement(body, confidential));
  }

  link(r: LinkRequest): Promise<Exchange<LinkReport>> {
    const built = buildLinkRequest(r);
    return this.exchange(linkMessageTypes.request, built.body, built.confidential, linkMessageTypes.report, (body, confidential) => readLinkReport(body, confidential));
  }

  confirmLink(c: LinkConfirmation): Promise<Exchange<LinkReport>> {
    const built = buildLinkConfirmation(c);
    return this.exchange(linkMessageTypes.confirmation, built.body, built.confidential, linkMessageTypes.report, (body, confidential) => readLinkReport(body, confidential));
  }

  private async exchange<T extends { inReplyTo: string }>(
    type: string, body: XmlNode[], confidential: XmlNode[] | undefined, answerType: string,
    read: (body: Array<XmlNode | string>, confidential: Array<XmlNode | string> | undefined) => T,
  ): Promise<Exchange<T>> {
    const sealed = await sealBankMessage({
      type, body, confidential, signer: { privateKey: this.o.signingKey, keyName: this.o.clientId }, encryptTo: this.o.bankEncryption,
      now: new Date(this.o.clock()), random: this.o.random,
    });
    let text: string;
    try {
      text = await this.o.transport(sealed.xml, this.o.timeoutMs);
    } catch (error) {
      if (error instanceof BankTransportError) return { kind: "unknown", reason: `${error.failure}: ${error.message}` };
      throw error;
    }
    try {
      const opened = await openBankMessage(text, {
        trustedKeyFor: (hint) => (hint.keyName === "bank" ? this.o.bankSigning : undefined),
        decryptionKey: this.o.decryptionKey, replay: this.replay, now: new Date(this.o.clock()), freshnessWindowMs: this.o.freshnessWindowMs ?? 120_000,
      });
      if (opened.type === rejectMessageType) {
        const reject = readMessageReject(opened.body);
        // A reject that does not name this message could be an old one replayed: it proves nothing.
        return reject.inReplyTo === sealed.messageId ? { kind: "rejected", reject } : { kind: "unknown", reason: `an unrelated reject (${reject.reason})` };
      }
      if (opened.type !== answerType) return { kind: "unknown", reason: `the bank answered with ${opened.type}, not ${answerType}` };
      const value = read(opened.body, opened.confidential);
      if (value.inReplyTo !== sealed.messageId) return { kind: "unknown", reason: "the answer is to another message" };
      return { kind: "answer", value };
    } catch (error) {
      if (isXmlError(error) || isBankMessageError(error)) return { kind: "unknown", reason: `the answer did not open: ${(error as Error).message}` };
      throw error;
    }
  }
}
