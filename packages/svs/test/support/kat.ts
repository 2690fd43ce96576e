/** Loads the §6.1 known-answer vectors and derives the KAT scalars and points through the package's own code. */
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { os2ip } from "../../src/bytes.js";
import { certificateChallenge, implicitPublicKey } from "../../src/crypto/derivations.js";
import { encodePoint, encodeScalar, groupOrder, modOrder, mulBase } from "../../src/crypto/group.js";

export interface KatFile {
  source: string;
  inputs: { scalarLabels: Record<string, string>; ID_N: string; ID_U: string; ID_P: string; notAfter: number };
  expected: Record<string, string>;
}

// dist/test/support → packages/svs/test/vectors (vectors are read from the source tree, not copied by tsc).
const vectorsDir = fileURLToPath(new URL("../../../test/vectors/", import.meta.url));

export function loadKat(): KatFile {
  return JSON.parse(readFileSync(`${vectorsDir}svs-protocol-spec/kat-6.1.json`, "utf8")) as KatFile;
}

export function katScalar(label: string): bigint {
  return os2ip(createHash("sha256").update(label).digest()) % groupOrder;
}

/** The KAT world: N's x_N, and U and P with the escrowed s_X = k_X + e_X·x_N the KAT uses (SVS1-NE gives the same equation). */
export function katParties(kat: KatFile) {
  const xN = katScalar(kat.inputs.scalarLabels.x_N as string);
  const qN = mulBase(xN);
  const party = (kLabel: string, id: string, role: "U" | "P") => {
    const k = katScalar(kLabel);
    const v = mulBase(k);
    const e = certificateChallenge(id, role, kat.inputs.notAfter, encodePoint(v), encodePoint(qN));
    const s = modOrder(k + e * xN);
    const y = implicitPublicKey(v, e, qN)!;
    return { k, v, e, s, y, id, role };
  };
  return {
    xN,
    qN,
    u: party(kat.inputs.scalarLabels.k_U as string, kat.inputs.ID_U, "U"),
    p: party(kat.inputs.scalarLabels.k_P as string, kat.inputs.ID_P, "P"),
    r: katScalar(kat.inputs.scalarLabels.r as string),
  };
}

export const hexScalar = (v: bigint): string => Buffer.from(encodeScalar(v)).toString("hex");
export const hexBytes = (b: Uint8Array): string => Buffer.from(b).toString("hex");
