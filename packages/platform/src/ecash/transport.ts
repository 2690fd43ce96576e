import { messageBytesMax } from "@obol/svs";
import { ObolError } from "../errors/obol-error.js";

/** Longest wait for one HTTP exchange (a long poll adds its own wait). */
export const requestTimeoutMs = 30_000;
/** Largest JSON answer a client reads (params, descriptors, catalogues, summaries). */
export const jsonBytesMax = 256 * 1024;
/** Largest binary answer: one SVS message, or a list of D2s (each far below messageBytesMax). */
export const binaryBytesMax = 4 * messageBytesMax;

export const octetStream = "application/octet-stream";

export interface HttpAnswer {
  status: number;
  contentType: string;
  bytes: Uint8Array;
}

/**
 * One HTTP exchange for the e-cash clients: binary SVS messages out, a body read with a hard size limit back
 * (a hostile or broken peer cannot make the client buffer without bound), a timeout on the whole exchange.
 */
export async function exchange(url: string, init: { method: "GET" | "POST"; body?: Uint8Array; token?: string; waitMs?: number }): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers["content-type"] = octetStream;
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method, headers, ...(init.body === undefined ? {} : { body: new Uint8Array(init.body) }),
      signal: AbortSignal.timeout(requestTimeoutMs + (init.waitMs ?? 0)),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    const reason = error instanceof Error && error.name === "TimeoutError" ? "no answer in time" : typeof cause === "string" ? cause : (error as Error).message;
    throw new ObolError("ERR_ECASH_UNREACHABLE", `cannot reach ${new URL(url).origin}: is it running? (${init.method} ${new URL(url).pathname}: ${reason})`);
  }
  const contentType = response.headers.get("content-type") ?? "";
  const limit = contentType.startsWith(octetStream) ? binaryBytesMax : jsonBytesMax;
  return { status: response.status, contentType, bytes: await readLimited(response, limit, url) };
}

async function readLimited(response: Response, bytesMax: number, url: string): Promise<Uint8Array> {
  const declared = Number(response.headers.get("content-length") ?? "0");
  if (declared > bytesMax) {
    await response.body?.cancel();
    throw new ObolError("ERR_ECASH_ANSWER_TOO_LARGE", `${url}: the answer is larger than ${bytesMax} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      total += chunk.byteLength;
      if (total > bytesMax) {
        await response.body.cancel().catch(() => {});
        throw new ObolError("ERR_ECASH_ANSWER_TOO_LARGE", `${url}: the answer is larger than ${bytesMax} bytes`);
      }
      chunks.push(chunk);
    }
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/** The answer as JSON, or the server's error as an ObolError carrying its stable code. */
export function jsonOf<T>(answer: HttpAnswer, what: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(answer.bytes).toString("utf8"));
  } catch {
    throw new ObolError("ERR_ECASH_BAD_ANSWER", `${what}: the answer is not JSON (HTTP ${answer.status})`);
  }
  if (answer.status >= 400) throw errorOf(parsed, answer.status, what);
  return parsed as T;
}

/** The answer as SVS message bytes, or the server's error. */
export function binaryOf(answer: HttpAnswer, what: string): Uint8Array {
  if (answer.status === 200 && answer.contentType.startsWith(octetStream)) return answer.bytes;
  let parsed: unknown = undefined;
  try {
    parsed = JSON.parse(Buffer.from(answer.bytes).toString("utf8"));
  } catch { /* not JSON */ }
  throw errorOf(parsed, answer.status, what);
}

function errorOf(body: unknown, status: number, what: string): ObolError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" && /^ERR_[A-Z0-9_]{1,60}$/.test(error.code) ? error.code : "ERR_HTTP";
  const message = typeof error?.message === "string" ? error.message.slice(0, 200) : `HTTP ${status}`;
  return new ObolError(code, `${what}: ${message}`);
}
