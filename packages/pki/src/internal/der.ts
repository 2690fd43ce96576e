/**
 * A small strict DER reader and writer (X.690 §8, §10) for the few fields @obol/pki reads byte-exactly:
 * the raw issuer/subject Names and subjectPublicKey bits that OCSP CertIDs hash (RFC 6960 §4.1.1), the TBS
 * bytes that signatures cover, serial numbers. Hostile input only ever produces a DerError, never a
 * RangeError or an out-of-bounds read: every length is checked against the enclosing element.
 */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** One element: tag byte, where its header starts, where its contents start and end (exclusive). */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly contentStart: number;
  readonly end: number;
}

export const TAG_BOOLEAN = 0x01;
export const TAG_INTEGER = 0x02;
export const TAG_BIT_STRING = 0x03;
export const TAG_OCTET_STRING = 0x04;
export const TAG_NULL = 0x05;
export const TAG_OID = 0x06;
export const TAG_ENUMERATED = 0x0a;
export const TAG_SEQUENCE = 0x30;
export const TAG_SET = 0x31;
export const TAG_GENERALIZED_TIME = 0x18;

/** Context-specific tag [n], constructed (EXPLICIT) or primitive (IMPLICIT of a primitive type). */
export function contextTag(n: number, constructed: boolean): number {
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

/** Reads the element starting at `offset`, which must end at or before `limit`. Definite lengths only (DER). */
export function readTlv(bytes: Uint8Array, offset: number, limit: number = bytes.length): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated element header");
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not used here");
  let length = bytes[offset + 1]!;
  let contentStart = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0) throw new DerError("indefinite length is not DER");
    if (octets > 4) throw new DerError("element too long");
    if (contentStart + octets > limit) throw new DerError("truncated length");
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[contentStart + i]!;
    if (length < 0x80 || bytes[contentStart] === 0) throw new DerError("length not minimally encoded");
    contentStart += octets;
  }
  const end = contentStart + length;
  if (end > limit) throw new DerError("element runs past its container");
  return { tag, start: offset, contentStart, end };
}

/** The one element that must fill `bytes` exactly (no trailing data). */
export function readSingle(bytes: Uint8Array, expectedTag?: number): Tlv {
  const tlv = readTlv(bytes, 0);
  if (tlv.end !== bytes.length) throw new DerError("trailing bytes after the element");
  if (expectedTag !== undefined && tlv.tag !== expectedTag) throw new DerError(`expected tag 0x${expectedTag.toString(16)}`);
  return tlv;
}

/** The elements inside a constructed element, in order. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError("not a constructed element");
  const out: Tlv[] = [];
  let offset = parent.contentStart;
  while (offset < parent.end) {
    const child = readTlv(bytes, offset, parent.end);
    out.push(child);
    offset = child.end;
  }
  return out;
}

export function whole(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

export function contents(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.contentStart, tlv.end);
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (tlv === undefined || tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return tlv;
}

/** OBJECT IDENTIFIER contents → dotted decimal (X.690 §8.19). */
export function decodeOid(body: Uint8Array): string {
  if (body.length === 0 || body.length > 64) throw new DerError("bad OID length");
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i]!;
    if (value === 0 && byte === 0x80) throw new DerError("OID arc not minimally encoded");
    value = value * 128 + (byte & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError("OID arc too large");
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === body.length - 1) {
      throw new DerError("truncated OID");
    }
  }
  const first = arcs[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join(".");
}

/** BIT STRING contents → the bits, requiring 0 unused bits (keys, signatures and hashes are whole octets). */
export function bitStringOctets(body: Uint8Array): Uint8Array {
  if (body.length === 0 || body[0] !== 0) throw new DerError("BIT STRING with unused bits where octets were expected");
  return body.subarray(1);
}

// ---- writer ----

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

export function encodeTlv(tag: number, body: Uint8Array): Uint8Array {
  const length = encodeLength(body.length);
  const out = new Uint8Array(1 + length.length + body.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(body, 1 + length.length);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function encodeSequence(...items: Uint8Array[]): Uint8Array {
  return encodeTlv(TAG_SEQUENCE, concat(...items));
}

/** A non-negative INTEGER from big-endian magnitude bytes, minimally encoded (X.690 §8.3.2). */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  let body = magnitude.subarray(start);
  if (body.length === 0) body = Uint8Array.of(0);
  if (body[0]! & 0x80) body = concat(Uint8Array.of(0), body);
  return encodeTlv(TAG_INTEGER, body);
}

export function encodeOctetString(body: Uint8Array): Uint8Array {
  return encodeTlv(TAG_OCTET_STRING, body);
}

export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map((s) => Number.parseInt(s, 10));
  const out: number[] = [];
  const push = (value: number): void => {
    const group: number[] = [value & 0x7f];
    for (let n = Math.floor(value / 128); n > 0; n = Math.floor(n / 128)) group.unshift(0x80 | (n & 0x7f));
    out.push(...group);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const arc of arcs.slice(2)) push(arc);
  return encodeTlv(TAG_OID, Uint8Array.from(out));
}

/** INTEGER contents (two's complement) as a lowercase hex magnitude, rejecting negative and non-minimal values. */
export function positiveIntegerHex(body: Uint8Array): string {
  if (body.length === 0) throw new DerError("empty INTEGER");
  if (body[0]! & 0x80) throw new DerError("negative INTEGER");
  if (body.length > 1 && body[0] === 0 && (body[1]! & 0x80) === 0) throw new DerError("INTEGER not minimally encoded");
  const magnitude = body.length > 1 && body[0] === 0 ? body.subarray(1) : body;
  return Buffer.from(magnitude).toString("hex");
}

export function encodeNull(): Uint8Array {
  return Uint8Array.of(TAG_NULL, 0);
}
