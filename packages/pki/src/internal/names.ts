import { PkiError } from "../errors.js";
import { partyIdCharsMax } from "../limits.js";
import type { x509 } from "./x509.js";

/** The parties a device certificate can belong to (SYSTEM.md §1). */
export type PartyType = "user" | "merchant" | "operator";
export const partyTypes: readonly PartyType[] = ["user", "merchant", "operator"];

/** A CA or service subject as plain data. Encoded C, O, OU, CN in that order (RFC 5280 §4.1.2.4). */
export interface DistinguishedName {
  readonly commonName: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  /** ISO 3166 two-letter code, encoded as PrintableString (RFC 5280 Appendix A, X520countryName). */
  readonly country?: string;
}

/** RFC 5280 Appendix A ub-common-name etc.: 64 characters for CN, O and OU. */
const nameAttributeCharsMax = 64;

function checkAttribute(value: unknown, what: string): string {
  if (typeof value !== "string" || value.length === 0 || [...value].length > nameAttributeCharsMax) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must be a string of 1 to ${nameAttributeCharsMax} characters`);
  }
  // Control characters have no business in a name and break naive log and UI rendering.
  if (/[\u0000-\u001f\u007f-\u009f]/u.test(value)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must not contain control characters`);
  }
  return value;
}

/**
 * The JSON form of a Name for @peculiar/x509, with explicit string types. Never a "CN=..., O=..." string:
 * that form is parsed, so a value with "," or "+" in it would inject extra attributes.
 */
export function jsonName(dn: DistinguishedName): x509.JsonNameParams {
  if (typeof dn !== "object" || dn === null) throw new PkiError("ERR_PKI_INVALID_INPUT", "subject must be an object");
  const out: x509.JsonNameParams = [];
  if (dn.country !== undefined) {
    if (typeof dn.country !== "string" || !/^[A-Z]{2}$/.test(dn.country)) {
      throw new PkiError("ERR_PKI_INVALID_INPUT", "subject.country must be two capital letters (ISO 3166)");
    }
    out.push({ C: [{ printableString: dn.country }] });
  }
  if (dn.organization !== undefined) out.push({ O: [{ utf8String: checkAttribute(dn.organization, "subject.organization") }] });
  if (dn.organizationalUnit !== undefined) {
    out.push({ OU: [{ utf8String: checkAttribute(dn.organizationalUnit, "subject.organizationalUnit") }] });
  }
  out.push({ CN: [{ utf8String: checkAttribute(dn.commonName, "subject.commonName") }] });
  return out;
}

const partyIdPattern = new RegExp(`^[A-Za-z0-9._-]{1,${partyIdCharsMax}}$`);

export function checkPartyId(value: unknown, what: string): string {
  if (typeof value !== "string" || !partyIdPattern.test(value)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `${what} must match [A-Za-z0-9._-]{1,${partyIdCharsMax}}`);
  }
  return value;
}

export function checkPartyType(value: unknown): PartyType {
  if (!partyTypes.includes(value as PartyType)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", `partyType must be one of ${partyTypes.join(", ")}`);
  }
  return value as PartyType;
}

/** E.164 (ITU-T E.164 §6): up to 15 digits, no leading zero. Accepts "+2547..." or "2547..."; returns "+2547...". */
export function normaliseMsisdn(value: unknown): string {
  if (typeof value !== "string" || !/^\+?[1-9][0-9]{5,14}$/.test(value)) {
    throw new PkiError("ERR_PKI_INVALID_INPUT", "msisdn must be an E.164 number: optional +, then 6 to 15 digits, no leading 0");
  }
  return value.startsWith("+") ? value : `+${value}`;
}

/** SAN URIs (RFC 5280 §4.2.1.6 uniformResourceIdentifier). */
export const partyUriPrefix = "urn:obol:party:";
export const serviceUriPrefix = "urn:obol:service:";

export function partyUri(type: PartyType, id: string): string {
  return `${partyUriPrefix}${type}:${id}`;
}

export function serviceUri(name: string): string {
  return `${serviceUriPrefix}${name}`;
}

/** tel URI, RFC 3966 §3 global-number form. */
export function telUri(msisdn: string): string {
  return `tel:${msisdn}`;
}

/** The Obol identity in a list of SAN URIs, or null if there is none or more than one. */
export function identityFromUris(
  uris: readonly string[],
): { partyType: PartyType | "service"; partyId: string; msisdn?: string } | null {
  let identity: { partyType: PartyType | "service"; partyId: string } | null = null;
  let msisdn: string | undefined;
  let count = 0;
  for (const uri of uris) {
    if (uri.startsWith(partyUriPrefix)) {
      const rest = uri.slice(partyUriPrefix.length);
      const colon = rest.indexOf(":");
      const type = rest.slice(0, colon);
      const id = rest.slice(colon + 1);
      if (colon < 0 || !partyTypes.includes(type as PartyType) || !partyIdPattern.test(id)) return null;
      identity = { partyType: type as PartyType, partyId: id };
      count++;
    } else if (uri.startsWith(serviceUriPrefix)) {
      const id = uri.slice(serviceUriPrefix.length);
      if (!partyIdPattern.test(id)) return null;
      identity = { partyType: "service", partyId: id };
      count++;
    } else if (uri.startsWith("tel:")) {
      if (msisdn !== undefined || !/^tel:\+[1-9][0-9]{5,14}$/.test(uri)) return null;
      msisdn = uri.slice(4);
    }
  }
  if (count !== 1 || identity === null) return null;
  return msisdn === undefined ? identity : { ...identity, msisdn };
}
