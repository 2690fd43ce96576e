import { PkiError } from "./errors.js";
import { encodeUnsignedInteger } from "./internal/der.js";
import { loadIssuer } from "./internal/issuer.js";
import { normaliseSerialHex } from "./internal/serial.js";
import { checkDate } from "./internal/validity.js";
import { x509SigningArguments } from "./internal/x509-signing.js";
import { x509 } from "./internal/x509.js";
import { crlNumberBytesMax } from "./limits.js";
import { revocationReasonCodes } from "./types.js";
import type { Issuer, RevocationReason } from "./types.js";

export interface RevokedEntry {
  readonly serialHex: string;
  readonly revokedAt: Date;
  readonly reason: RevocationReason;
}

export interface BuildCrlParams {
  /** The CA whose certificates are listed (it signs the CRL itself: no indirect CRLs, RFC 5280 §5). */
  readonly issuer: Issuer;
  readonly revoked: readonly RevokedEntry[];
  /** Monotonically increasing per issuer (RFC 5280 §5.2.3); the platform keeps the counter. */
  readonly crlNumber: bigint | number;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
}

const OID_CRL_NUMBER = "2.5.29.20";

/**
 * A complete v2 CRL (RFC 5280 §5.1) signed with ECDSA-SHA256 by the issuer: thisUpdate, nextUpdate
 * (required by §5.1.2.5 for conforming issuers), extensions AKI (§5.2.1) and cRLNumber (§5.2.3), one entry
 * per serial with its revocationDate and a reasonCode entry extension (§5.3.1), omitted for "unspecified"
 * as §5.3.1 recommends. Returns DER: @peculiar/x509's PEM label "BEGIN CRL" is refused by OpenSSL, which
 * wants "X509 CRL"; the HTTP layer serves DER as application/pkix-crl (RFC 5280 §4.2.1.13, RFC 2585 §4.2).
 */
export async function buildCrl(params: BuildCrlParams): Promise<Uint8Array> {
  const issuer = loadIssuer(params.issuer, "cRLSign");
  const thisUpdate = checkDate(params.thisUpdate, "thisUpdate");
  const nextUpdate = checkDate(params.nextUpdate, "nextUpdate");
  if (nextUpdate <= thisUpdate) throw new PkiError("ERR_PKI_INVALID_INPUT", "nextUpdate must be after thisUpdate");
  const crlNumber = crlNumberBytes(params.crlNumber);
  const revoked: readonly RevokedEntry[] = params.revoked;
  if (!Array.isArray(revoked)) throw new PkiError("ERR_PKI_INVALID_INPUT", "revoked must be an array");
  const seen = new Set<string>();
  const entries: x509.X509CrlEntryParams[] = (revoked as readonly RevokedEntry[]).map((entry, i) => {
    const serialHex = normaliseSerialHex(entry?.serialHex, `revoked[${i}].serialHex`);
    if (seen.has(serialHex)) throw new PkiError("ERR_PKI_INVALID_INPUT", `serial ${serialHex} is listed twice`);
    seen.add(serialHex);
    const revocationDate = checkDate(entry.revokedAt, `revoked[${i}].revokedAt`);
    if (!Object.hasOwn(revocationReasonCodes, entry.reason)) {
      throw new PkiError("ERR_PKI_INVALID_INPUT", `revoked[${i}].reason is not a known reason`);
    }
    const code = revocationReasonCodes[entry.reason];
    return code === 0 ? { serialNumber: serialHex, revocationDate } : { serialNumber: serialHex, revocationDate, reason: code };
  });
  const { signingKey, signingAlgorithm, crypto } = x509SigningArguments(issuer.signer);
  const crl = await x509.X509CrlGenerator.create({
    issuer: new x509.Name(issuer.fields.subject),
    thisUpdate,
    nextUpdate,
    entries,
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(issuer.keyIdHex),
      new x509.Extension(OID_CRL_NUMBER, false, crlNumber),
    ],
    signingKey,
    signingAlgorithm,
  }, crypto);
  return new Uint8Array(crl.rawData);
}

/** CRLNumber ::= INTEGER (0..MAX), at most 20 octets (RFC 5280 §5.2.3). */
function crlNumberBytes(value: unknown): Uint8Array {
  let n: bigint;
  if (typeof value === "bigint") n = value;
  else if (typeof value === "number" && Number.isSafeInteger(value)) n = BigInt(value);
  else throw new PkiError("ERR_PKI_INVALID_INPUT", "crlNumber must be a bigint or a safe integer");
  if (n < 0n) throw new PkiError("ERR_PKI_INVALID_INPUT", "crlNumber must not be negative");
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const encoded = encodeUnsignedInteger(Buffer.from(hex, "hex"));
  if (encoded.length - 2 > crlNumberBytesMax) throw new PkiError("ERR_PKI_INVALID_INPUT", `crlNumber must fit in ${crlNumberBytesMax} octets`);
  return encoded;
}
