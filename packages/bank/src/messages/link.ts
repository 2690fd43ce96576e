import type { XmlNode } from "@obol/xml";
import {
  accountNumberPattern, check, codePattern, countPattern, currencyPattern, envelopeIdPattern, headerNode, linkCodePattern, msisdnPattern,
  namePattern, readHeader, referencePattern, type Header,
} from "./fields.js";
import { child, fields, leaf, malformed, node, one, optional, root } from "./read.js";

/**
 * Linking a customer's bank account to the client (the platform), shaped after ISO 20022 acmt.023
 * IdentificationVerificationRequest and acmt.024 IdentificationVerificationReport.
 *
 * Two ways to verify (README, "Account linking"):
 * - by MSISDN (users): the bank checks that the account's holder is registered with this MSISDN,
 *   then delivers a one-time code to the holder through the bank's own channel. The holder types
 *   the code into the platform, which sends it back (IdVrfctnCnfrmtn). Only then does the bank
 *   activate the debit mandate. The platform never sees the code before the user does.
 * - by name (merchants, confirmation of payee): the bank checks that the holder's name matches and
 *   answers at once. This gives a credit-only link: no mandate to debit the account.
 */
export const linkMessageTypes = { request: "bank.link.v1", confirmation: "bank.link-confirm.v1", report: "bank.link-report.v1" } as const;

export interface LinkRequest {
  readonly header: Header;
  /** The platform's id of the link attempt; the bank's idempotency key for it. */
  readonly linkId: string;
  readonly currency: string;
  /** Confidential. */
  readonly accountNumber: string;
  /** Confidential: exactly one of the two. */
  readonly msisdn?: string | undefined;
  readonly holderName?: string | undefined;
}

export function buildLinkRequest(r: LinkRequest): { body: XmlNode[]; confidential: XmlNode[] } {
  check(referencePattern, r.linkId, "link id");
  check(currencyPattern, r.currency, "Ccy");
  check(accountNumberPattern, r.accountNumber, "account");
  if ((r.msisdn === undefined) === (r.holderName === undefined)) throw new RangeError("verify by MSISDN or by name, one of the two");
  if (r.msisdn !== undefined) check(msisdnPattern, r.msisdn, "MSISDN");
  if (r.holderName !== undefined) check(namePattern, r.holderName, "name");
  return {
    body: [node("IdVrfctnReq", [headerNode("Assgnmt", r.header), node("Vrfctn", [leaf("Id", r.linkId), leaf("Ccy", r.currency)])])],
    confidential: [node("PtyAndAcctId", [
      leaf("Acct", r.accountNumber),
      r.msisdn === undefined ? undefined : leaf("Msisdn", r.msisdn),
      r.holderName === undefined ? undefined : leaf("Nm", r.holderName),
    ])],
  };
}

export function readLinkRequest(body: ReadonlyArray<XmlNode | string>, confidential: ReadonlyArray<XmlNode | string> | undefined): LinkRequest {
  const top = fields(root(body, "IdVrfctnReq"), [["Assgnmt", "1"], ["Vrfctn", "1"]]);
  const verification = fields(child(top, "Vrfctn"), [["Id", "1"], ["Ccy", "1"]]);
  if (confidential === undefined) malformed("the account must travel in the confidential part");
  const party = fields(root(confidential, "PtyAndAcctId"), [["Acct", "1"], ["Msisdn", "?"], ["Nm", "?"]]);
  const msisdn = optional(party, "Msisdn", msisdnPattern);
  const holderName = optional(party, "Nm", namePattern);
  if ((msisdn === undefined) === (holderName === undefined)) malformed("verify by Msisdn or by Nm, one of the two");
  return {
    header: readHeader(child(top, "Assgnmt")).header,
    linkId: one(verification, "Id", referencePattern), currency: one(verification, "Ccy", currencyPattern),
    accountNumber: one(party, "Acct", accountNumberPattern), msisdn, holderName,
  };
}

/** The holder's answer to the bank's code. Not an ISO message (acmt has none for this step). */
export interface LinkConfirmation {
  readonly header: Header;
  readonly linkId: string;
  /** Confidential. */
  readonly code: string;
}

export function buildLinkConfirmation(c: LinkConfirmation): { body: XmlNode[]; confidential: XmlNode[] } {
  check(referencePattern, c.linkId, "link id");
  check(linkCodePattern, c.code, "code");
  return {
    body: [node("IdVrfctnCnfrmtn", [headerNode("Assgnmt", c.header), leaf("OrgnlId", c.linkId)])],
    confidential: [leaf("Code", c.code)],
  };
}

