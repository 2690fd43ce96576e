import type { XmlNode } from "@obol/xml";
import {
  accountNumberPattern, amountNode, balancePattern, booleanPattern, check, countPattern, currencyPattern, dateTimePattern, envelopeIdPattern,
  headerNode, namePattern, narrativePattern, readAmount, readHeader, referencePattern, type Header,
} from "./fields.js";
import { child, fields, leaf, malformed, node, one, optional, root, text } from "./read.js";

/** Most entries in one statement page: keeps a page far below the XML limits (64 KiB, 2,000 elements). */
export const statementEntriesMax = 50;

export const statementMessageTypes = { request: "bank.statement-request.v1", statement: "bank.statement.v1" } as const;

/**
 * camt.060 AccountReportingRequest for the client's own settlement account in one currency, paged
 * by entry reference: the entries booked after `afterEntry` (0 for the first page), at most
 * `entriesMax` of them.
 */
export interface StatementRequest {
  readonly header: Header;
  readonly currency: string;
  readonly afterEntry: bigint;
  readonly entriesMax: number;
}

export function buildStatementRequest(r: StatementRequest): XmlNode[] {
  check(currencyPattern, r.currency, "Ccy");
  if (r.afterEntry < 0n || !Number.isInteger(r.entriesMax) || r.entriesMax < 1 || r.entriesMax > statementEntriesMax) throw new RangeError("paging out of range");
  return [node("AcctRptgReq", [
    headerNode("GrpHdr", r.header),
    node("RptgReq", [leaf("ReqdMsgNmId", "camt.053.001.08"), node("Acct", [leaf("Ccy", r.currency)]), leaf("FrNtryRef", r.afterEntry.toString()), leaf("NtriesMax", String(r.entriesMax))]),
  ])];
}

export function readStatementRequest(body: ReadonlyArray<XmlNode | string>): StatementRequest {
  const top = fields(root(body, "AcctRptgReq"), [["GrpHdr", "1"], ["RptgReq", "1"]]);
  const request = fields(child(top, "RptgReq"), [["ReqdMsgNmId", "1"], ["Acct", "1"], ["FrNtryRef", "1"], ["NtriesMax", "1"]]);
  one(request, "ReqdMsgNmId", /^camt\.053\.001\.08$/);
  const entriesMax = Number(one(request, "NtriesMax", countPattern));
  if (entriesMax < 1 || entriesMax > statementEntriesMax) malformed(`NtriesMax must be 1 to ${statementEntriesMax}`);
  return {
    header: readHeader(child(top, "GrpHdr")).header,
    currency: one(fields(child(request, "Acct"), [["Ccy", "1"]]), "Ccy", currencyPattern),
    afterEntry: BigInt(one(request, "FrNtryRef", balancePattern)),
    entriesMax,
  };
}

/** One booked entry of camt.053 (Ntry), from the statement account's point of view. */
export interface StatementEntry {
  /** NtryRef: the bank's sequence number of the entry on this account, increasing. */
  readonly entryRef: bigint;
  readonly amount: bigint;
  /** CRDT: money came in; DBIT: money went out. */
  readonly side: "CRDT" | "DBIT";
  readonly bookedAt: string;
  /** AcctSvcrRef: the bank's reference of the transaction (the same one a status report gave). */
  readonly bankReference: string;
  /** Refs: the client's MsgId and EndToEndId of the instruction that caused the entry, if any. */
  readonly msgId?: string | undefined;
  readonly endToEndId?: string | undefined;
  readonly remittance?: string | undefined;
}

/** camt.053 BankToCustomerStatement: one page of the account's entries with its balances. */
export interface Statement {
  readonly header: Header;
  readonly inReplyTo: string;
  readonly currency: string;
  /** OPBD before the first entry of the page, CLBD after the last (signed: negative is a debit balance). */
  readonly openingBalance: bigint;
  readonly closingBalance: bigint;
  readonly entries: readonly StatementEntry[];
  /** MsgPgntn/LastPgInd: no entry was booked after this page's last one when the page was made. */
  readonly lastPage: boolean;
  /** Confidential: the account's number and holder. */
  readonly accountNumber: string;
  readonly holderName: string;
}

export function buildStatement(s: Statement): { body: XmlNode[]; confidential: XmlNode[] } {
  check(envelopeIdPattern, s.inReplyTo, "InRplyTo");
  check(accountNumberPattern, s.accountNumber, "account");
  check(namePattern, s.holderName, "holder name");
  if (s.entries.length > statementEntriesMax) throw new RangeError("too many entries for one page");
  const balance = (type: string, value: bigint) => node("Bal", [
    node("Tp", [leaf("Cd", type)]), amountNode("Amt", { amount: value < 0n ? -value : value, currency: s.currency }), leaf("CdtDbtInd", value < 0n ? "DBIT" : "CRDT"),
  ]);
  const entry = (e: StatementEntry) => {
    check(referencePattern, e.bankReference, "AcctSvcrRef");
    check(dateTimePattern, e.bookedAt, "BookgDt");
    return node("Ntry", [
      leaf("NtryRef", e.entryRef.toString()),
      amountNode("Amt", { amount: e.amount, currency: s.currency }),
      leaf("CdtDbtInd", e.side),
      node("Sts", [leaf("Cd", "BOOK")]),
      node("BookgDt", [leaf("DtTm", e.bookedAt)]),
      leaf("AcctSvcrRef", e.bankReference),
      node("NtryDtls", [node("TxDtls", [
        e.msgId === undefined && e.endToEndId === undefined ? undefined : node("Refs", [
          e.msgId === undefined ? undefined : leaf("MsgId", check(referencePattern, e.msgId, "MsgId")),
          e.endToEndId === undefined ? undefined : leaf("EndToEndId", check(referencePattern, e.endToEndId, "EndToEndId")),
        ]),
        e.remittance === undefined ? undefined : node("RmtInf", [leaf("Ustrd", check(narrativePattern, e.remittance, "Ustrd"))]),
      ])]),
    ]);
  };
  const body = node("BkToCstmrStmt", [
    headerNode("GrpHdr", s.header, [node("MsgPgntn", [leaf("LastPgInd", String(s.lastPage))])]),
    leaf("InRplyTo", s.inReplyTo),
    node("Stmt", [node("Acct", [leaf("Ccy", s.currency)]), balance("OPBD", s.openingBalance), balance("CLBD", s.closingBalance), ...s.entries.map(entry)]),
  ]);
  const confidential = node("Acct", [leaf("Id", s.accountNumber), node("Ownr", [leaf("Nm", s.holderName)])]);
  return { body: [body], confidential: [confidential] };
}

