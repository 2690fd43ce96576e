// Wycheproof RSA-OAEP 2048-bit vectors (SHA-1/MGF1-SHA-1 = xmlenc#rsa-oaep-mgf1p, SHA-256/MGF1-SHA-256) against
// rsaOaepDecrypt, plus an rsaOaepEncrypt round trip of every valid message with its label.
import { createPrivateKey, createPublicKey } from "node:crypto";
import { test } from "node:test";
import { rsaOaepDecrypt, rsaOaepEncrypt } from "../src/index.js";
import type { RsaOaepHash } from "../src/index.js";
import { finish, hex, loadWycheproof, outcomeOf, Tally, toHex } from "./support/wycheproof.js";

const hashes: Readonly<Record<string, RsaOaepHash>> = { "SHA-1": "sha1", "SHA-256": "sha256" };

for (const fileName of ["rsa_oaep_2048_sha1_mgf1sha1_test.json", "rsa_oaep_2048_sha256_mgf1sha256_test.json"]) {
  test(`Wycheproof ${fileName}`, (t) => {
    const file = loadWycheproof(fileName);
    const tally = new Tally(fileName);
    for (const group of file.testGroups) {
      const hash = hashes[String(group["sha"])];
      const inPolicy =
        group.type === "RsaesOaepDecrypt" &&
        hash !== undefined &&
        group["mgf"] === "MGF1" &&
        group["mgfSha"] === group["sha"] &&
        Number(group["keySize"]) >= 2048;
      if (!inPolicy || hash === undefined) {
        for (const v of group.tests) tally.record(v, { kind: "outOfPolicy", code: "test-side: parameters" });
        continue;
      }
      const privateKey = createPrivateKey({ key: Buffer.from(hex(group["privateKeyPkcs8"])), format: "der", type: "pkcs8" });
      const publicKey = createPublicKey(privateKey);
      for (const v of group.tests) {
        const label = hex(v["label"]);
        const msg = hex(v["msg"]);
        if (v.result === "valid") {
          const round = outcomeOf(() => rsaOaepDecrypt(privateKey, rsaOaepEncrypt(publicKey, msg, hash, label), hash, label), []);
          if (round.kind !== "accepted" || round.output === undefined || toHex(round.output) !== toHex(msg)) {
            tally.record(v, { kind: "crashed", message: `encrypt/decrypt round trip failed (${round.kind})` });
            continue;
          }
        }
        const outcome = outcomeOf(() => rsaOaepDecrypt(privateKey, hex(v["ct"]), hash, label), ["ERR_CRYPTO_DECRYPT_FAILED"]);
        tally.record(v, outcome, msg);
      }
    }
    finish(t, tally, file);
  });
}
