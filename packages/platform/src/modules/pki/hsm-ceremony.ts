import { X509Certificate } from "node:crypto";
import { certifyIssuingCa, compactId, issueServiceCertificate, type SigningCa } from "@obol/pki";
import { destroyPkcs11KeyPair, generatePkcs11KeyPair, type Pkcs11Config, type Pkcs11Signer } from "@obol/pki/pkcs11";
import { sql, type Kysely } from "kysely";
import { ObolError } from "../../errors/obol-error.js";
import type { AuditService } from "../audit/service.js";
import { openTokenSigner, tokenCall, validityDays, type PlatformKeys } from "./keys.js";

export const tokenIssuingCaSubject = { commonName: "Obol Issuing CA 2", organization: "Obol" } as const;

export interface CeremonyOutcome {
  uri: string;
  issuingCertificateDer: Uint8Array;
  /** The platform's signing and encryption certificates, re-issued under the new issuing CA. */
  reissued: string[];
}

/**
 * The key ceremony (README, "Key ceremony"): replaces the software issuing CA key by a key pair generated inside
 * the PKCS#11 token. The root CA certifies the token's public key; the platform's signing and encryption
 * certificates are re-issued under the new issuing CA (their keys stay); the database keeps the new
 * certificates and the key's PKCS#11 URI instead of the sealed issuing key, which is deleted, all in one
 * transaction with an audit entry. Refused once devices hold certificates from the software CA (they would stop
 * validating): this is done at installation. If a step after the generation fails, the token key is destroyed.
 */
export async function moveIssuingKeyToToken(input: {
  db: Kysely<any>; keys: PlatformKeys; pkcs11: Pkcs11Config; now: Date; urls: { ocspUrl: string; crlUrl: string }; audit: AuditService;
}): Promise<CeremonyOutcome> {
  const { db, keys, pkcs11, now, urls } = input;
  if (keys.issuingKeyLocation !== "sealed") {
    throw new ObolError("ERR_PKI_CEREMONY_REFUSED", `the issuing CA key is already in a token (${keys.issuingKeyLocation})`);
  }
  const issued = (await sql<{ n: string }>`SELECT count(*)::text AS n FROM pki_certificates`.execute(db)).rows[0]!.n;
  if (issued !== "0") {
    throw new ObolError("ERR_PKI_CEREMONY_REFUSED", `${issued} device certificates were issued by the software issuing CA; the key ceremony is for a new installation`);
  }
  const generated = await tokenCall(() => generatePkcs11KeyPair(pkcs11));
  let signer: Pkcs11Signer | undefined;
  try {
    signer = await openTokenSigner(pkcs11);
    if (!signer.publicKey.equals(generated.publicKey)) throw new Error("the token returned another key than the one generated");
    const issuingCertificateDer = await certifyIssuingCa({ root: keys.root, subject: tokenIssuingCaSubject, now, validityDays: validityDays.issuing, publicKey: signer.publicKey });
    const issuing: SigningCa = { certificateDer: issuingCertificateDer, signer };
    const service = { issuer: issuing, now, validityDays: validityDays.service, ...urls };
    const signing = await issueServiceCertificate({ ...service, purpose: "signing", serviceName: "obol-platform-signing", publicKey: keys.signing.privateKey });
    const encryption = await issueServiceCertificate({ ...service, purpose: "encryption", serviceName: "obol-platform-encryption", publicKey: keys.encryption.privateKey });
    await db.transaction().execute(async (trx) => {
      const moved = await sql`UPDATE pki_keys SET sealed_private_key = NULL, token_key_uri = ${generated.uri}, certificate = ${Buffer.from(issuingCertificateDer)}
                              WHERE name = 'issuing_ca' AND token_key_uri IS NULL`.execute(trx);
      if (moved.numAffectedRows !== 1n) throw new ObolError("ERR_PKI_CEREMONY_REFUSED", "the issuing CA key changed meanwhile");
      await sql`UPDATE pki_keys SET certificate = ${Buffer.from(signing.certificateDer)} WHERE name = 'signing'`.execute(trx);
      await sql`UPDATE pki_keys SET certificate = ${Buffer.from(encryption.certificateDer)} WHERE name = 'encryption'`.execute(trx);
      await input.audit.append({
        actorType: "system", actorId: "cli", action: "pki.issuing_key_moved_to_token", subject: "pki_key:issuing_ca",
        details: {
          uri: generated.uri, issuingCertificate: compactId(issuingCertificateDer),
          issuingSerial: new X509Certificate(issuingCertificateDer).serialNumber.toLowerCase(),
          signingCertificate: compactId(signing.certificateDer), encryptionCertificate: compactId(encryption.certificateDer),
        },
      }, trx);
    });
    return { uri: generated.uri, issuingCertificateDer, reissued: [signing.serialHex, encryption.serialHex] };
  } catch (error) {
    await signer?.close();
    signer = undefined;
    await destroyPkcs11KeyPair(pkcs11).catch(() => 0);
    throw error;
  } finally {
    await signer?.close();
  }
}
