import type { XmlNode } from "@obol/xml";
import {
  accountNumberPattern, amountNode, check, countPattern, headerNode, minorUnitsPattern, narrativePattern,
  readAmount, readHeader, referencePattern, type Header,
} from "./fields.js";
import { child, fields, leaf, malformed, node, one, optional, root } from "./read.js";

/**
 * A payment instruction from the client (the platform) to the bank, one transaction per message.
 *
 * - debit: the bank takes `amount` from the customer's account (under the mandate the customer gave
 *   when linking it) and pays it into the client's settlement account. Shaped after ISO 20022
 *   pain.008 CustomerDirectDebitInitiation.
 * - credit: the bank pays `amount` from the client's settlement account into the customer's account.
 *   Shaped after pain.001 CustomerCreditTransferInitiation.
 *
 * The Body (signed, in clear) carries the ids, the amount and the remittance text; the customer's
 * account number and the mandate id travel in the encrypted Confidential part.
 */
export type PaymentDirection = "debit" | "credit";

export interface PaymentInstruction {
  readonly direction: PaymentDirection;
  readonly header: Header;
  /** Unique per client and per instruction; the bank's idempotency key together with MsgId. */
  readonly endToEndId: string;
  readonly amount: bigint;
  readonly currency: string;
  /** RmtInf/Ustrd: what the customer sees on the bank statement. */
  readonly remittance: string;
  /** Confidential. */
  readonly customerAccount: string;
  /** Confidential. Required for debits; optional for credits (anyone may pay into an account). */
  readonly mandateId?: string | undefined;
}

export const paymentMessageTypes = { debit: "bank.debit.v1", credit: "bank.credit.v1" } as const;
const roots = { debit: "CstmrDrctDbtInitn", credit: "CstmrCdtTrfInitn" } as const;
const txRoots = { debit: "DrctDbtTxInf", credit: "CdtTrfTxInf" } as const;
const methods = { debit: "DD", credit: "TRF" } as const;

export function buildPaymentInstruction(p: PaymentInstruction): { body: XmlNode[]; confidential: XmlNode[] } {
  check(referencePattern, p.endToEndId, "EndToEndId");
  check(narrativePattern, p.remittance, "Ustrd");
  check(accountNumberPattern, p.customerAccount, "customer account");
  if (p.mandateId !== undefined) check(referencePattern, p.mandateId, "MndtId");
  if (p.direction === "debit" && p.mandateId === undefined) throw new RangeError("a debit needs a mandate");
  if (p.amount <= 0n) throw new RangeError("amount must be positive");
  const body = node(roots[p.direction], [
    headerNode("GrpHdr", p.header, [leaf("NbOfTxs", "1"), leaf("CtrlSum", p.amount.toString())]),
    node("PmtInf", [
      leaf("PmtMtd", methods[p.direction]),
      node(txRoots[p.direction], [
        node("PmtId", [leaf("EndToEndId", p.endToEndId)]),
        amountNode("InstdAmt", { amount: p.amount, currency: p.currency }),
        node("RmtInf", [leaf("Ustrd", p.remittance)]),
      ]),
    ]),
  ]);
  const confidential = node("CstmrAcct", [leaf("Id", p.customerAccount), p.mandateId === undefined ? undefined : leaf("MndtId", p.mandateId)]);
  return { body: [body], confidential: [confidential] };
}

export function readPaymentInstruction(direction: PaymentDirection, body: ReadonlyArray<XmlNode | string>, confidential: ReadonlyArray<XmlNode | string> | undefined): PaymentInstruction {
  const top = fields(root(body, roots[direction]), [["GrpHdr", "1"], ["PmtInf", "1"]]);
  const { header, found: headerFields } = readHeader(child(top, "GrpHdr"), [["NbOfTxs", "1"], ["CtrlSum", "1"]]);
  if (one(headerFields, "NbOfTxs", countPattern) !== "1") malformed("NbOfTxs must be 1");
  const controlSum = BigInt(one(headerFields, "CtrlSum", minorUnitsPattern));
  const paymentInfo = fields(child(top, "PmtInf"), [["PmtMtd", "1"], [txRoots[direction], "1"]]);
  if (one(paymentInfo, "PmtMtd", codeOrMethod) !== methods[direction]) malformed(`PmtMtd must be ${methods[direction]}`);
  const tx = fields(child(paymentInfo, txRoots[direction]), [["PmtId", "1"], ["InstdAmt", "1"], ["RmtInf", "1"]]);
  const endToEndId = one(fields(child(tx, "PmtId"), [["EndToEndId", "1"]]), "EndToEndId", referencePattern);
  const money = readAmount(child(tx, "InstdAmt"));
  if (money.amount !== controlSum) malformed("CtrlSum differs from the instructed amount");
  const remittance = one(fields(child(tx, "RmtInf"), [["Ustrd", "1"]]), "Ustrd", narrativePattern);
  if (confidential === undefined) malformed("the customer's account must travel in the confidential part");
  const account = fields(root(confidential, "CstmrAcct"), [["Id", "1"], ["MndtId", "?"]]);
  const mandateId = optional(account, "MndtId", referencePattern);
  if (direction === "debit" && mandateId === undefined) malformed("a debit needs MndtId");
  return {
    direction, header, endToEndId, amount: money.amount, currency: money.currency, remittance,
    customerAccount: one(account, "Id", accountNumberPattern), mandateId,
  };
}

const codeOrMethod = /^(DD|TRF)$/;
