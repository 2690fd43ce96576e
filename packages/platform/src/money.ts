import { limits } from "@obol/ledger";

/**
 * Money crosses the API as a string of minor units ("1250" is 12.50 KES): integers only, so no
 * float ever touches an amount, and strings, so amounts above 2^53 survive JSON.
 */
const amountPattern = /^[1-9][0-9]{0,18}$/;

export function parseAmount(text: string): bigint | undefined {
  if (!amountPattern.test(text)) return undefined;
  const amount = BigInt(text);
  return amount <= limits.amountMax ? amount : undefined;
}

/** ISO 4217 alphabetic codes that the runtime knows (ICU's list), e.g. KES, USD, EUR. */
const isoCurrencies = new Set(Intl.supportedValuesOf("currency"));

export function isIsoCurrency(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && isoCurrencies.has(code);
}

/** Minor-unit digits of a currency (2 for KES, 0 for JPY), for display only. */
export function minorDigits(currency: string): number {
  return new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "123456" KES -> "1,234.56 KES"; exact for any bigint (no floating point). */
export function formatAmount(amount: bigint, currency: string): string {
  const digits = minorDigits(currency);
  const negative = amount < 0n;
  const abs = negative ? -amount : amount;
  const scale = 10n ** BigInt(digits);
  const whole = (abs / scale).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const fraction = digits > 0 ? "." + (abs % scale).toString().padStart(digits, "0") : "";
  return `${negative ? "-" : ""}${whole}${fraction} ${currency}`;
}
