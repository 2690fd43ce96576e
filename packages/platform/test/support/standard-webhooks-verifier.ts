/**
 * A receiver's check of a Standard Webhooks 1.0.0 request, written in the test from the
 * specification alone (sections "Signature scheme", "Webhook headers", "Verifying signatures"),
 * so that the platform's signer is judged by an independent reading of the spec:
 * - the key is the base64 text after `whsec_`;
 * - the signed content is `{webhook-id}.{webhook-timestamp}.{raw body}`, HMAC-SHA256;
 * - `webhook-signature` is a space-delimited list of `v1,<base64>`; one match is enough;
 * - comparisons are constant-time; the timestamp must be within the tolerance of now.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export type Verdict = { ok: true } | { ok: false; reason: string };

export function verifyStandardWebhook(input: {
  secret: string; headers: Record<string, string | string[] | undefined>; body: string; nowMs: number; toleranceSeconds?: number;
}): Verdict {
  if (!input.secret.startsWith("whsec_")) return { ok: false, reason: "secret without whsec_ prefix" };
  const key = Buffer.from(input.secret.slice("whsec_".length), "base64");
  const header = (name: string) => {
    const value = input.headers[name];
    return typeof value === "string" ? value : undefined;
  };
  const id = header("webhook-id");
  const timestamp = header("webhook-timestamp");
  const signatures = header("webhook-signature");
  if (id === undefined || timestamp === undefined || signatures === undefined) return { ok: false, reason: "missing header" };
  if (!/^[0-9]+$/.test(timestamp)) return { ok: false, reason: "timestamp is not integer seconds" };
  if (Math.abs(Math.floor(input.nowMs / 1000) - Number(timestamp)) > (input.toleranceSeconds ?? 300)) return { ok: false, reason: "timestamp outside tolerance" };
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${input.body}`, "utf8").digest();
  for (const entry of signatures.split(" ")) {
    const [version, encoded] = entry.split(",", 2);
    if (version !== "v1" || encoded === undefined) continue;
    const given = Buffer.from(encoded, "base64");
    if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
  }
  return { ok: false, reason: "no signature matches" };
}
