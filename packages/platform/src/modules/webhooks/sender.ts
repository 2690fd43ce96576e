import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { checkWebhookUrl, isAddressAllowed, type TargetPolicy } from "./target-policy.js";

/** Resolves a host name to every address it has (injected in tests to play a hostile DNS server). */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (hostname) => lookup(hostname, { all: true, verbatim: true });

/** Why an attempt failed, coarse enough to show a merchant and to count in metrics. */
export type AttemptErrorClass =
  | "http_status" | "timeout" | "connection_refused" | "connection_reset" | "dns" | "tls" | "target_refused" | "network" | "no_endpoint";

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  errorClass: AttemptErrorClass | null;
  /** At most responseBytesMax bytes of the answer, decoded, with control characters replaced. */
  responseExcerpt: string;
  durationMs: number;
}

export interface SendRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Everything (lookup, connect, request, reading the answer) ends by then. */
  timeoutMs: number;
  responseBytesMax: number;
  policy: TargetPolicy;
  resolve?: Resolver;
}

class TargetRefused extends Error {}
class Timeout extends Error {}

/**
 * POSTs one webhook. Success is a 2xx status (Standard Webhooks "Delivery success and failure");
 * redirects are not followed (a 3xx is a failure: the merchant should fix the URL). The host is
 * resolved here, every address is checked against the policy, and the socket connects to the
 * checked address. A new connection per attempt: no pooled socket outlives its check.
 */
export async function sendWebhook(request: SendRequest): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const failure = (errorClass: AttemptErrorClass, statusCode: number | null = null, responseExcerpt = ""): SendResult =>
    ({ ok: false, statusCode, errorClass, responseExcerpt, durationMs: elapsed() });

  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Timeout()), request.timeoutMs);
  try {
    const checked = checkWebhookUrl(request.url, request.policy);
    if (!checked.ok) return failure("target_refused");
    const { url, host } = checked;
    let address: { address: string; family: number };
    try {
      address = await withAbort(resolveChecked(host, request.policy, request.resolve ?? systemResolver), controller.signal);
    } catch (error) {
      if (error instanceof TargetRefused) return failure("target_refused");
      if (error instanceof Timeout) return failure("timeout");
      return failure("dns");
    }
    const pinned: LookupFunction = (_hostname, options, callback) => {
      if (options.all) (callback as unknown as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [address]);
      else callback(null, address.address, address.family);
    };
    const client = url.protocol === "https:" ? https : http;
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const outgoing = client.request({
        protocol: url.protocol, hostname: host, port: url.port || undefined, path: `${url.pathname}${url.search}`, method: "POST",
        headers: { ...request.headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(request.body)) },
        agent: false, lookup: pinned, signal: controller.signal,
      }, resolve);
      outgoing.on("error", reject);
      outgoing.end(request.body);
    });
    const statusCode = response.statusCode ?? 0;
    const excerpt = await readExcerpt(response, request.responseBytesMax, controller.signal);
    return statusCode >= 200 && statusCode <= 299
      ? { ok: true, statusCode, errorClass: null, responseExcerpt: excerpt, durationMs: elapsed() }
      : failure("http_status", statusCode, excerpt);
  } catch (error) {
    return failure(classify(error, controller.signal));
  } finally {
    clearTimeout(timer);
  }
}

/** Every address must be allowed: one private address among public ones refuses the name. */
async function resolveChecked(host: string, policy: TargetPolicy, resolve: Resolver): Promise<{ address: string; family: number }> {
  const addresses = isIP(host) !== 0 ? [{ address: host, family: isIP(host) }] : await resolve(host);
  if (addresses.length === 0) throw new Error("no address");
  for (const { address } of addresses) if (!isAddressAllowed(address, policy)) throw new TargetRefused();
  return addresses[0]!;
}

function withAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/**
 * Reads at most `bytesMax` of the answer and drops the rest (a hostile receiver cannot make the
 * platform buffer a large body). Once the status has arrived, a timeout while reading only ends
 * the excerpt: the status already decided the outcome.
 */
async function readExcerpt(response: http.IncomingMessage, bytesMax: number, signal: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      chunks.push(chunk.subarray(0, bytesMax - total));
      total += Math.min(chunk.byteLength, bytesMax - total);
      if (total >= bytesMax || signal.aborted) break;
    }
  } catch { /* aborted or reset after the status: keep what was read */ }
  response.destroy();
  // UTF-8 decoding already turns malformed bytes (and a character cut at the cap) into U+FFFD;
  // control characters other than tab and newline are replaced too, so a log viewer shows text.
  return Buffer.concat(chunks).toString("utf8").replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "\ufffd");
}

function classify(error: unknown, signal: AbortSignal): AttemptErrorClass {
  if (signal.aborted && signal.reason instanceof Timeout) return "timeout";
  const code = (error as { code?: string }).code ?? "";
  if (code === "ECONNREFUSED") return "connection_refused";
  if (code === "ECONNRESET" || code === "EPIPE" || (error as Error).message === "socket hang up") return "connection_reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "dns";
  if (code.startsWith("ERR_TLS") || code.startsWith("ERR_SSL") || /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) return "tls";
  return "network";
}
