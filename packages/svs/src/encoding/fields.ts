/**
 * The wire format of SVS1-M (svs-protocol.md §2.0): every message is `ver=0x01 ‖ type ‖ LP(field)…` and every
 * structure inside a message (τ, payment bodies, deposit batches) is a sequence of LP fields too. Numbers are
 * fixed-size big-endian fields (I2OSP): times uint64 ms, amounts uint64, j uint32.
 *
 * FieldReader is the only parser: each read states the exact size or limits of its field, and `end()` refuses
 * trailing bytes. Every failure throws SvsEncodingError with a stable code.
 */
import { concatBytes, i2osp, lp, os2ip, utf8 } from "../bytes.js";
import { SvsEncodingError } from "../errors.js";
import { decodePoint } from "../crypto/group.js";
import type { GroupPoint } from "../crypto/group.js";
import { amountMax, fieldBytesMax, idBytesMax, idBytesMin, messageBytesMax, pointBytes, svsVersion, timeMsMax } from "../limits.js";

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class FieldReader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** The next LP field, with its length checked against [min, max]. */
  field(name: string, min: number, max: number): Uint8Array {
    if (this.offset + 2 > this.bytes.byteLength) {
      throw new SvsEncodingError("ERR_SVS_ENCODING_TRUNCATED", `${name}: missing`);
    }
    const length = ((this.bytes[this.offset] as number) << 8) | (this.bytes[this.offset + 1] as number);
    const start = this.offset + 2;
    if (start + length > this.bytes.byteLength) {
      throw new SvsEncodingError("ERR_SVS_ENCODING_TRUNCATED", `${name}: length ${length} runs past the end`);
    }
    if (length < min || length > max) {
      throw new SvsEncodingError("ERR_SVS_ENCODING_LENGTH", `${name}: ${length} bytes, expected ${min}..${max}`);
    }
    this.offset = start + length;
    return Uint8Array.from(this.bytes.subarray(start, this.offset));
  }

  fixed(name: string, size: number): Uint8Array {
    return this.field(name, size, size);
  }

  /** An identity: 1-255 bytes of valid UTF-8 (§2.0). */
  id(name: string): string {
    const bytes = this.field(name, idBytesMin, idBytesMax);
    try {
      return fatalUtf8.decode(bytes);
    } catch {
      throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", `${name}: not UTF-8`);
    }
  }

  /** A validated point (§2.0): decodes, on the curve, not the identity. */
  point(name: string): { point: GroupPoint; bytes: Uint8Array } {
    const bytes = this.fixed(name, pointBytes);
    const point = decodePoint(bytes);
    if (point === null) throw new SvsEncodingError("ERR_SVS_ENCODING_POINT", `${name}: not a valid P-256 point`);
    return { point, bytes };
  }

  u8(name: string): number {
    return this.fixed(name, 1)[0] as number;
  }

  u32(name: string): number {
    return Number(os2ip(this.fixed(name, 4)));
  }

  u64(name: string): bigint {
    return os2ip(this.fixed(name, 8));
  }

  /** A time: uint64 ms since the epoch, at most 2^53 - 1 so that it is exact as a JS number. */
  timeMs(name: string): number {
    const value = this.u64(name);
    if (value > BigInt(timeMsMax)) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", `${name}: time out of range`);
    return Number(value);
  }

  /** An amount in minor units: uint64, at least `min`. */
  amount(name: string, min: bigint): bigint {
    const value = this.u64(name);
    if (value < min) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", `${name}: amount below ${min}`);
    return value;
  }

  /** A sequence of LP fields filling one field: a list of at most `max` items. */
  list(name: string, max: number): Uint8Array[] {
    const inner = new FieldReader(this.field(name, 0, fieldBytesMax));
    const items: Uint8Array[] = [];
    while (!inner.atEnd()) {
      if (items.length === max) throw new SvsEncodingError("ERR_SVS_ENCODING_LENGTH", `${name}: more than ${max} items`);
      items.push(inner.field(`${name}[${items.length}]`, 0, fieldBytesMax));
    }
    return items;
  }

  atEnd(): boolean {
    return this.offset === this.bytes.byteLength;
  }

  end(): void {
    if (!this.atEnd()) {
      throw new SvsEncodingError("ERR_SVS_ENCODING_TRAILING", `${this.bytes.byteLength - this.offset} trailing bytes`);
    }
  }
}

/** Reads the header `ver ‖ type` of a message and returns a reader over its fields. */
export function openMessage(bytes: Uint8Array, expectedType: number, name: string): FieldReader {
  checkMessageSize(bytes);
  if (bytes.byteLength < 2) throw new SvsEncodingError("ERR_SVS_ENCODING_TRUNCATED", `${name}: no header`);
  if (bytes[0] !== svsVersion) throw new SvsEncodingError("ERR_SVS_ENCODING_VERSION", `${name}: version ${bytes[0]}`);
  if (bytes[1] !== expectedType) throw new SvsEncodingError("ERR_SVS_ENCODING_TYPE", `${name}: type ${bytes[1]}`);
  return new FieldReader(bytes.subarray(2));
}

export function checkMessageSize(bytes: Uint8Array): void {
  if (!(bytes instanceof Uint8Array)) throw new SvsEncodingError("ERR_SVS_ENCODING_VALUE", "not bytes");
  if (bytes.byteLength > messageBytesMax) {
    throw new SvsEncodingError("ERR_SVS_ENCODING_TOO_LARGE", `${bytes.byteLength} bytes > ${messageBytesMax}`);
  }
}

export type Field = Uint8Array | string;

/** `ver ‖ type ‖ LP(field)…` */
export function writeMessage(type: number, fields: readonly Field[]): Uint8Array {
  return concatBytes(Uint8Array.of(svsVersion, type), writeFields(fields));
}

/** LP(field)… with no header, for structures inside messages. */
export function writeFields(fields: readonly Field[]): Uint8Array {
  return concatBytes(...fields.map((field) => lpChecked(field)));
}

/** One field that is itself a list: LP(LP(item)…). */
export function writeList(items: readonly Uint8Array[]): Uint8Array {
  return writeFields(items);
}

function lpChecked(field: Field): Uint8Array {
  const bytes = typeof field === "string" ? utf8(field) : field;
  if (bytes.byteLength > fieldBytesMax) throw new RangeError(`field of ${bytes.byteLength} bytes exceeds ${fieldBytesMax}`);
  return lp(bytes);
}

export function u8(value: number): Uint8Array {
  return Uint8Array.of(value);
}

export function u32(value: number): Uint8Array {
  return i2osp(value, 4);
}

export function u64(value: bigint | number): Uint8Array {
  if (typeof value === "bigint" && value > amountMax) throw new RangeError("uint64 overflow");
  return i2osp(value, 8);
}