export function readLinkConfirmation(body: ReadonlyArray<XmlNode | string>, confidential: ReadonlyArray<XmlNode | string> | undefined): LinkConfirmation {
  const top = fields(root(body, "IdVrfctnCnfrmtn"), [["Assgnmt", "1"], ["OrgnlId", "1"]]);
  if (confidential === undefined) malformed("the code must travel in the confidential part");
  return {
    header: readHeader(child(top, "Assgnmt")).header,
    linkId: one(top, "OrgnlId", referencePattern),
    code: one({ Code: [root(confidential, "Code")] }, "Code", linkCodePattern),
  };
}

/**
 * - PDNG: verified so far; the bank delivered a code to the holder and waits for it;
 * - ACTV: the link is active (with a mandate id when it allows debits);
 * - RJCT: refused. Reasons: NVRF (not verified: no such account, or the holder does not match;
 *   deliberately one reason, so the answer never tells which), CDXP (code expired), CDLK (too many
 *   wrong codes), CDWR (wrong code, attempts left), AC04 (account closed).
 */
export type LinkStatus = "PDNG" | "ACTV" | "RJCT";

export interface LinkReport {
  readonly header: Header;
  readonly inReplyTo: string;
  readonly linkId: string;
  readonly status: LinkStatus;
  readonly reason?: string | undefined;
  readonly attemptsLeft?: number | undefined;
  /** Confidential, ACTV only: the mandate (absent for a credit-only link) and the holder's name. */
  readonly mandateId?: string | undefined;
  readonly holderName?: string | undefined;
}

export function buildLinkReport(r: LinkReport): { body: XmlNode[]; confidential?: XmlNode[] } {
  check(envelopeIdPattern, r.inReplyTo, "InRplyTo");
  check(referencePattern, r.linkId, "link id");
  if ((r.status === "RJCT") !== (r.reason !== undefined)) throw new RangeError("a reason comes with RJCT, and only with it");
  if (r.reason !== undefined) check(codePattern, r.reason, "reason");
  if ((r.status === "ACTV") !== (r.holderName !== undefined)) throw new RangeError("an active link names its holder");
  if (r.mandateId !== undefined) check(referencePattern, r.mandateId, "MndtId");
  if (r.holderName !== undefined) check(namePattern, r.holderName, "name");
  const body = [node("IdVrfctnRpt", [
    headerNode("Assgnmt", r.header),
    leaf("InRplyTo", r.inReplyTo),
    node("Rpt", [
      leaf("OrgnlId", r.linkId),
      leaf("Vrfctn", r.status),
      r.reason === undefined ? undefined : node("Rsn", [leaf("Cd", r.reason)]),
      r.attemptsLeft === undefined ? undefined : leaf("AttemptsLeft", String(r.attemptsLeft)),
    ]),
  ])];
  if (r.status !== "ACTV") return { body };
  return { body, confidential: [node("Mndt", [r.mandateId === undefined ? undefined : leaf("MndtId", r.mandateId), leaf("HolderNm", r.holderName!)])] };
}

export function readLinkReport(body: ReadonlyArray<XmlNode | string>, confidential: ReadonlyArray<XmlNode | string> | undefined): LinkReport {
  const top = fields(root(body, "IdVrfctnRpt"), [["Assgnmt", "1"], ["InRplyTo", "1"], ["Rpt", "1"]]);
  const report = fields(child(top, "Rpt"), [["OrgnlId", "1"], ["Vrfctn", "1"], ["Rsn", "?"], ["AttemptsLeft", "?"]]);
  const status = one(report, "Vrfctn", /^(PDNG|ACTV|RJCT)$/) as LinkStatus;
  const reason = report.Rsn![0] === undefined ? undefined : one(fields(report.Rsn![0]!, [["Cd", "1"]]), "Cd", codePattern);
  const attempts = optional(report, "AttemptsLeft", countPattern);
  if ((status === "RJCT") !== (reason !== undefined)) malformed("a reason comes with RJCT, and only with it");
  let mandateId: string | undefined;
  let holderName: string | undefined;
  if (status === "ACTV") {
    if (confidential === undefined) malformed("an active link names its holder in the confidential part");
    const mandate = fields(root(confidential, "Mndt"), [["MndtId", "?"], ["HolderNm", "1"]]);
    mandateId = optional(mandate, "MndtId", referencePattern);
    holderName = one(mandate, "HolderNm", namePattern);
  } else if (confidential !== undefined) {
    malformed("only an active link has a confidential part");
  }
  return {
    header: readHeader(child(top, "Assgnmt")).header, inReplyTo: one(top, "InRplyTo", envelopeIdPattern),
    linkId: one(report, "OrgnlId", referencePattern), status, reason,
    attemptsLeft: attempts === undefined ? undefined : Number(attempts), mandateId, holderName,
  };
}
