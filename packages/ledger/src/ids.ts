/**
 * 128-bit identifiers, written as canonical lowercase UUID text (RFC 9562 §4 layout, any
 * version). Clients choose transfer ids themselves so that a retry carries the same id: that is
 * what makes a transfer idempotent. The all-zero id is reserved and always rejected.
 */
export type Id = string;

const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const zeroId = "00000000-0000-0000-0000-000000000000";

export function isValidId(value: string): boolean {
  return idPattern.test(value) && value !== zeroId;
}

/** Formats 16 bytes as an id. */
export function idFromBytes(bytes: Uint8Array): Id {
  if (bytes.length !== 16) throw new RangeError("an id is exactly 16 bytes");
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
