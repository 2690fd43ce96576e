// @obol/crypto: the cryptographic primitives Obol uses, byte-only, allow-listed, checked against Wycheproof
// (test/vectors/wycheproof at the repository root). One operation per file; no IO.
export { CryptoError, isCryptoError } from "./errors.js";
export type { CryptoErrorCode } from "./errors.js";
export * from "./limits.js";

export { signEcdsaP256 } from "./ecdsa-p256-sign.js";
export type { EcdsaSignatureEncoding } from "./ecdsa-p256-sign.js";
export { verifyEcdsaP256 } from "./ecdsa-p256-verify.js";
export { ecdsaP256DerToP1363, ecdsaP256P1363ToDer } from "./ecdsa-signature-convert.js";

export { ecdhP256 } from "./ecdh-p256.js";
export { ecdhP256Spki, p256PointFromSpki } from "./ecdh-p256-spki.js";
export { p256PointFromJwk } from "./p256-jwk.js";
export { decodeP256Point, p256 } from "./p256.js";
export type { P256Point } from "./p256.js";

export { aesGcmEncrypt } from "./aes-gcm-encrypt.js";
export { aesGcmDecrypt } from "./aes-gcm-decrypt.js";

export { rsaOaepEncrypt } from "./rsa-oaep-encrypt.js";
export { rsaOaepDecrypt } from "./rsa-oaep-decrypt.js";
export type { RsaOaepHash } from "./rsa-oaep-params.js";

export { randomBytes } from "./random-bytes.js";
export { timingSafeEqualBytes } from "./timing-safe-equal.js";
