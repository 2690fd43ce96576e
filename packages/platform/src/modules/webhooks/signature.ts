import { createHmac } from "node:crypto";

/**
 * Standard Webhooks 1.0.0, symmetric scheme ("Signature scheme" and "Webhook headers" sections of
 * the spec): HMAC-SHA256 over `{webhook-id}.{webhook-timestamp}.{body}`, sent as `v1,<base64>`;
 * several signatures are space-separated, which is how a rotated secret keeps working during its
 * grace period. Secrets are random, 24 to 64 bytes, shown to merchants as `whsec_<base64>`.
 */
export const secretPrefix = "whsec_";
/** What the platform generates: 256 bits. */
export const secretBytes = 32;
/** The spec's bounds for a symmetric signing secret. */
export const secretBytesMin = 24;
export const secretBytesMax = 64;
export const signatureVersion = "v1";

export const webhookHeaders = { id: "webhook-id", timestamp: "webhook-timestamp", signature: "webhook-signature" } as const;

/** The text merchants copy into their verifier. */
export function formatSecret(key: Uint8Array): string {
  if (key.byteLength < secretBytesMin || key.byteLength > secretBytesMax) throw new RangeError(`a webhook secret has ${secretBytesMin} to ${secretBytesMax} bytes`);
  return secretPrefix + Buffer.from(key).toString("base64");
}

/** The HMAC key of a `whsec_` secret, or undefined when the text is not one. */
export function parseSecret(text: string): Uint8Array | undefined {
  if (!text.startsWith(secretPrefix)) return undefined;
  const encoded = text.slice(secretPrefix.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) return undefined;
  const key = Buffer.from(encoded, "base64");
  return key.byteLength >= secretBytesMin && key.byteLength <= secretBytesMax ? new Uint8Array(key) : undefined;
}

/**
 * The spec requires that neither the id nor the timestamp can contain a full stop, or one signed
 * string could be split two ways. Ours are `evt_<hex>` and decimal seconds.
 */
export function signedContent(id: string, timestampSeconds: number, body: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new TypeError("webhook id must be [A-Za-z0-9_-]+");
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new TypeError("webhook timestamp must be whole seconds");
  return `${id}.${timestampSeconds}.${body}`;
}

/** The `webhook-signature` header value: one `v1,<base64 HMAC>` per key, current key first. */
export function signatureHeader(keys: readonly Uint8Array[], id: string, timestampSeconds: number, body: string): string {
  if (keys.length === 0) throw new TypeError("at least one signing key");
  const content = signedContent(id, timestampSeconds, body);
  return keys.map((key) => `${signatureVersion},${createHmac("sha256", key).update(content, "utf8").digest("base64")}`).join(" ");
}