export function readStatement(body: ReadonlyArray<XmlNode | string>, confidential: ReadonlyArray<XmlNode | string> | undefined): Statement {
  const top = fields(root(body, "BkToCstmrStmt"), [["GrpHdr", "1"], ["InRplyTo", "1"], ["Stmt", "1"]]);
  const { header, found } = readHeader(child(top, "GrpHdr"), [["MsgPgntn", "1"]]);
  const lastPage = one(fields(child(found, "MsgPgntn"), [["LastPgInd", "1"]]), "LastPgInd", booleanPattern) === "true";
  const statement = fields(child(top, "Stmt"), [["Acct", "1"], ["Bal", "*", 2], ["Ntry", "*", statementEntriesMax]]);
  const currency = one(fields(child(statement, "Acct"), [["Ccy", "1"]]), "Ccy", currencyPattern);
  const balances = statement.Bal!.map((b) => {
    const f = fields(b, [["Tp", "1"], ["Amt", "1"], ["CdtDbtInd", "1"]]);
    const type = one(fields(child(f, "Tp"), [["Cd", "1"]]), "Cd", /^(OPBD|CLBD)$/);
    const money = readAmount(child(f, "Amt"), true);
    if (money.currency !== currency) malformed("a balance in another currency");
    const side = one(f, "CdtDbtInd", /^(CRDT|DBIT)$/);
    return { type, value: side === "DBIT" ? -money.amount : money.amount };
  });
  if (balances.length !== 2 || balances[0]!.type !== "OPBD" || balances[1]!.type !== "CLBD") malformed("a statement has OPBD then CLBD");
  let previous = -1n;
  const entries = statement.Ntry!.map((n): StatementEntry => {
    const f = fields(n, [["NtryRef", "1"], ["Amt", "1"], ["CdtDbtInd", "1"], ["Sts", "1"], ["BookgDt", "1"], ["AcctSvcrRef", "1"], ["NtryDtls", "1"]]);
    const entryRef = BigInt(one(f, "NtryRef", balancePattern));
    if (entryRef <= previous) malformed("entries must come in increasing NtryRef order");
    previous = entryRef;
    const money = readAmount(child(f, "Amt"));
    if (money.currency !== currency) malformed("an entry in another currency");
    one(fields(child(f, "Sts"), [["Cd", "1"]]), "Cd", /^BOOK$/);
    const details = fields(child(fields(child(f, "NtryDtls"), [["TxDtls", "1"]]), "TxDtls"), [["Refs", "?"], ["RmtInf", "?"]]);
    const refs = details.Refs![0] === undefined ? undefined : fields(details.Refs![0]!, [["MsgId", "?"], ["EndToEndId", "?"]]);
    return {
      entryRef, amount: money.amount, side: one(f, "CdtDbtInd", /^(CRDT|DBIT)$/) as "CRDT" | "DBIT",
      bookedAt: one(fields(child(f, "BookgDt"), [["DtTm", "1"]]), "DtTm", dateTimePattern),
      bankReference: one(f, "AcctSvcrRef", referencePattern),
      msgId: refs === undefined ? undefined : optional(refs, "MsgId", referencePattern),
      endToEndId: refs === undefined ? undefined : optional(refs, "EndToEndId", referencePattern),
      remittance: details.RmtInf![0] === undefined ? undefined : one(fields(details.RmtInf![0]!, [["Ustrd", "1"]]), "Ustrd", narrativePattern),
    };
  });
  const moved = entries.reduce((sum, e) => sum + (e.side === "CRDT" ? e.amount : -e.amount), 0n);
  if (balances[0]!.value + moved !== balances[1]!.value) malformed("OPBD plus the entries is not CLBD");
  if (confidential === undefined) malformed("the account's number must travel in the confidential part");
  const account = fields(root(confidential, "Acct"), [["Id", "1"], ["Ownr", "1"]]);
  return {
    header, inReplyTo: one(top, "InRplyTo", envelopeIdPattern), currency, lastPage, entries,
    openingBalance: balances[0]!.value, closingBalance: balances[1]!.value,
    accountNumber: one(account, "Id", accountNumberPattern),
    holderName: text(child(fields(child(account, "Ownr"), [["Nm", "1"]]), "Nm"), namePattern),
  };
}
