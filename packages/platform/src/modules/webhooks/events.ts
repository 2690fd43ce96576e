import { randomBytes } from "node:crypto";
import { canonicalJson } from "../../canonical-json.js";
import { canonicalJsonData } from "../../json-data.js";

/**
 * The events merchants receive. Names are `object.event` ([a-z_] identifiers, full-stop
 * delimited, as the Standard Webhooks spec recommends under "Event types"); each type always
 * carries the same shape of `data`, documented in docs/architecture.md.
 */
export const webhookEventTypes = [
  "payment.succeeded", "payment.failed", "payment.expired", "payment.refunded",
  "escrow.held", "escrow.released", "escrow.disputed",
  "webhook.test",
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

export function isWebhookEventType(type: string): type is WebhookEventType {
  return (webhookEventTypes as readonly string[]).includes(type);
}

/** The spec recommends bodies under 20 KB; ours stay under this. */
export const eventBodyBytesMax = 16_384;
export const eventIdPattern = /^evt_[0-9a-f]{32}$/;

export function newEventId(): string {
  return `evt_${randomBytes(16).toString("hex")}`;
}

/**
 * The body sent on every attempt, byte for byte: `{ id, type, createdAt, data }` as canonical JSON
 * (keys sorted, no spaces, bigint amounts as decimal strings). Data that is not plain JSON throws.
 */
export function eventBody(event: { id: string; type: WebhookEventType; createdAt: Date; data: Record<string, unknown> }): string {
  const data = JSON.parse(canonicalJsonData(event.data, eventBodyBytesMax)) as unknown;
  const body = canonicalJson({ id: event.id, type: event.type, createdAt: event.createdAt.toISOString(), data });
  if (Buffer.byteLength(body, "utf8") > eventBodyBytesMax) throw new RangeError(`webhook event body is larger than ${eventBodyBytesMax} bytes`);
  return body;
}
