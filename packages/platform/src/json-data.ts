import { canonicalJson } from "./canonical-json.js";

/** How deep event and notification data may nest. */
export const jsonDataDepthMax = 8;

/**
 * Canonical JSON of data that other modules hand to the outbox (webhook events, notifications).
 * Only plain JSON values pass: null, booleans, strings, safe integers, bigint (written as a
 * decimal string, which is how amounts travel), arrays and plain objects. A fractional number, a
 * Date, undefined or a class instance is a programming error in the caller and throws, so no
 * amount can ever leave as a binary float.
 */
export function canonicalJsonData(data: Record<string, unknown>, bytesMax: number): string {
  assertPlainObject(data, "data");
  check(data, "data", 0);
  const text = canonicalJson(data);
  if (Buffer.byteLength(text, "utf8") > bytesMax) throw new RangeError(`data is larger than ${bytesMax} bytes`);
  return text;
}

function check(value: unknown, path: string, depth: number): void {
  if (depth > jsonDataDepthMax) throw new RangeError(`${path}: nested deeper than ${jsonDataDepthMax}`);
  if (value === null || typeof value === "boolean" || typeof value === "string" || typeof value === "bigint") return;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new TypeError(`${path}: numbers must be safe integers (send amounts as bigint or string)`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => check(item, `${path}[${index}]`, depth + 1));
    return;
  }
  assertPlainObject(value, path);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) check(item, `${path}.${key}`, depth + 1);
}

function assertPlainObject(value: unknown, path: string): void {
  const prototype = typeof value === "object" && value !== null ? Object.getPrototypeOf(value) : undefined;
  if (prototype !== Object.prototype && prototype !== null) throw new TypeError(`${path}: must be a plain JSON object, array or primitive`);
}
