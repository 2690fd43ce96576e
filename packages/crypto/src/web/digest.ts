import { assertBytes } from "../internal/bytes.js";
import { buffer, subtle } from "./subtle.js";

/** SHA-256 (FIPS 180-4). */
export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  assertBytes(data, "data");
  return new Uint8Array(await subtle().digest("SHA-256", buffer(data)));
}

/** HMAC-SHA-256 (RFC 2104) under a raw key. */
export async function hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
  assertBytes(key, "key");
  assertBytes(data, "data");
  const hmacKey = await subtle().importKey("raw", buffer(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return new Uint8Array(await subtle().sign("HMAC", hmacKey, buffer(data)));
}
