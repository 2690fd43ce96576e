import { hkdfSync } from "node:crypto";
import { aesGcmDecrypt, aesGcmEncrypt, randomBytes } from "@obol/crypto";
import { stateFromJson, stateToJson } from "@obol/svs";

const ivBytes = 12;

/**
 * Encryption at rest of the state entries that hold secrets (a token's K_UN, a deposit's D4 key): the
 * @obol/svs JSON of the entry under AES-256-GCM, the key derived from x_N with HKDF-SHA256 (RFC 5869), the
 * table and row key as associated data so that a row cannot be moved to another key. Stored as IV ‖ C ‖ tag.
 */
export class EntrySealer {
  readonly #key: Uint8Array;

  constructor(xN: Uint8Array) {
    this.#key = new Uint8Array(hkdfSync("sha256", xN, new Uint8Array(0), "obol/ecash/state-at-rest/v1", 32));
  }

  seal(table: string, key: string, entry: unknown): Buffer {
    const iv = randomBytes(ivBytes);
    const sealed = aesGcmEncrypt(this.#key, iv, Buffer.from(stateToJson(entry), "utf8"), associatedData(table, key));
    return Buffer.concat([iv, sealed]);
  }

  /** Throws if the row was altered or belongs to another key: a broken invariant, not a business outcome. */
  open<T>(table: string, key: string, sealed: Uint8Array): T {
    const plain = aesGcmDecrypt(this.#key, sealed.subarray(0, ivBytes), sealed.subarray(ivBytes), associatedData(table, key));
    return stateFromJson<T>(Buffer.from(plain).toString("utf8"));
  }
}

function associatedData(table: string, key: string): Uint8Array {
  return Buffer.from(`${table}/${key}`, "utf8");
}
