/** Byte helpers for the encodings of svs-protocol.md §2.0. Pure, no IO. */
import { timingSafeEqualBytes } from "@obol/crypto";

const textEncoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return textEncoder.encode(text);
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}

/** I2OSP(v, k): big-endian on k bytes (RFC 8017 §4.1). Asserts that v fits: callers check ranges first. */
export function i2osp(value: bigint | number, length: number): Uint8Array {
  let v = BigInt(value);
  if (v < 0n || v >= 1n << BigInt(8 * length)) throw new RangeError(`I2OSP: ${v} does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** OS2IP: big-endian bytes to a non-negative integer (RFC 8017 §4.2). */
export function os2ip(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const byte of bytes) v = (v << 8n) | BigInt(byte);
  return v;
}

/** LP(b) = I2OSP(len(b), 2) ‖ b (§2.0). Strings are UTF-8. */
export function lp(field: Uint8Array | string): Uint8Array {
  const bytes = typeof field === "string" ? utf8(field) : field;
  return concatBytes(i2osp(bytes.byteLength, 2), bytes);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new TypeError("not lowercase hex");
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Constant-time equality for MACs, tags and secrets (§2.0: all MAC and tag comparisons are constant-time). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && timingSafeEqualBytes(a, b);
}

/** Key of a record map for an identity: hex of its UTF-8, so no ID can collide with an Object property. */
export function idKey(id: string): string {
  return toHex(utf8(id));
}
