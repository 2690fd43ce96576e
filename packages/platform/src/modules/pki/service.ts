import {
  buildCrl, buildOcspResponse, isPkiError, issueDeviceCertificate, parseCsr, parseOcspRequest, validateCertificate,
  type CertificateStatus, type RevocationReason, type ValidationResult,
} from "@obol/pki";
import { sql, type Kysely } from "kysely";
import type { AuditService } from "../audit/service.js";
import { EnrolmentCodes, type PartyType } from "./enrolment-codes.js";
import type { PlatformKeys } from "./keys.js";

export const deviceValidityDays = 730;
export const crlValidityMs = 60 * 60_000;
export const ocspValidityMs = 10 * 60_000;
export const revokedListedMax = 100_000;

export interface StoredCertificate {
  serial: string;
  compactId: string;
  partyType: PartyType;
  partyId: string;
  certificateDer: Uint8Array;
  notAfter: Date;
  revokedAt: Date | null;
}

export type EnrolOutcome =
  | { ok: true; certificate: StoredCertificate }
  | { ok: false; code: "ERR_ENROLMENT_CODE_INVALID" | "ERR_ENROLMENT_CODE_EXPIRED" | "ERR_ENROLMENT_CODE_LOCKED" | "ERR_CSR_INVALID" | "ERR_CSR_KEY_UNSUPPORTED" };

export interface PkiPolicy {
  /** Legacy devices: enrol RSA 2048-4096 device keys too (OBOL_LEGACY_RSA_DEVICES). */
  legacyRsaDevices: boolean;
}

interface Row { serial: string; compact_id: string; party_type: PartyType; party_id: string; certificate: Uint8Array; not_after: Date; revoked_at: Date | null; revocation_reason: RevocationReason | null }

/** The API code for a PkiError about the request; undefined for anything else. */
function csrRefusal(error: unknown): "ERR_CSR_INVALID" | "ERR_CSR_KEY_UNSUPPORTED" | undefined {
  if (isPkiError(error, "ERR_PKI_CSR_KEY")) return "ERR_CSR_KEY_UNSUPPORTED";
  if (isPkiError(error) && (error.code.startsWith("ERR_PKI_CSR") || error.code === "ERR_PKI_INVALID_INPUT")) return "ERR_CSR_INVALID";
  return undefined;
}

function stored(row: Row): StoredCertificate {
  return { serial: row.serial, compactId: row.compact_id, partyType: row.party_type, partyId: row.party_id, certificateDer: new Uint8Array(row.certificate), notAfter: new Date(row.not_after), revokedAt: row.revoked_at === null ? null : new Date(row.revoked_at) };
}

/**
 * The platform PKI: the RA (enrolment codes, policy: a party with a valid code is approved at
 * once), the CA (issuance from the device's CSR), the certificate directory, revocation, and
 * the CRL and OCSP answers built from the directory.
 */
export class PkiService {
  readonly codes: EnrolmentCodes;

  constructor(
    private readonly db: Kysely<any>, private readonly clock: () => number, readonly keys: PlatformKeys,
    private readonly urls: { ocspUrl: string; crlUrl: string }, private readonly audit: AuditService,
    readonly policy: PkiPolicy = { legacyRsaDevices: false },
  ) {
    this.codes = new EnrolmentCodes(db, clock);
  }

  /**
   * Checks the enrolment code and issues a certificate for the CSR's key, in one transaction. The CSR is
   * checked first, so a bad request does not use the code up.
   */
  async enrol(input: { partyType: PartyType; partyId: string; msisdn?: string; code: string; csrDer: Uint8Array }): Promise<EnrolOutcome> {
    try {
      parseCsr(input.csrDer, { allowRsa: this.policy.legacyRsaDevices });
    } catch (error) {
      const refused = csrRefusal(error);
      if (refused === undefined) throw error;
      return { ok: false, code: refused };
    }
    return this.db.transaction().execute(async (trx) => {
      const check = await this.codes.consume(input.partyType, input.partyId, input.code, trx);
      if (!check.ok) return check;
      let issued;
      try {
        issued = await issueDeviceCertificate({
          issuer: this.keys.issuing, csrDer: input.csrDer, partyType: input.partyType, partyId: input.partyId,
          ...(input.msisdn !== undefined ? { msisdn: input.msisdn } : {}), now: new Date(this.clock()), validityDays: deviceValidityDays, ...this.urls,
          allowRsa: this.policy.legacyRsaDevices,
        });
      } catch (error) {
        const refused = csrRefusal(error);
        if (refused === undefined) throw error;
        return { ok: false, code: refused };
      }
      await sql`INSERT INTO pki_certificates (serial, compact_id, party_type, party_id, certificate, not_before, not_after)
                VALUES (${issued.serialHex}, ${issued.compactId}, ${input.partyType}, ${input.partyId}::uuid, ${Buffer.from(issued.certificateDer)}, ${issued.notBefore}, ${issued.notAfter})`.execute(trx);
      await this.audit.append({ actorType: input.partyType, actorId: input.partyId, action: "pki.certificate_issued", subject: `certificate:${issued.serialHex}`, details: { compactId: issued.compactId } }, trx);
      return { ok: true, certificate: { serial: issued.serialHex, compactId: issued.compactId, partyType: input.partyType, partyId: input.partyId, certificateDer: issued.certificateDer, notAfter: issued.notAfter, revokedAt: null } };
    });
  }

