// @obol/pki/pkcs11: CA keys in a PKCS#11 token (SoftHSM, an HSM). The one part of @obol/pki that does IO. It
// loads the optional native binding pkcs11js on first use, so nothing here costs anything unless configured.
export { openPkcs11Signer } from "./signer.js";
export type { Pkcs11Signer } from "./signer.js";
export { destroyPkcs11KeyPair, generatePkcs11KeyPair } from "./generate.js";
export { tokenKeyUri } from "./token.js";
export type { Pkcs11Config } from "./token.js";
