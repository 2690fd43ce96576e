import assert from "node:assert/strict";
import { hkdfSync } from "node:crypto";
import { describe, it } from "node:test";
import { concatBytes, lp } from "../src/bytes.js";
import { firstPaymentKey, ratchet, trafficKeys } from "../src/crypto/derivations.js";
import { encodePoint, mulBase, mulSecret, xCoordinate } from "../src/crypto/group.js";
import { hkdfExpand, hkdfExtract } from "../src/crypto/primitives.js";
import { hexBytes, hexScalar, katParties, loadKat } from "./support/kat.js";

describe("known-answer values of svs-protocol.md §6.1 (test/vectors/svs-protocol-spec/kat-6.1.json)", () => {
  const kat = loadKat();
  const { xN, qN, u, p, r } = katParties(kat);
  const ex = kat.expected;

  it("x_N, Q_N and the registration values of U and P reproduce byte for byte", () => {
    assert.equal(hexScalar(xN), ex.x_N);
    assert.equal(hexBytes(encodePoint(qN)), ex.Q_N);
    for (const [party, tag] of [[u, "U"], [p, "P"]] as const) {
      assert.equal(hexScalar(party.k), ex[`k_${tag}`]);
      assert.equal(hexBytes(encodePoint(party.v)), ex[`V_${tag}`]);
      assert.equal(hexScalar(party.e), ex[`e_${tag}`]);
      assert.equal(hexScalar(party.s), ex[`s_${tag}`]);
      assert.equal(hexBytes(encodePoint(party.y)), ex[`Y_${tag}`]);
    }
  });

  it("the static DH x(s_U·Q_N) = x(x_N·Y_U) reproduces", () => {
    assert.equal(hexBytes(xCoordinate(mulSecret(qN, u.s))), ex["x(s_U·Q_N)"]);
    assert.equal(hexBytes(xCoordinate(mulSecret(u.y, xN))), ex["x(s_U·Q_N)"]);
  });

  it("r, R, x(r·Y_P) = x(s_P·R), K0..K3 and the epoch-0 traffic keys reproduce", () => {
    const rPoint = mulBase(r);
    const rBytes = encodePoint(rPoint);
    assert.equal(hexScalar(r), ex.r);
    assert.equal(hexBytes(rBytes), ex.R);
    const zx = xCoordinate(mulSecret(p.y, r));
    assert.equal(hexBytes(zx), ex["x(r·Y_P)"]);
    assert.equal(hexBytes(xCoordinate(mulSecret(rPoint, p.s))), ex["x(r·Y_P)"]);
    const k0 = firstPaymentKey(zx, rBytes, kat.inputs.ID_P, kat.inputs.ID_N, encodePoint(p.y));
    assert.equal(hexBytes(k0), ex.K0);
    let k = k0;
    for (const name of ["K1", "K2", "K3"]) {
      k = ratchet(k);
      assert.equal(hexBytes(k), ex[name]);
    }
    const keys = trafficKeys(k0);
    assert.equal(hexBytes(keys.u2p), ex["k_u2p^0"]);
    assert.equal(hexBytes(keys.p2u), ex["k_p2u^0"]);
  });

  it("Extract + single-block Expand equal node:crypto's HKDF (RFC 5869) for the K0 inputs", () => {
    const salt = Buffer.from(ex.R as string, "hex");
    const ikm = Buffer.from(ex["x(r·Y_P)"] as string, "hex");
    const info = concatBytes(lp("SVS1/pay/K0"), lp(kat.inputs.ID_P), lp(kat.inputs.ID_N), lp(Buffer.from(ex.Y_P as string, "hex")));
    const viaNode = Buffer.from(hkdfSync("sha256", ikm, salt, info, 32)).toString("hex");
    assert.equal(hexBytes(hkdfExpand(hkdfExtract(salt, ikm), info)), viaNode);
    assert.equal(viaNode, ex.K0);
  });
});
