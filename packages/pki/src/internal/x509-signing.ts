import type { webcrypto } from "node:crypto";
import { PkiError } from "../errors.js";
import type { Signer } from "../signer.js";
import { signChecked } from "./sign-with.js";

/**
 * @peculiar/x509's generators sign with `crypto.subtle.sign(algorithm, signingKey, tbs)` on the crypto object
 * passed as their last argument. This gives them one whose `sign` is the Signer, and a key handle that only
 * names the algorithm (the generators read `signingKey.algorithm` to write the AlgorithmIdentifier): the
 * private key never has to be a WebCrypto key, so it can stay in a token. Nothing else of the object is used
 * when the serial number is given, which issuance always does; anything else would throw here, not fall back.
 */
export interface X509SigningArguments {
  readonly signingKey: webcrypto.CryptoKey;
  readonly signingAlgorithm: { name: "ECDSA"; hash: "SHA-256" };
  readonly crypto: webcrypto.Crypto;
}

export function x509SigningArguments(signer: Signer): X509SigningArguments {
  const algorithm = { name: "ECDSA", namedCurve: "P-256" } as const;
  const signingKey = { algorithm, type: "private", extractable: false, usages: ["sign"] } as unknown as webcrypto.CryptoKey;
  const subtle = {
    async sign(requested: { name?: string; hash?: string | { name?: string } }, key: unknown, data: ArrayBuffer | ArrayBufferView): Promise<ArrayBuffer> {
      const hash = typeof requested.hash === "string" ? requested.hash : requested.hash?.name;
      if (key !== signingKey || requested.name !== "ECDSA" || hash !== "SHA-256") {
        throw new PkiError("ERR_PKI_INVALID_INPUT", "only ECDSA with SHA-256 by the issuer's signer");
      }
      const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      const signature = await signChecked(signer, bytes);
      return signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength) as ArrayBuffer;
    },
  };
  return { signingKey, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" }, crypto: { subtle } as unknown as webcrypto.Crypto };
}
