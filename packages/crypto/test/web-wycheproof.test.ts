// The WebCrypto primitives of @obol/crypto/web (the client library's, in Node and in browsers) against the same
// Wycheproof files and the same decisions as the node:crypto primitives: ECDSA P-256 r||s, AES-GCM, RSA-OAEP
// (SHA-1, the rsa-oaep-mgf1p variant) and ECDH P-256 on raw points (invalid-curve points included).
import { test } from "node:test";
import type { TestContext } from "node:test";
import {
  aesGcmDecrypt, aesGcmEncrypt, aesGcmIvBytes, aesGcmKeySizesBytes, aesGcmTagBytes, CryptoError, ecdhP256,
  importRsaOaepPrivateKey, importVerificationKey, rsaOaepSha1Decrypt, subtle, verifyEcdsaP256,
} from "../src/web/index.js";
import { finish, hex, loadWycheproof, Tally, toHex } from "./support/wycheproof.js";
import type { AcceptableDecisions, Outcome } from "./support/wycheproof.js";

async function outcomeOf(fn: () => Promise<Uint8Array | boolean>, rejectCodes: readonly string[]): Promise<Outcome> {
  try {
    const result = await fn();
    if (result === false) return { kind: "rejected", code: "false" };
    return result === true ? { kind: "accepted" } : { kind: "accepted", output: result };
  } catch (error) {
    const code = error instanceof CryptoError ? error.code : undefined;
    if (code !== undefined && rejectCodes.includes(code)) return { kind: "rejected", code };
    return { kind: "crashed", message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  }
}

test("Wycheproof ecdsa_secp256r1_sha256_p1363_test.json (WebCrypto)", async (t: TestContext) => {
  const fileName = "ecdsa_secp256r1_sha256_p1363_test.json";
  const file = loadWycheproof(fileName);
  const tally = new Tally(fileName);
  for (const group of file.testGroups) {
    const publicKey = await importVerificationKey(hex(group["publicKeyDer"]));
    for (const v of group.tests) {
      tally.record(v, await outcomeOf(() => verifyEcdsaP256(publicKey, hex(v["msg"]), hex(v["sig"])), []));
    }
  }
  finish(t, tally, file);
});

test("Wycheproof aes_gcm_test.json (WebCrypto)", async (t: TestContext) => {
  const fileName = "aes_gcm_test.json";
  const file = loadWycheproof(fileName);
  const tally = new Tally(fileName);
  for (const group of file.testGroups) {
    const inPolicy = aesGcmKeySizesBytes.includes(Number(group["keySize"]) / 8) &&
      Number(group["ivSize"]) === aesGcmIvBytes * 8 && Number(group["tagSize"]) === aesGcmTagBytes * 8;
    for (const v of group.tests) {
      const [key, iv, aad, msg] = [hex(v["key"]), hex(v["iv"]), hex(v["aad"]), hex(v["msg"])];
      const sealed = hex(`${String(v["ct"])}${String(v["tag"])}`);
      if (!inPolicy) {
        const dec = await outcomeOf(() => aesGcmDecrypt(key, iv, sealed, aad), ["ERR_CRYPTO_ALGORITHM", "ERR_CRYPTO_DECRYPT_FAILED"]);
        tally.record(v, dec.kind === "rejected" ? { kind: "outOfPolicy", code: dec.code } : { kind: "crashed", message: "out-of-policy parameters accepted" });
        continue;
      }
      if (v.result !== "invalid") {
        const enc = await outcomeOf(() => aesGcmEncrypt(key, iv, msg, aad), []);
        if (enc.kind !== "accepted" || enc.output === undefined || toHex(enc.output) !== toHex(sealed)) {
          tally.record(v, { kind: "crashed", message: `encryption did not reproduce ct||tag (${enc.kind})` });
          continue;
        }
      }
      tally.record(v, await outcomeOf(() => aesGcmDecrypt(key, iv, sealed, aad), ["ERR_CRYPTO_DECRYPT_FAILED"]), msg);
    }
  }
  finish(t, tally, file);
});

test("Wycheproof rsa_oaep_2048_sha1_mgf1sha1_test.json (WebCrypto)", async (t: TestContext) => {
  const fileName = "rsa_oaep_2048_sha1_mgf1sha1_test.json";
  const file = loadWycheproof(fileName);
  const tally = new Tally(fileName);
  for (const group of file.testGroups) {
    const privateKey = await importRsaOaepPrivateKey(hex(group["privateKeyPkcs8"]));
    for (const v of group.tests) {
      // WebCrypto's RSA-OAEP has no label parameter in our API: XML Encryption uses the empty label.
      if (hex(v["label"]).byteLength > 0) {
        tally.record(v, { kind: "outOfPolicy", code: "non-empty OAEP label" });
        continue;
      }
      tally.record(v, await outcomeOf(() => rsaOaepSha1Decrypt(privateKey, hex(v["ct"])), ["ERR_CRYPTO_DECRYPT_FAILED"]), hex(v["msg"]));
    }
  }
  finish(t, tally, file);
});

/** PKCS#8 (RFC 5208) / RFC 5915 ECPrivateKey prefix for a P-256 scalar without the optional public key. */
const pkcs8P256Prefix = "308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420";
const ecpointDecisions: AcceptableDecisions = { CompressedPublic: "accept" };

test("Wycheproof ecdh_secp256r1_ecpoint_test.json (WebCrypto)", async (t: TestContext) => {
  const fileName = "ecdh_secp256r1_ecpoint_test.json";
  const file = loadWycheproof(fileName);
  const tally = new Tally(fileName, ecpointDecisions);
  for (const group of file.testGroups) {
    for (const v of group.tests) {
      const scalar = BigInt(`0x${String(v["private"])}`).toString(16).padStart(64, "0");
      const privateKey = await subtle().importKey("pkcs8", new Uint8Array(hex(pkcs8P256Prefix + scalar)), { name: "ECDH", namedCurve: "P-256" }, false, ["deriveBits"]);
      tally.record(v, await outcomeOf(() => ecdhP256(privateKey, hex(v["public"])), ["ERR_CRYPTO_INVALID_INPUT"]), hex(v["shared"]));
    }
  }
  finish(t, tally, file);
});
