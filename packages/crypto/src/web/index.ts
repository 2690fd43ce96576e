// @obol/crypto/web: the primitives of the client library over WebCrypto (globalThis.crypto.subtle), the same
// code in Node and in browsers; no `node:` module and no Buffer. Checked against the same Wycheproof vectors as
// the node:crypto primitives (test/web-*.test.ts).
export { CryptoError, isCryptoError } from "../errors.js";
export type { CryptoErrorCode } from "../errors.js";
export * from "../limits.js";
export { decodeP256Point } from "../p256.js";
export { subtle, isCryptoKey } from "./subtle.js";
export { randomBytes } from "./random.js";
export { constantTimeEqual, fromBase64, fromBase64Url, toBase64, toBase64Url, toHex, utf8Encode } from "./bytes.js";
export { hmacSha256, sha256 } from "./digest.js";
export { exportSpki, importSigningKey, importVerificationKey, signatureKeyKind } from "./keys.js";
export type { PublicKeyKind } from "./keys.js";
export { signEcdsaP256, signRsaPkcs1Sha256, verifyEcdsaP256, verifyRsaPkcs1Sha256 } from "./signatures.js";
export { aesGcmDecrypt, aesGcmEncrypt, aesKeyBytes } from "./aes-gcm.js";
export type { AesKey } from "./aes-gcm.js";
export { importRsaOaepPrivateKey, importRsaOaepPublicKey, rsaOaepSha1Decrypt, rsaOaepSha1Encrypt } from "./rsa-oaep.js";
export { aesKwUnwrap, aesKwWrap, concatKdfSha256, ecdhP256, exportAesKey, exportP256Point, generateEcdhP256KeyPair } from "./key-agreement.js";
