import type { Kysely } from "kysely";
import type { WebhookSecretSealer } from "./secret-sealer.js";
import { sendWebhook, type Resolver, type SendResult } from "./sender.js";
import { signatureHeader, webhookHeaders } from "./signature.js";
import { WebhookStore } from "./store.js";
import { checkWebhookUrl, type TargetPolicy } from "./target-policy.js";

/**
 * Synchronous calls from the platform to a merchant (the purchase validation callback), signed
 * and sent exactly like its webhooks: the same secret(s), Standard Webhooks headers, the same
 * target policy with send-time resolve-and-check, caps and timeout. Only the answer differs: the
 * caller reads it instead of the worker retrying.
 */
export class MerchantCallbacks {
  private readonly store: WebhookStore;

  constructor(private readonly deps: { db: Kysely<any>; sealer: WebhookSecretSealer; policy: TargetPolicy; clock: () => number; responseBytesMax: number; resolve?: Resolver }) {
    this.store = new WebhookStore(deps.db);
  }

  urlAllowed(url: string): boolean {
    return checkWebhookUrl(url, this.deps.policy).ok;
  }

  /** Signed headers for a merchant-bound request; undefined when the merchant has no webhook secret yet. */
  async headersFor(merchantId: string, messageId: string, body: string): Promise<Record<string, string> | undefined> {
    const endpoint = await this.store.endpoint(merchantId);
    if (endpoint === undefined) return undefined;
    const now = this.deps.clock();
    const keys = [this.deps.sealer.open(merchantId, endpoint.sealedSecret)];
    if (endpoint.sealedPreviousSecret !== null && endpoint.previousSecretExpiresAt!.getTime() > now) keys.push(this.deps.sealer.open(merchantId, endpoint.sealedPreviousSecret));
    const timestamp = Math.floor(now / 1000);
    return { [webhookHeaders.id]: messageId, [webhookHeaders.timestamp]: String(timestamp), [webhookHeaders.signature]: signatureHeader(keys, messageId, timestamp, body) };
  }

  post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
    return sendWebhook({
      url, body, timeoutMs, policy: this.deps.policy, responseBytesMax: this.deps.responseBytesMax,
      headers: { ...headers, "content-type": "application/json", "user-agent": "Obol-Validation/1" }, ...(this.deps.resolve ? { resolve: this.deps.resolve } : {}),
    });
  }
}
