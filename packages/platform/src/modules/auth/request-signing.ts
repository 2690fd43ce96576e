import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { verifyEcdsaP256 } from "@obol/crypto";
import { sql, type Kysely } from "kysely";
import { canonicalJson } from "../../canonical-json.js";

/**
 * Optional signing of merchant API requests, on top of the API key: a merchant registers a P-256
 * public key and signs each request with the private key, which the platform never holds, so a
 * signed request is the merchant's own (non-repudiation), and can be made mandatory.
 *
 *   obol-timestamp: Unix seconds
 *   obol-signature: base64 of the ECDSA-SHA256 signature (DER) over
 *     "obol-request-v1\n" + timestamp + "\n" + METHOD + "\n" + path?query + "\n" + hex(SHA-256(body))
 *
 * where body is the canonical JSON of the request body (keys sorted, no spaces; the empty string
 * when there is none), so the signature does not depend on how a client serialised its JSON.
 */
export const requestSignatureSkewMsMax = 300_000;
export const signatureHeader = "obol-signature";
export const timestampHeader = "obol-timestamp";
const signatureBase64CharsMax = 256;

export function requestSigningPayload(timestampSeconds: number, method: string, pathAndQuery: string, body: unknown): Uint8Array {
  const digest = createHash("sha256").update(body === undefined || body === null ? "" : canonicalJson(body)).digest("hex");
  return new TextEncoder().encode(`obol-request-v1\n${timestampSeconds}\n${method.toUpperCase()}\n${pathAndQuery}\n${digest}`);
}

export type SignatureCheck = "ok" | "ERR_REQUEST_SIGNATURE" | "ERR_REQUEST_SIGNATURE_REQUIRED";

export class RequestSigning {
  private readonly keys = new Map<string, { key: KeyObject; required: boolean } | null>();

  constructor(private readonly db: Kysely<any>, private readonly clock: () => number) {}

  /** Registers (or replaces) the merchant's key; undefined when it is not an EC P-256 public key. */
  async setKey(merchantId: string, publicKeyPem: string, required: boolean): Promise<{ required: boolean } | undefined> {
    let key: KeyObject;
    try {
      key = createPublicKey(publicKeyPem);
    } catch {
      return undefined;
    }
    if (key.asymmetricKeyType !== "ec" || key.asymmetricKeyDetails?.namedCurve !== "prime256v1") return undefined;
    const der = key.export({ type: "spki", format: "der" });
    await sql`INSERT INTO merchant_request_keys (merchant_id, public_key, required) VALUES (${merchantId}::uuid, ${der}, ${required})
              ON CONFLICT (merchant_id) DO UPDATE SET public_key = EXCLUDED.public_key, required = EXCLUDED.required, updated_at = now()`.execute(this.db);
    this.keys.delete(merchantId);
    return { required };
  }

  async removeKey(merchantId: string): Promise<boolean> {
    const removed = await sql`DELETE FROM merchant_request_keys WHERE merchant_id = ${merchantId}::uuid`.execute(this.db);
    this.keys.delete(merchantId);
    return (removed.numAffectedRows ?? 0n) > 0n;
  }

  /** Checks a merchant request: a signature is verified whenever one is sent, and demanded when the merchant asked for it. */
  async check(merchantId: string, request: { method: string; url: string; headers: Record<string, unknown>; body: unknown }): Promise<SignatureCheck> {
    const registered = await this.key(merchantId);
    const signature = request.headers[signatureHeader];
    const timestamp = request.headers[timestampHeader];
    if (signature === undefined && timestamp === undefined) return registered?.required === true ? "ERR_REQUEST_SIGNATURE_REQUIRED" : "ok";
    if (registered === null || typeof signature !== "string" || typeof timestamp !== "string") return "ERR_REQUEST_SIGNATURE";
    if (!/^[0-9]{1,12}$/.test(timestamp) || signature.length > signatureBase64CharsMax || !/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return "ERR_REQUEST_SIGNATURE";
    if (Math.abs(Number(timestamp) * 1000 - this.clock()) > requestSignatureSkewMsMax) return "ERR_REQUEST_SIGNATURE";
    const payload = requestSigningPayload(Number(timestamp), request.method, request.url, request.body);
    return verifyEcdsaP256(registered.key, payload, new Uint8Array(Buffer.from(signature, "base64")), "der") ? "ok" : "ERR_REQUEST_SIGNATURE";
  }

  private async key(merchantId: string): Promise<{ key: KeyObject; required: boolean } | null> {
    const cached = this.keys.get(merchantId);
    if (cached !== undefined) return cached;
    const row = (await sql<{ public_key: Uint8Array; required: boolean }>`SELECT public_key, required FROM merchant_request_keys WHERE merchant_id = ${merchantId}::uuid`.execute(this.db)).rows[0];
    const found = row === undefined ? null : { key: createPublicKey({ key: Buffer.from(row.public_key), format: "der", type: "spki" }), required: row.required };
    if (this.keys.size >= 10_000) this.keys.clear();
    this.keys.set(merchantId, found);
    return found;
  }
}