  async byCompactId(compactId: string): Promise<StoredCertificate | undefined> {
    return (await sql<Row>`SELECT * FROM pki_certificates WHERE compact_id = ${compactId}`.execute(this.db)).rows.map(stored)[0];
  }

  async bySerial(serial: string): Promise<StoredCertificate | undefined> {
    if (!/^[0-9a-f]{2,40}$/.test(serial)) return undefined;
    return (await sql<Row>`SELECT * FROM pki_certificates WHERE serial = ${serial}`.execute(this.db)).rows.map(stored)[0];
  }

  async ofParty(partyType: PartyType, partyId: string): Promise<StoredCertificate[]> {
    return (await sql<Row>`SELECT * FROM pki_certificates WHERE party_type = ${partyType} AND party_id = ${partyId}::uuid ORDER BY issued_at DESC LIMIT 20`.execute(this.db)).rows.map(stored);
  }

  /** Revokes a certificate (lost phone, operator action); the CRL number moves on. */
  async revoke(serial: string, reason: RevocationReason & ("unspecified" | "keyCompromise" | "affiliationChanged" | "superseded" | "cessationOfOperation"), actor: { type: "user" | "operator"; id: string }): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await sql`UPDATE pki_certificates SET revoked_at = ${new Date(this.clock())}, revocation_reason = ${reason} WHERE serial = ${serial} AND revoked_at IS NULL`.execute(trx);
      if ((result.numAffectedRows ?? 0n) === 0n) return false;
      await sql`UPDATE pki_crl_state SET crl_number = crl_number + 1 WHERE id = 1`.execute(trx);
      await this.audit.append({ actorType: actor.type, actorId: actor.id, action: "pki.certificate_revoked", subject: `certificate:${serial}`, details: { reason } }, trx);
      return true;
    });
  }

  async status(serial: string): Promise<CertificateStatus> {
    const row = (await sql<Row>`SELECT * FROM pki_certificates WHERE serial = ${serial}`.execute(this.db)).rows[0];
    if (row === undefined) return "unknown";
    return row.revoked_at === null ? "good" : { revokedAt: new Date(row.revoked_at), reason: row.revocation_reason ?? "unspecified" };
  }

  /**
   * Chain to our root, dates, key usage for signed confirmations, then revocation from the
   * directory: validated once, and only a valid certificate costs a status lookup.
   */
  async validate(certificateDer: Uint8Array): Promise<ValidationResult> {
    const result = validateCertificate({
      certificateDer, trustedRootDer: this.keys.root.certificateDer, intermediatesDer: [this.keys.issuing.certificateDer],
      now: new Date(this.clock()), requiredKeyUsage: ["digitalSignature", "nonRepudiation"],
    });
    if (!result.ok) return result;
    const status = await this.status(result.serialHex);
    if (status === "unknown") return { ok: false, code: "ERR_PKI_STATUS_UNKNOWN", reason: "the certificate's serial is not in the directory" };
    if (status !== "good") return { ok: false, code: "ERR_PKI_REVOKED", reason: "the certificate is revoked" };
    return result;
  }

  async crl(): Promise<Uint8Array> {
    const now = this.clock();
    const state = (await sql<{ crl_number: bigint }>`SELECT crl_number FROM pki_crl_state WHERE id = 1`.execute(this.db)).rows[0]!;
    const revoked = (await sql<{ serial: string; revoked_at: Date; revocation_reason: RevocationReason }>`
      SELECT serial, revoked_at, revocation_reason FROM pki_certificates WHERE revoked_at IS NOT NULL ORDER BY revoked_at LIMIT ${revokedListedMax}`.execute(this.db)).rows;
    return buildCrl({
      issuer: this.keys.issuing, crlNumber: state.crl_number + 1n, thisUpdate: new Date(now), nextUpdate: new Date(now + crlValidityMs),
      revoked: revoked.map((r) => ({ serialHex: r.serial, revokedAt: new Date(r.revoked_at), reason: r.revocation_reason })),
    });
  }

  /** RFC 6960 answer for a DER request; malformed requests get a malformedRequest response. */
  async ocsp(requestDer: Uint8Array): Promise<Uint8Array> {
    let request;
    try {
      request = parseOcspRequest(requestDer);
    } catch {
      return buildOcspResponse({ issuer: this.keys.issuing, request: requestDer, statusOf: () => "unknown", now: new Date(this.clock()), nextUpdate: new Date(this.clock() + ocspValidityMs) });
    }
    const statuses = new Map<string, CertificateStatus>();
    for (const certId of request.certIds) statuses.set(certId.serialHex, await this.status(certId.serialHex));
    return buildOcspResponse({
      issuer: this.keys.issuing, request, statusOf: (serial) => statuses.get(serial) ?? "unknown",
      now: new Date(this.clock()), nextUpdate: new Date(this.clock() + ocspValidityMs),
    });
  }
}

