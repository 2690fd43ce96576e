import { z } from "zod";
import { isIsoCurrency, parseAmount } from "../money.js";

/**
 * Field schemas shared by routes. The error handler maps a failure on these fields to its own
 * error code (see fieldErrorCodes), so a bad amount is ERR_AMOUNT_INVALID, not a generic 400.
 */
export const amount = z.string().max(20).refine((text) => parseAmount(text) !== undefined, "must be minor units, 1..2^63-1, as a string of digits")
  .meta({ description: "Minor units as a string of digits, e.g. \"1250\" for 12.50", example: "1250" });
export const currency = z.string().max(3).refine(isIsoCurrency, "must be an ISO 4217 code").meta({ example: "KES" });
export const msisdn = z.string().max(16).regex(/^\+[1-9][0-9]{7,14}$/, "must be E.164").meta({ example: "+254700000001" });
export const password = z.string().min(10).max(128);
export const uuid = z.uuid();
/** PostgreSQL text cannot hold NUL: free-text fields refuse it here (400) instead of failing in the database (500). */
export const noNul = [(text: string) => !text.includes("\u0000"), "must not contain NUL"] as const;

export const fieldErrorCodes: Record<string, "ERR_AMOUNT_INVALID" | "ERR_CURRENCY_UNKNOWN" | "ERR_MSISDN_INVALID" | "ERR_NOTE_INVALID" | "ERR_PASSWORD_WEAK"> = {
  amount: "ERR_AMOUNT_INVALID",
  currency: "ERR_CURRENCY_UNKNOWN",
  msisdn: "ERR_MSISDN_INVALID",
  toMsisdn: "ERR_MSISDN_INVALID",
  note: "ERR_NOTE_INVALID",
  newPassword: "ERR_PASSWORD_WEAK",
};

export const pageLimit = z.coerce.number().int().min(1).max(100).default(20);
