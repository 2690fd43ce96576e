// @obol/pki: the platform's wireless PKI (SYSTEM.md §2 "security authentication" layer): CA, RA issuance from
// PKCS#10 requests, CRL, OCSP responder and client, chain validation, compact certificate identifiers, and
// private keys sealed at rest. Pure functions of plain data: no IO, the clock is a parameter.
export { PkiError, isPkiError } from "./errors.js";
export type { PkiErrorCode, ValidationErrorCode } from "./errors.js";
export * from "./limits.js";
export type { CaKeyPair, CertificateStatus, Issuer, RevocationReason, StatusOf } from "./types.js";
export { softwareSigner } from "./signer.js";
export type { Signer, SigningCa } from "./signer.js";
export type { DistinguishedName, PartyType } from "./internal/names.js";

export { createRootCa } from "./create-root-ca.js";
export type { CreateRootCaParams } from "./create-root-ca.js";
export { certifyIssuingCa, createIssuingCa } from "./create-issuing-ca.js";
export type { CertifyIssuingCaParams, CreateIssuingCaParams } from "./create-issuing-ca.js";

export { sealPrivateKey, sealPrivateKeyAsync } from "./seal-private-key.js";
export { openPrivateKey, openPrivateKeyAsync } from "./open-private-key.js";

export { compactId, isCompactId } from "./compact-id.js";
export { createCsr } from "./create-csr.js";
export { parseCsr } from "./parse-csr.js";
export type { ParseCsrOptions, ParsedCsr } from "./parse-csr.js";
export { issueDeviceCertificate } from "./issue-device-certificate.js";
export type { IssueDeviceCertificateParams } from "./issue-device-certificate.js";
export { issueServiceCertificate } from "./issue-service-certificate.js";
export type { IssueServiceCertificateParams, ServiceCertificatePurpose } from "./issue-service-certificate.js";
export type { IssuedCertificate } from "./internal/end-entity.js";

export { buildCrl } from "./build-crl.js";
export type { BuildCrlParams, RevokedEntry } from "./build-crl.js";

export { parseOcspRequest } from "./parse-ocsp-request.js";
export type { OcspCertId, OcspRequestInfo } from "./parse-ocsp-request.js";
export { buildOcspResponse, buildOcspErrorResponse } from "./build-ocsp-response.js";
export type { BuildOcspResponseParams } from "./build-ocsp-response.js";
export type { OcspHashAlgorithm, OcspResponseStatus } from "./internal/ocsp-asn1.js";
export { buildOcspRequest } from "./build-ocsp-request.js";
export type { BuildOcspRequestOptions } from "./build-ocsp-request.js";
export { verifyOcspResponse } from "./verify-ocsp-response.js";
export type { OcspStatusResult, VerifyOcspResponseOptions } from "./verify-ocsp-response.js";

export { validateCertificate } from "./validate-certificate.js";
export type { ExtendedKeyUsageName, KeyUsageName, ValidateCertificateParams, ValidationResult } from "./validate-certificate.js";
export { readOrCreatePassphraseFile } from "./passphrase-file.js";
