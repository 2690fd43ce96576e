/** Allow-listed sizes and hard limits of @obol/crypto. Units are in the name, last. */

/** AES key sizes allowed for AES-GCM: AES-128 and AES-256 (FIPS 197). AES-192 is not on the list. */
export const aesGcmKeySizesBytes: readonly number[] = [16, 32];

/** The only GCM IV size: 96 bits (NIST SP 800-38D §8.2 recommendation; XML Encryption 1.1 §5.2.4 AES-GCM). */
export const aesGcmIvBytes = 12;

/** The only GCM tag size: 128 bits (SP 800-38D §5.2.1.2; XML Encryption 1.1 §5.2.4 fixes 128 bits). */
export const aesGcmTagBytes = 16;

/** Smallest RSA modulus accepted (NIST SP 800-57 Part 1 Rev. 5 §5.6.1: 2048 bits for 112-bit security). */
export const rsaModulusMinBits = 2048;

/** Largest RSA modulus accepted: bounds the work one attacker-chosen key can cause. */
export const rsaModulusMaxBits = 8192;

/** P-256 field element and scalar size (SEC 2 §2.4.2). */
export const p256FieldBytes = 32;

/** Most bytes one randomBytes() call returns (node:crypto's own limit is 2^31 - 1). */
export const randomBytesMax = 65_536;
