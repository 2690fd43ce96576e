import type { XmlNode } from "@obol/xml";
import {
  amountNode, check, codePattern, dateTimePattern, envelopeIdPattern, headerNode, readAmount, readHeader, referencePattern, type Header,
} from "./fields.js";
import { child, fields, leaf, malformed, node, one, optional, root } from "./read.js";

/**
 * Status of one transaction at the bank (ISO 20022 ExternalPaymentTransactionStatus1Code):
 * - ACSC AcceptedSettlementCompleted: booked on both accounts;
 * - RJCT Rejected: nothing was booked, and nothing ever will be under this MsgId;
 * - NTFD (ours, not in the ISO list): the bank has no transaction under this MsgId. It is only
 *   ever the answer to a status request; resending the original with the same MsgId is safe.
 */
export type TransactionStatus = "ACSC" | "RJCT" | "NTFD";

/**
 * What a reversal did to its original (our RvslRslt element):
 * - RVSD: the original was booked and is now reversed (the money went back);
 * - CNCL: the bank had never seen the original; it is now fenced, so if it ever arrives it is
 *   rejected (reason CNCL) and books nothing;
 * - ORJT: the original had been rejected; there was nothing to reverse.
 */
export type ReversalResult = "RVSD" | "CNCL" | "ORJT";

/** The ISO message an original was: what OrgnlMsgNmId says. */
export type OriginalMessageName = "pain.008" | "pain.001" | "pacs.007";

/** pacs.002 FIToFIPaymentStatusReport, one transaction. */
export interface StatusReport {
  readonly header: Header;
  /** The envelope MessageId of the request this report answers: binds the answer to the question. */
  readonly inReplyTo: string;
  readonly originalMsgId: string;
  readonly originalMessageName?: OriginalMessageName | undefined;
  readonly originalEndToEndId?: string | undefined;
  readonly status: TransactionStatus;
  /** StsRsnInf/Rsn/Cd when RJCT (AM04 insufficient funds, AC04 closed account, MD01 no mandate, …). */
  readonly reason?: string | undefined;
  /** When ACSC: AccptncDtTm and the bank's reference of the booking (AcctSvcrRef). */
  readonly acceptedAt?: string | undefined;
  readonly bankReference?: string | undefined;
  readonly amount?: bigint | undefined;
  readonly currency?: string | undefined;
  /** Reports on an accepted reversal only. */
  readonly reversal?: ReversalResult | undefined;
}

export const statusMessageTypes = { report: "bank.status.v1", request: "bank.status-request.v1", reversal: "bank.reversal.v1" } as const;

const statusPattern = /^(ACSC|RJCT|NTFD)$/;
const reversalPattern = /^(RVSD|CNCL|ORJT)$/;
const messageNamePattern = /^(pain\.008|pain\.001|pacs\.007)$/;

export function buildStatusReport(r: StatusReport): XmlNode[] {
  check(envelopeIdPattern, r.inReplyTo, "InRplyTo");
  check(referencePattern, r.originalMsgId, "OrgnlMsgId");
  if (r.status === "RJCT" && r.reason === undefined) throw new RangeError("a rejection needs a reason");
  if (r.status === "ACSC" && (r.bankReference === undefined || r.acceptedAt === undefined)) throw new RangeError("an accepted transaction has a booking");
  if (r.reason !== undefined) check(codePattern, r.reason, "reason");
  if (r.bankReference !== undefined) check(referencePattern, r.bankReference, "AcctSvcrRef");
  if (r.acceptedAt !== undefined) check(dateTimePattern, r.acceptedAt, "AccptncDtTm");
  if (r.originalEndToEndId !== undefined) check(referencePattern, r.originalEndToEndId, "OrgnlEndToEndId");
  if ((r.amount === undefined) !== (r.currency === undefined)) throw new RangeError("amount and currency go together");
  return [node("FIToFIPmtStsRpt", [
    headerNode("GrpHdr", r.header),
    leaf("InRplyTo", r.inReplyTo),
    node("OrgnlGrpInfAndSts", [leaf("OrgnlMsgId", r.originalMsgId), r.originalMessageName === undefined ? undefined : leaf("OrgnlMsgNmId", r.originalMessageName)]),
    node("TxInfAndSts", [
      r.originalEndToEndId === undefined ? undefined : leaf("OrgnlEndToEndId", r.originalEndToEndId),
      leaf("TxSts", r.status),
      r.reason === undefined ? undefined : node("StsRsnInf", [node("Rsn", [leaf("Cd", r.reason)])]),
      r.acceptedAt === undefined ? undefined : leaf("AccptncDtTm", r.acceptedAt),
      r.bankReference === undefined ? undefined : leaf("AcctSvcrRef", r.bankReference),
      r.amount === undefined ? undefined : amountNode("Amt", { amount: r.amount, currency: r.currency! }),
      r.reversal === undefined ? undefined : leaf("RvslRslt", r.reversal),
    ]),
  ])];
}

