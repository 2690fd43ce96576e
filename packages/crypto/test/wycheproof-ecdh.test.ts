// Wycheproof ECDH P-256 vectors in all three peer-key formats: DER SubjectPublicKeyInfo (ecdhP256Spki),
// bare SEC1 point (ecdhP256) and JWK (p256PointFromJwk + ecdhP256). Decisions on `acceptable` vectors are
// documented in test/vectors/wycheproof/README.md and enforced here.
import { createPrivateKey } from "node:crypto";
import type { JsonWebKey, KeyObject } from "node:crypto";
import { test } from "node:test";
import { decodeP256Point, ecdhP256, ecdhP256Spki, p256PointFromJwk, p256PointFromSpki } from "../src/index.js";
import { finish, hex, loadWycheproof, outcomeOf, Tally } from "./support/wycheproof.js";
import type { AcceptableDecisions, WycheproofTest } from "./support/wycheproof.js";

const rejectCodes = ["ERR_CRYPTO_INVALID_INPUT"] as const;

/** PKCS#8 (RFC 5208) / RFC 5915 ECPrivateKey prefix for a P-256 scalar without the optional public key. */
const pkcs8P256Prefix = "308141020100301306072a8648ce3d020106082a8648ce3d030107042730250201010420";

/** Wycheproof gives the private scalar as a signed big-endian hex integer (sometimes with a 00 sign byte). */
function privateKeyFromHex(value: unknown): KeyObject {
  const scalar = BigInt(`0x${String(value)}`).toString(16).padStart(64, "0");
  if (scalar.length !== 64) throw new Error(`private scalar too long: ${String(value)}`);
  return createPrivateKey({ key: Buffer.from(pkcs8P256Prefix + scalar, "hex"), format: "der", type: "pkcs8" });
}

const decisionsAsn: AcceptableDecisions = {
  // SEC 1 §2.3.3 compressed points are standard and fully validated (decompression finds y or fails).
  CompressedPublic: "accept",
  // BER instead of DER in the SubjectPublicKeyInfo: we match the unique DER encoding byte for byte.
  InvalidAsn: "reject",
  // Explicit curve parameters (specifiedCurve): RFC 5480 §2.1.1 says namedCurve MUST be used; we never
  // parse parameters, so even ones that happen not to matter are refused.
  UnusedParam: "reject",
};
const decisionsPoint: AcceptableDecisions = { CompressedPublic: "accept" };

function tallyFile(
  fileName: string,
  decisions: AcceptableDecisions,
  groupType: string,
  run: (vector: WycheproofTest) => Uint8Array,
) {
  test(`Wycheproof ${fileName}`, (t) => {
    const file = loadWycheproof(fileName);
    const tally = new Tally(fileName, decisions);
    for (const group of file.testGroups) {
      if (group.type !== groupType) throw new Error(`${fileName}: unexpected group type ${group.type}`);
      for (const vector of group.tests) {
        tally.record(vector, outcomeOf(() => run(vector), rejectCodes), hex(vector["shared"]));
      }
    }
    finish(t, tally, file);
  });
}

tallyFile("ecdh_secp256r1_test.json", decisionsAsn, "EcdhTest", (v) =>
  ecdhP256Spki(privateKeyFromHex(v["private"]), hex(v["public"])),
);

tallyFile("ecdh_secp256r1_ecpoint_test.json", decisionsPoint, "EcdhEcpointTest", (v) =>
  ecdhP256(privateKeyFromHex(v["private"]), hex(v["public"])),
);

tallyFile("ecdh_secp256r1_webcrypto_test.json", {}, "EcdhWebcryptoTest", (v) => {
  // The private JWK is ours (trusted), imported with node's own JWK reader; the public one is the peer's.
  const privateKey = createPrivateKey({ key: v["private"] as JsonWebKey, format: "jwk" });
  return ecdhP256(privateKey, p256PointFromJwk(v["public"]));
});

// Node/OpenSSL also checks points when importing a public key, so the tests above would pass even if our own
// validation were missing. These prove that our decoding alone (before node sees the key) accepts every
// valid and accepted-acceptable peer key and rejects every invalid one.
const ownDecoders: ReadonlyArray<[string, AcceptableDecisions, (v: WycheproofTest) => Uint8Array]> = [
  ["ecdh_secp256r1_test.json", decisionsAsn, (v) => decodeP256Point(p256PointFromSpki(hex(v["public"]))).x],
  ["ecdh_secp256r1_ecpoint_test.json", decisionsPoint, (v) => decodeP256Point(hex(v["public"])).x],
  ["ecdh_secp256r1_webcrypto_test.json", {}, (v) => p256PointFromJwk(v["public"])],
];

for (const [fileName, decisions, decode] of ownDecoders) {
  test(`Wycheproof ${fileName}: peer keys decided by our own decoding, not by node`, (t) => {
    const file = loadWycheproof(fileName);
    const tally = new Tally(`${fileName} (decoding only)`, decisions);
    for (const group of file.testGroups) {
      for (const vector of group.tests) tally.record(vector, outcomeOf(() => decode(vector), rejectCodes));
    }
    finish(t, tally, file);
  });
}
