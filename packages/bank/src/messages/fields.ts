import type { XmlNode } from "@obol/xml";
import { fields, leaf, malformed, text } from "./read.js";

/**
 * Field formats of the bank channel. ISO 20022 names the types (Max35Text, ActiveCurrencyCode, …);
 * the patterns here are the strict subsets we accept. Every pattern is anchored.
 */

/** MsgId, EndToEndId, mandate and link ids: ISO Max35Text restricted to letters, digits and '-'. */
export const referencePattern = /^[A-Za-z0-9][A-Za-z0-9-]{0,34}$/;
/** Account numbers at the reference bank: 6 to 34 capital letters and digits (IBAN-sized, no spaces). */
export const accountNumberPattern = /^[A-Z0-9]{6,34}$/;
/** ISO 4217 alphabetic code. */
export const currencyPattern = /^[A-Z]{3}$/;
/** Minor units, 1 to 2^63-1 (checked again as a bigint). */
export const minorUnitsPattern = /^[1-9][0-9]{0,18}$/;
/** Balances may be zero. */
export const balancePattern = /^(0|[1-9][0-9]{0,18})$/;
/** ISO DateTime in UTC with milliseconds, as Date.toISOString() writes it. */
export const dateTimePattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** ISO external status and reason codes: four capitals or digits. */
export const codePattern = /^[A-Z0-9]{4}$/;
/** E.164. */
export const msisdnPattern = /^\+[1-9][0-9]{7,14}$/;
/** Max140Text without control characters (remittance information), counted in code points. */
export const narrativePattern = /^[^\u0000-\u001f\u007f]{1,140}$/u;
/** Max70Text without control characters (names). */
export const namePattern = /^[^\u0000-\u001f\u007f]{1,70}$/u;
/** The one-time code of an account link: six digits. */
export const linkCodePattern = /^[0-9]{6}$/;
/** The envelope MessageId a report answers (a lowercase UUID). */
export const envelopeIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
export const booleanPattern = /^(true|false)$/;
export const countPattern = /^(0|[1-9][0-9]{0,8})$/;

const amountMax = (1n << 63n) - 1n;

/** An amount in minor units with its currency: <Amt Ccy="KES">1250</Amt>. */
export interface Money {
  readonly amount: bigint;
  readonly currency: string;
}

/**
 * Amounts are integers of minor units ("1250" KES is 12.50). ISO 20022 writes decimal major units
 * ("12.50"); carrying integers keeps every amount exact without a table of minor-unit digits on
 * both sides. This is the one deliberate difference in field format (README, "ISO 20022 mapping").
 */
export function amountNode(name: string, money: Money): XmlNode {
  if (money.amount < 0n || money.amount > amountMax) throw new RangeError("amount out of range");
  if (!currencyPattern.test(money.currency)) throw new RangeError("currency must be an ISO 4217 code");
  return leaf(name, money.amount.toString(), { Ccy: money.currency });
}

export function readAmount(node: XmlNode, allowZero = false): Money {
  const value = text(node, allowZero ? balancePattern : minorUnitsPattern, ["Ccy"]);
  const currency = node.attributes?.Ccy;
  if (currency === undefined || !currencyPattern.test(currency)) malformed(`<${node.name}> needs Ccy, an ISO 4217 code`);
  const amount = BigInt(value);
  if (amount > amountMax) malformed(`<${node.name}> is above 2^63-1`);
  return { amount, currency };
}

/** GrpHdr / Assgnmt: the message's own business id and creation time. */
export interface Header {
  readonly msgId: string;
  readonly createdAt: string;
}

export function headerNode(name: string, header: Header, extra: XmlNode[] = []): XmlNode {
  check(referencePattern, header.msgId, "MsgId");
  check(dateTimePattern, header.createdAt, "CreDtTm");
  return { name, children: [leaf("MsgId", header.msgId), leaf("CreDtTm", header.createdAt), ...extra] };
}

export function readHeader(node: XmlNode, extra: ReadonlyArray<readonly [string, "1" | "?"]> = []): { header: Header; found: Record<string, XmlNode[]> } {
  const found = fields(node, [["MsgId", "1"], ["CreDtTm", "1"], ...extra]);
  return { header: { msgId: text(found.MsgId![0]!, referencePattern), createdAt: text(found.CreDtTm![0]!, dateTimePattern) }, found };
}

/** Builders check what they write with the same patterns parsers use: a bad value is a bug, not input. */
export function check(pattern: RegExp, value: string, what: string): string {
  if (!pattern.test(value)) throw new RangeError(`${what}: invalid value`);
  return value;
}
