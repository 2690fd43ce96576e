import { messageBytesMax } from "@obol/svs";

/**
 * A list of SVS messages in one HTTP body (the D2s of GET /v1/ecash/confirmations): each message as LP(m) =
 * 2-byte big-endian length ‖ m (svs-protocol.md §2.0), one after the other. A frame holds 1 to 65,535 bytes
 * (what one LP field can say; a D2 is far smaller), and a body at most framesMax frames.
 */
export const framesMax = 64;
const frameBytesMax = Math.min(0xffff, messageBytesMax);

export function encodeFrames(items: readonly Uint8Array[]): Uint8Array {
  if (items.length > framesMax) throw new RangeError(`at most ${framesMax} frames`);
  const parts: Buffer[] = [];
  for (const item of items) {
    if (item.byteLength === 0 || item.byteLength > frameBytesMax) throw new RangeError("frame size out of range");
    const length = Buffer.alloc(2);
    length.writeUInt16BE(item.byteLength);
    parts.push(length, Buffer.from(item));
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** Refuses a frame count over framesMax, an empty or truncated frame and bytes after the last frame. */
export function parseFrames(bytes: Uint8Array): Uint8Array[] {
  const items: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (items.length === framesMax) throw new RangeError(`more than ${framesMax} frames`);
    if (offset + 2 > bytes.byteLength) throw new RangeError("truncated frame length");
    const length = (bytes[offset]! << 8) | bytes[offset + 1]!;
    if (length === 0) throw new RangeError("empty frame");
    if (offset + 2 + length > bytes.byteLength) throw new RangeError("truncated frame");
    items.push(bytes.slice(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  return items;
}
