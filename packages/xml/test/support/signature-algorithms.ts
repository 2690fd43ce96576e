// xml-crypto SignatureAlgorithm classes over node:crypto, for the tests that drive xml-crypto directly (the
// signature-wrapping suite builds attack documents with it, and shows xml-crypto alone accepting some). The
// library itself no longer uses xml-crypto's SignedXml: see src/sign.ts and src/verify.ts.
import { createSign, createVerify, KeyObject } from "node:crypto";
import type { BinaryLike, KeyLike } from "node:crypto";
import { signEcdsaP256, verifyEcdsaP256 } from "@obol/crypto";
import { createOptionalCallbackFunction } from "xml-crypto";
import type { SignatureAlgorithm } from "xml-crypto";
import { decodeBase64, encodeBase64 } from "../../src/base64.js";
import { ecdsaSha256Algorithm, rsaSha256Algorithm } from "../../src/namespaces.js";

/**
 * SignatureMethod implementations registered on xml-crypto, replacing its defaults: only these two exist on
 * our SignedXml instances, so an algorithm outside the list cannot be dispatched even if a check were missed.
 * Keys are always KeyObjects (verify.ts/sign.ts pass nothing else); a string or Buffer is refused.
 */

function asKeyObject(key: KeyLike): KeyObject {
  if (key instanceof KeyObject) return key;
  throw new Error("keys must be KeyObjects");
}

function bytesOf(data: BinaryLike): Uint8Array {
  if (typeof data === "string") return new Uint8Array(Buffer.from(data, "utf8"));
  if (data instanceof Uint8Array) return data;
  throw new Error("signed info must be a string or bytes");
}

/**
 * ECDSA P-256 with SHA-256, RFC 6931 §2.3.6 / xmldsig-core1 §6.4.3. The SignatureValue is the raw r || s
 * (RFC 4050 §3.3, IEEE P1363), 64 bytes, not DER: that is what xmlsec1 produces and expects.
 */
export class EcdsaSha256 implements SignatureAlgorithm {
  getSignature = createOptionalCallbackFunction((signedInfo: BinaryLike, privateKey: KeyLike): string =>
    encodeBase64(signEcdsaP256(asKeyObject(privateKey), bytesOf(signedInfo), "p1363")),
  );

  verifySignature = createOptionalCallbackFunction((material: string, key: KeyLike, signatureValue: string): boolean => {
    const signature = decodeBase64(signatureValue);
    if (signature === null) return false;
    return verifyEcdsaP256(asKeyObject(key), bytesOf(material), signature, "p1363");
  });

  getAlgorithmName = (): string => ecdsaSha256Algorithm;
}

/** RSASSA-PKCS1-v1_5 with SHA-256, RFC 6931 §2.3.2 / xmldsig-core1 §6.4.2. Legacy devices only. */
export class RsaSha256 implements SignatureAlgorithm {
  getSignature = createOptionalCallbackFunction((signedInfo: BinaryLike, privateKey: KeyLike): string =>
    createSign("RSA-SHA256").update(bytesOf(signedInfo)).sign(asKeyObject(privateKey), "base64"),
  );

  verifySignature = createOptionalCallbackFunction((material: string, key: KeyLike, signatureValue: string): boolean => {
    const signature = decodeBase64(signatureValue);
    if (signature === null) return false;
    try {
      return createVerify("RSA-SHA256").update(bytesOf(material)).verify(asKeyObject(key), signature);
    } catch {
      return false;
    }
  });

  getAlgorithmName = (): string => rsaSha256Algorithm;
}
