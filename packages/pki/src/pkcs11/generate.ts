import { randomBytes, type KeyObject } from "node:crypto";
import { PkiError } from "../errors.js";
import {
  CKA_DERIVE, CKA_EC_PARAMS, CKA_EC_POINT, CKA_EXTRACTABLE, CKA_ID, CKA_LABEL, CKA_PRIVATE, CKA_SENSITIVE, CKA_SIGN,
  CKA_TOKEN, CKA_VERIFY, CKM_EC_KEY_PAIR_GEN, CKO_PRIVATE_KEY, CKO_PUBLIC_KEY, P256_EC_PARAMS,
} from "./constants.js";
import { publicKeyFromEcPoint } from "./keys.js";
import { findByLabel, openTokenSession, pkcs11Failure, tokenKeyUri, type Pkcs11Config } from "./token.js";

/**
 * Generates a P-256 key pair inside the token (CKM_EC_KEY_PAIR_GEN), labelled config.keyLabel, and returns its
 * public key. The private key is a token object that is private, sensitive, not extractable and may only
 * sign (PKCS#11 §4.9: with CKA_EXTRACTABLE false and CKA_SENSITIVE true it never leaves the token in clear,
 * wrapped or not). Both objects get the same random CKA_ID (what tools such as pkcs11-tool match pairs by).
 * ERR_PKI_PKCS11_KEY if a key labelled so exists already; the other ERR_PKI_PKCS11_* as openPkcs11Signer.
 */
export async function generatePkcs11KeyPair(config: Pkcs11Config): Promise<{ publicKey: KeyObject; uri: string }> {
  const token = await openTokenSession(config, { readWrite: true });
  try {
    if (findByLabel(token, CKO_PRIVATE_KEY).length > 0 || findByLabel(token, CKO_PUBLIC_KEY).length > 0) {
      throw new PkiError("ERR_PKI_PKCS11_KEY", `a key labelled "${config.keyLabel}" exists on the token already`);
    }
    const id = randomBytes(16);
    const common = [{ type: CKA_TOKEN, value: true }, { type: CKA_LABEL, value: config.keyLabel }, { type: CKA_ID, value: id }];
    let handles;
    try {
      handles = token.module.C_GenerateKeyPair(
        token.session,
        { mechanism: CKM_EC_KEY_PAIR_GEN },
        [...common, { type: CKA_EC_PARAMS, value: Buffer.from(P256_EC_PARAMS) }, { type: CKA_VERIFY, value: true }],
        [
          ...common,
          { type: CKA_PRIVATE, value: true },
          { type: CKA_SENSITIVE, value: true },
          { type: CKA_EXTRACTABLE, value: false },
          { type: CKA_SIGN, value: true },
          { type: CKA_DERIVE, value: false },
        ],
      );
    } catch (error) {
      throw pkcs11Failure(error, "C_GenerateKeyPair");
    }
    let point: Buffer | undefined;
    try {
      point = token.module.C_GetAttributeValue(token.session, handles.publicKey, [{ type: CKA_EC_POINT }])[0]?.value;
    } catch (error) {
      throw pkcs11Failure(error, "C_GetAttributeValue");
    }
    return { publicKey: publicKeyFromEcPoint(point ?? Buffer.alloc(0)), uri: tokenKeyUri(config) };
  } finally {
    token.close();
  }
}

/**
 * Destroys the key pair labelled config.keyLabel (both objects): the undo of a key ceremony that failed after
 * generating. Returns how many objects were destroyed.
 */
export async function destroyPkcs11KeyPair(config: Pkcs11Config): Promise<number> {
  const token = await openTokenSession(config, { readWrite: true });
  try {
    const objects = [...findByLabel(token, CKO_PRIVATE_KEY, 16), ...findByLabel(token, CKO_PUBLIC_KEY, 16)];
    for (const object of objects) {
      try {
        token.module.C_DestroyObject(token.session, object);
      } catch (error) {
        throw pkcs11Failure(error, "C_DestroyObject");
      }
    }
    return objects.length;
  } finally {
    token.close();
  }
}
