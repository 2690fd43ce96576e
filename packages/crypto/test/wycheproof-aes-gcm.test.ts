// Wycheproof AES-GCM vectors against aesGcmEncrypt/aesGcmDecrypt. Groups outside the allow-list (AES-192,
// IVs other than 96 bits, tags other than 128 bits) are counted as out-of-policy, and the API must refuse
// them with ERR_CRYPTO_ALGORITHM (encryption and decryption alike): they are never silently skipped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { aesGcmDecrypt, aesGcmEncrypt, aesGcmIvBytes, aesGcmKeySizesBytes, aesGcmTagBytes } from "../src/index.js";
import { finish, hex, loadWycheproof, outcomeOf, Tally, toHex } from "./support/wycheproof.js";

const fileName = "aes_gcm_test.json";

test(`Wycheproof ${fileName}`, (t) => {
  const file = loadWycheproof(fileName);
  const tally = new Tally(fileName);
  const outOfPolicyGroups = new Map<string, number>();
  for (const group of file.testGroups) {
    if (group.type !== "AeadTest") throw new Error(`unexpected group type ${group.type}`);
    const keySize = Number(group["keySize"]);
    const ivSize = Number(group["ivSize"]);
    const tagSize = Number(group["tagSize"]);
    const inPolicy =
      aesGcmKeySizesBytes.includes(keySize / 8) && ivSize === aesGcmIvBytes * 8 && tagSize === aesGcmTagBytes * 8;
    if (!inPolicy) {
      const reasons = [
        ...(aesGcmKeySizesBytes.includes(keySize / 8) ? [] : [`${keySize}-bit key`]),
        ...(ivSize === aesGcmIvBytes * 8 ? [] : ["IV not 96 bits"]),
        ...(tagSize === aesGcmTagBytes * 8 ? [] : ["tag not 128 bits"]),
      ].join(" + ");
      for (const v of group.tests) {
        const label = `${reasons}; ${v.result}`;
        outOfPolicyGroups.set(label, (outOfPolicyGroups.get(label) ?? 0) + 1);
      }
    }
    for (const v of group.tests) {
      const key = hex(v["key"]);
      const iv = hex(v["iv"]);
      const aad = hex(v["aad"]);
      const msg = hex(v["msg"]);
      const sealed = hex(`${String(v["ct"])}${String(v["tag"])}`);
      if (!inPolicy) {
        const enc = outcomeOf(() => aesGcmEncrypt(key, iv, msg, aad), [], ["ERR_CRYPTO_ALGORITHM"]);
        const dec = outcomeOf(() => aesGcmDecrypt(key, iv, sealed, aad), [], ["ERR_CRYPTO_ALGORITHM"]);
        // Only the tag size cannot be checked before decryption: a short tag then simply fails to verify.
        const decOk = dec.kind === "outOfPolicy" || (tagSize !== 128 && dec.kind === "rejected");
        if (enc.kind === "outOfPolicy" && decOk) tally.record(v, enc);
        else tally.record(v, { kind: "crashed", message: `out-of-policy parameters not refused: ${enc.kind}/${dec.kind}` });
        continue;
      }
      const dec = outcomeOf(() => aesGcmDecrypt(key, iv, sealed, aad), ["ERR_CRYPTO_DECRYPT_FAILED"]);
      if (v.result !== "invalid") {
        // Encryption must reproduce the vector exactly (same key, IV, AAD).
        const enc = outcomeOf(() => aesGcmEncrypt(key, iv, msg, aad), []);
        if (enc.kind !== "accepted" || enc.output === undefined || toHex(enc.output) !== toHex(sealed)) {
          tally.record(v, { kind: "crashed", message: `encryption did not reproduce ct||tag (${enc.kind})` });
          continue;
        }
      }
      tally.record(v, dec, msg);
    }
  }
  for (const [label, count] of [...outOfPolicyGroups].sort()) t.diagnostic(`  out-of-policy [${label}]: ${count}`);
  finish(t, tally, file);
  assert.ok(tally.validAccepted > 0 && tally.invalidRejected > 0, "the allow-list must leave vectors to test");
});
