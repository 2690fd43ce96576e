// @obol/xml: hardened XML parsing and the signed, encrypted message envelope (XML-DSig, XML-Enc).
export { XmlError, isXmlError } from "./errors.js";
export type { XmlErrorCode } from "./errors.js";
export * from "./limits.js";
export * from "./namespaces.js";
export { parseXml, defaultParseLimits } from "./parse.js";
export type { ParseLimits, ParseOptions, ParsedXml } from "./parse.js";
export { signEnveloped } from "./sign.js";
export type { SignOptions } from "./sign.js";
export { verifySignature } from "./verify.js";
export type { VerifyOptions, VerifiedXml } from "./verify.js";
export { inspectSignature } from "./signature-structure.js";
export type { SignatureInfo, SignaturePolicy, SignerHint } from "./signature-structure.js";
export { keyFingerprint } from "./keys.js";
export type { SignatureAlgorithmName, TrustedKey } from "./keys.js";
export { encryptElement, encryptXml } from "./encrypt.js";
export type { EncryptOptions, KeyTransport } from "./encrypt.js";
export { decryptElement, decryptXml } from "./decrypt.js";
export type { DecryptedData, DecryptionKeys, DecryptOptions } from "./decrypt.js";
