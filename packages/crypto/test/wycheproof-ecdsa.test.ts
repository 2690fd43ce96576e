// Wycheproof ECDSA P-256/SHA-256 vectors, DER (X.509/CMS) and IEEE P1363 r||s (XML-DSig, JWS) encodings,
// against verifyEcdsaP256. No `acceptable` vectors exist in these files.
import { createPublicKey } from "node:crypto";
import assert from "node:assert/strict";
import { test } from "node:test";
import { ecdsaP256DerToP1363, ecdsaP256P1363ToDer, isCryptoError, verifyEcdsaP256 } from "../src/index.js";
import type { EcdsaSignatureEncoding } from "../src/index.js";
import { finish, hex, loadWycheproof, outcomeOf, Tally, toHex } from "./support/wycheproof.js";

const files: ReadonlyArray<[string, EcdsaSignatureEncoding, string]> = [
  ["ecdsa_secp256r1_sha256_test.json", "der", "EcdsaVerify"],
  ["ecdsa_secp256r1_sha256_p1363_test.json", "p1363", "EcdsaP1363Verify"],
];

for (const [fileName, encoding, groupType] of files) {
  test(`Wycheproof ${fileName}`, (t) => {
    const file = loadWycheproof(fileName);
    const tally = new Tally(fileName);
    for (const group of file.testGroups) {
      if (group.type !== groupType || group["sha"] !== "SHA-256") {
        throw new Error(`${fileName}: unexpected group ${group.type} / ${String(group["sha"])}`);
      }
      const publicKey = createPublicKey({ key: Buffer.from(hex(group["publicKeyDer"])), format: "der", type: "spki" });
      for (const vector of group.tests) {
        const outcome = outcomeOf(() => verifyEcdsaP256(publicKey, hex(vector["msg"]), hex(vector["sig"]), encoding), []);
        tally.record(vector, outcome);
      }
    }
    finish(t, tally, file);
  });
}

// OpenSSL 3 itself rejects non-DER signatures (it re-encodes and compares), so the test above cannot tell
// whether our own parser is strict. This one checks the parser alone on the DER file: every valid signature
// parses and re-encodes to the identical bytes; every invalid one is either refused by the parser, or is
// canonical DER with r, s in [1, n-1] (so only the curve arithmetic can reject it).
test("Wycheproof ecdsa_secp256r1_sha256_test.json: our DER parser alone", (t) => {
  const fileName = "ecdsa_secp256r1_sha256_test.json";
  const file = loadWycheproof(fileName);
  let parsedCanonical = 0;
  let refusedByParser = 0;
  const failures: string[] = [];
  for (const group of file.testGroups) {
    for (const vector of group.tests) {
      const sig = hex(vector["sig"]);
      let reencoded: Uint8Array | null = null;
      try {
        reencoded = ecdsaP256P1363ToDer(ecdsaP256DerToP1363(sig));
      } catch (error) {
        assert.ok(isCryptoError(error, "ERR_CRYPTO_INVALID_INPUT"), String(error));
      }
      if (reencoded === null) {
        refusedByParser++;
        if (vector.result === "valid") failures.push(`tcId ${vector.tcId}: valid signature refused by the parser`);
      } else {
        parsedCanonical++;
        if (toHex(reencoded) !== toHex(sig)) failures.push(`tcId ${vector.tcId}: parser accepted non-canonical DER`);
      }
    }
  }
  t.diagnostic(`${fileName}: parser accepted ${parsedCanonical} canonical signatures, refused ${refusedByParser}`);
  assert.deepEqual(failures, []);
  assert.equal(parsedCanonical + refusedByParser, file.numberOfTests);
});
