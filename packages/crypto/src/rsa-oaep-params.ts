import { CryptoError } from "./errors.js";

/**
 * OAEP hashes on the allow-list, MGF1 always with the same hash (RFC 8017 §7.1, Appendix B.2.1):
 *  - "sha1":   XML Encryption http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p (the xmlsec1 default), JWE RSA-OAEP.
 *  - "sha256": XML Encryption 1.1 xmlenc11#rsa-oaep with SHA-256 digest and mgf1sha256, JWE RSA-OAEP-256.
 * SHA-1 is acceptable here: OAEP needs no collision resistance (RFC 8017 §7.1 note; SP 800-131A Rev. 2 §9).
 */
export type RsaOaepHash = "sha1" | "sha256";

export const rsaOaepHashBytes: Readonly<Record<RsaOaepHash, number>> = { sha1: 20, sha256: 32 };

export function assertRsaOaepHash(hash: unknown): asserts hash is RsaOaepHash {
  if (hash !== "sha1" && hash !== "sha256") {
    throw new CryptoError("ERR_CRYPTO_ALGORITHM", 'RSA-OAEP hash must be "sha1" or "sha256"');
  }
}