export function readStatusReport(body: ReadonlyArray<XmlNode | string>): StatusReport {
  const top = fields(root(body, "FIToFIPmtStsRpt"), [["GrpHdr", "1"], ["InRplyTo", "1"], ["OrgnlGrpInfAndSts", "1"], ["TxInfAndSts", "1"]]);
  const { header } = readHeader(child(top, "GrpHdr"));
  const original = fields(child(top, "OrgnlGrpInfAndSts"), [["OrgnlMsgId", "1"], ["OrgnlMsgNmId", "?"]]);
  const tx = fields(child(top, "TxInfAndSts"), [
    ["OrgnlEndToEndId", "?"], ["TxSts", "1"], ["StsRsnInf", "?"], ["AccptncDtTm", "?"], ["AcctSvcrRef", "?"], ["Amt", "?"], ["RvslRslt", "?"],
  ]);
  const status = one(tx, "TxSts", statusPattern) as TransactionStatus;
  const reasonNode = tx.StsRsnInf![0];
  const reason = reasonNode === undefined ? undefined : one(fields(child(fields(reasonNode, [["Rsn", "1"]]), "Rsn"), [["Cd", "1"]]), "Cd", codePattern);
  const acceptedAt = optional(tx, "AccptncDtTm", dateTimePattern);
  const bankReference = optional(tx, "AcctSvcrRef", referencePattern);
  const money = tx.Amt![0] === undefined ? undefined : readAmount(tx.Amt![0]!);
  const reversal = optional(tx, "RvslRslt", reversalPattern) as ReversalResult | undefined;
  if ((status === "RJCT") !== (reason !== undefined)) malformed("a reason comes with RJCT, and only with it");
  if ((status === "ACSC") !== (bankReference !== undefined && acceptedAt !== undefined)) malformed("AcctSvcrRef and AccptncDtTm come with ACSC, and only with it");
  if (reversal !== undefined && status !== "ACSC") malformed("RvslRslt comes with an accepted reversal only");
  return {
    header, inReplyTo: one(top, "InRplyTo", envelopeIdPattern),
    originalMsgId: one(original, "OrgnlMsgId", referencePattern),
    originalMessageName: optional(original, "OrgnlMsgNmId", messageNamePattern) as OriginalMessageName | undefined,
    originalEndToEndId: optional(tx, "OrgnlEndToEndId", referencePattern),
    status, reason, acceptedAt, bankReference, amount: money?.amount, currency: money?.currency, reversal,
  };
}

/** pacs.028 FIToFIPaymentStatusRequest: "what became of the transaction I sent as OrgnlMsgId?" */
export interface StatusRequest {
  readonly header: Header;
  readonly originalMsgId: string;
  readonly originalEndToEndId: string;
}

export function buildStatusRequest(r: StatusRequest): XmlNode[] {
  check(referencePattern, r.originalMsgId, "OrgnlMsgId");
  check(referencePattern, r.originalEndToEndId, "OrgnlEndToEndId");
  return [node("FIToFIPmtStsReq", [
    headerNode("GrpHdr", r.header),
    node("TxInf", [leaf("OrgnlMsgId", r.originalMsgId), leaf("OrgnlEndToEndId", r.originalEndToEndId)]),
  ])];
}

export function readStatusRequest(body: ReadonlyArray<XmlNode | string>): StatusRequest {
  const top = fields(root(body, "FIToFIPmtStsReq"), [["GrpHdr", "1"], ["TxInf", "1"]]);
  const tx = fields(child(top, "TxInf"), [["OrgnlMsgId", "1"], ["OrgnlEndToEndId", "1"]]);
  return {
    header: readHeader(child(top, "GrpHdr")).header,
    originalMsgId: one(tx, "OrgnlMsgId", referencePattern),
    originalEndToEndId: one(tx, "OrgnlEndToEndId", referencePattern),
  };
}

/**
 * pacs.007 FIToFIPaymentReversal of one earlier debit or credit: undo it if it was booked, or fence
 * its MsgId if the bank never saw it. Idempotent by its own MsgId.
 */
export interface ReversalRequest {
  readonly header: Header;
  readonly originalMsgId: string;
  readonly originalEndToEndId: string;
  readonly amount: bigint;
  readonly currency: string;
  /** RvslRsnInf/Rsn/Cd, e.g. MS03 (reason not specified: outcome unknown), AC06 (account blocked). */
  readonly reason: string;
}

export function buildReversalRequest(r: ReversalRequest): XmlNode[] {
  check(referencePattern, r.originalMsgId, "OrgnlMsgId");
  check(referencePattern, r.originalEndToEndId, "OrgnlEndToEndId");
  check(codePattern, r.reason, "RvslRsnInf");
  return [node("FIToFIPmtRvsl", [
    headerNode("GrpHdr", r.header, [leaf("NbOfTxs", "1")]),
    node("TxInf", [
      leaf("OrgnlMsgId", r.originalMsgId),
      leaf("OrgnlEndToEndId", r.originalEndToEndId),
      amountNode("RvsdIntrBkSttlmAmt", { amount: r.amount, currency: r.currency }),
      node("RvslRsnInf", [node("Rsn", [leaf("Cd", r.reason)])]),
    ]),
  ])];
}

export function readReversalRequest(body: ReadonlyArray<XmlNode | string>): ReversalRequest {
  const top = fields(root(body, "FIToFIPmtRvsl"), [["GrpHdr", "1"], ["TxInf", "1"]]);
  const { header, found } = readHeader(child(top, "GrpHdr"), [["NbOfTxs", "1"]]);
  if (one(found, "NbOfTxs", /^1$/) !== "1") malformed("NbOfTxs must be 1");
  const tx = fields(child(top, "TxInf"), [["OrgnlMsgId", "1"], ["OrgnlEndToEndId", "1"], ["RvsdIntrBkSttlmAmt", "1"], ["RvslRsnInf", "1"]]);
  const money = readAmount(child(tx, "RvsdIntrBkSttlmAmt"));
  const reason = one(fields(child(fields(child(tx, "RvslRsnInf"), [["Rsn", "1"]]), "Rsn"), [["Cd", "1"]]), "Cd", codePattern);
  return {
    header, originalMsgId: one(tx, "OrgnlMsgId", referencePattern), originalEndToEndId: one(tx, "OrgnlEndToEndId", referencePattern),
    amount: money.amount, currency: money.currency, reason,
  };
}
