/**
 * JSON for party state: bigint becomes {"$bigint": "<decimal>"} and Uint8Array {"$bytes": "<hex>"}; everything
 * else is plain JSON already. For adapters that store state (or one entry of it) as text or jsonb.
 */
import { fromHex, toHex } from "./bytes.js";

export function stateToJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === "bigint") return { $bigint: v.toString() };
    if (v instanceof Uint8Array) return { $bytes: toHex(v) };
    return v;
  });
}

export function stateFromJson<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const keys = Object.keys(v);
      const record = v as Record<string, unknown>;
      if (keys.length === 1 && typeof record.$bigint === "string" && /^-?\d+$/.test(record.$bigint)) return BigInt(record.$bigint);
      if (keys.length === 1 && typeof record.$bytes === "string") return fromHex(record.$bytes);
    }
    return v;
  }) as T;
}
