import { PkiError } from "../errors.js";

const dayMs = 86_400_000;

export function checkDate(value: unknown, what: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be a valid Date`);
  }
  return value;
}

/**
 * notBefore = `now` and notAfter = now + validityDays, both truncated to whole seconds because UTCTime and
 * GeneralizedTime in certificates carry no fractions (RFC 5280 §4.1.2.5.1, §4.1.2.5.2).
 */
export function validityWindow(now: unknown, validityDays: unknown, maxDays: number): { notBefore: Date; notAfter: Date } {
  const start = checkDate(now, "now");
  if (typeof validityDays !== "number" || !Number.isInteger(validityDays) || validityDays < 1 || validityDays > maxDays) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `validityDays must be an integer from 1 to ${maxDays}`);
  }
  const notBeforeMs = Math.floor(start.getTime() / 1000) * 1000;
  return { notBefore: new Date(notBeforeMs), notAfter: new Date(notBeforeMs + validityDays * dayMs) };
}

/** The issued window must lie inside the issuer's (RFC 5280 §6.1.3 would reject the rest of it anyway). */
export function checkInsideIssuer(
  window: { notBefore: Date; notAfter: Date },
  issuer: { notBefore: Date; notAfter: Date },
): void {
  if (window.notBefore < issuer.notBefore || window.notBefore > issuer.notAfter) {
    throw new PkiError("ERR_PKI_ISSUER", "the issuer certificate is not valid at `now`");
  }
  if (window.notAfter > issuer.notAfter) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "the requested validity ends after the issuer certificate expires");
  }
}
