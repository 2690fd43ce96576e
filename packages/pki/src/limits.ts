/** Hard limits and fixed parameters of @obol/pki. Units are in the name, last. */

/** Largest PKCS#10 request parseCsr() looks at. A P-256 CSR with a few attributes is 300–600 bytes. */
export const csrBytesMax = 4096;

/** Largest certificate validateCertificate()/compactId() and friends accept. Ours are under 1 KiB. */
export const certificateBytesMax = 16_384;

/** Most certificates between the end entity and the trusted root validateCertificate() will walk. */
export const chainIntermediatesMax = 4;

/** Largest OCSP request parseOcspRequest() looks at (one CertID with a nonce is about 100 bytes). */
export const ocspRequestBytesMax = 4096;

/** Most CertIDs in one OCSP request (RFC 6960 §4.1.1 allows a list; clients send one). */
export const ocspRequestCertIdsMax = 16;

/** Nonce size bounds, RFC 8954 §2.1: Nonce ::= OCTET STRING (SIZE(1..32)). */
export const ocspNonceBytesMin = 1;
export const ocspNonceBytesMax = 32;

/** Largest OCSP response verifyOcspResponse() looks at. */
export const ocspResponseBytesMax = 65_536;

/** Clock skew tolerated between this client and an OCSP responder (RFC 6960 §3.2 items 4 and 5). */
export const ocspClockSkewSecondsMax = 300;

/** Oldest acceptable OCSP response that carries no nextUpdate (RFC 6960 §4.2.2.1: "newer information is always available"). */
export const ocspResponseAgeSecondsMax = 3600;

/** Longest CA validity createRootCa()/createIssuingCa() will sign: 25 years. */
export const caValidityDaysMax = 9125;

/** Longest end-entity validity issueDeviceCertificate()/issueServiceCertificate() will sign: 825 days. */
export const endEntityValidityDaysMax = 825;

/** Serial numbers drawn by the issuer: 16 random bytes, positive (RFC 5280 §4.1.2.2: at most 20 octets). */
export const serialBytes = 16;

/** Longest serial a caller may pass explicitly (RFC 5280 §4.1.2.2). */
export const serialBytesMax = 20;

/** partyId / service names: length bound; the alphabet is [A-Za-z0-9._-] (safe in a URN NSS and a CN). */
export const partyIdCharsMax = 64;

/** Longest CRL number (RFC 5280 §5.2.3: "CRL issuers MUST NOT use CRLNumber values longer than 20 octets"). */
export const crlNumberBytesMax = 20;

/** Shortest passphrase sealPrivateKey() accepts, in Unicode code points after NFC normalisation. */
export const sealPassphraseCharsMin = 12;

/** Longest passphrase sealPrivateKey()/openPrivateKey() accept. */
export const sealPassphraseCharsMax = 1024;

/** scrypt cost written by sealPrivateKey(): N = 2^15, r = 8, p = 1 (RFC 7914 §2; 32 MiB, ~0.1 s). */
export const sealScryptLog2N = 15;
export const sealScryptR = 8;
export const sealScryptP = 1;

/** Bounds openPrivateKey() accepts for a stored N: below 2^15 is too weak; 2^17 with r = 8 needs 128 MiB. */
export const sealScryptLog2NMin = 15;
export const sealScryptLog2NMax = 17;

/** scrypt salt and AES-GCM nonce sizes in a sealed key. */
export const sealSaltBytes = 16;
export const sealIvBytes = 12;

/** Largest sealed-key text openPrivateKey() looks at (an RSA-4096 PKCS#8 is ~2.4 KB, base64url ~3.3 KB). */
export const sealedKeyCharsMax = 16_384;

/** Signatures a PKCS#11 signer queues behind the one in progress before it refuses more (a token signs one at a time). */
export const pkcs11SignQueueMax = 256;

/** RSA device keys, accepted only for legacy devices (parseCsr allowRsa): modulus sizes in bits (NIST SP 800-57 §5.6.1: 2048 at least). */
export const rsaDeviceModulusBitsMin = 2048;
export const rsaDeviceModulusBitsMax = 4096;
