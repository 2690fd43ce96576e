import type { BankService } from "./service.js";

/**
 * How a client's message reaches the bank and its answer comes back. Either the answer's text, or a
 * BankTransportError: in every such case the client does NOT know whether the bank processed the
 * message (a timeout or a lost connection may come after the commit), and must ask (pacs.028).
 */
export type BankTransport = (xml: string, timeoutMs: number) => Promise<string>;

export type TransportFailure = "timeout" | "unreachable" | "connection_lost" | "http_status";

export class BankTransportError extends Error {
  constructor(readonly failure: TransportFailure, message: string) {
    super(message);
    this.name = "BankTransportError";
  }
}

/** Largest answer read from the bank: a statement page is about 20 KiB. */
export const answerBytesMax = 128 * 1024;

/** POST {url}/v1/messages over HTTP(S), with a hard timeout covering connect, send and the whole answer. */
export function httpTransport(baseUrl: string): BankTransport {
  const url = `${baseUrl.replace(/\/$/, "")}/v1/messages`;
  return async (xml, timeoutMs) => {
    let response: Response;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      response = await fetch(url, { method: "POST", body: xml, headers: { "content-type": "application/xml" }, signal });
    } catch (error) {
      throw classify(error, signal);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new BankTransportError("http_status", `the bank answered HTTP ${response.status}`);
    }
    const length = Number(response.headers.get("content-length") ?? "0");
    if (length > answerBytesMax) {
      await response.body?.cancel().catch(() => {});
      throw new BankTransportError("http_status", "the bank's answer is too large");
    }
    try {
      const text = await response.text();
      if (Buffer.byteLength(text) > answerBytesMax) throw new BankTransportError("http_status", "the bank's answer is too large");
      return text;
    } catch (error) {
      if (error instanceof BankTransportError) throw error;
      throw classify(error, signal);
    }
  };
}

function classify(error: unknown, signal: AbortSignal): BankTransportError {
  if (signal.aborted) return new BankTransportError("timeout", "the bank did not answer in time");
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
  if (cause === "ECONNREFUSED" || cause === "ENOTFOUND" || cause === "EHOSTUNREACH" || cause === "ENETUNREACH") {
    return new BankTransportError("unreachable", `cannot reach the bank (${cause})`);
  }
  return new BankTransportError("connection_lost", `the connection to the bank failed (${cause ?? (error as Error).message})`);
}

/**
 * The bank in the same process (the embedded reference bank of `npm start`), with the same failure
 * behaviour as HTTP: "down" is an HTTP 503, a dropped answer is a lost connection, and a slow bank
 * runs into the timeout while its work goes on.
 */
export function inProcessTransport(service: BankService): BankTransport {
  return async (xml, timeoutMs) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new BankTransportError("timeout", "the bank did not answer in time")), timeoutMs);
    });
    const work = service.handle(xml);
    work.catch(() => {}); // a failure after the timeout has nobody left to tell
    let answer: Awaited<typeof work>;
    try {
      answer = await Promise.race([work, timeout]);
    } catch (error) {
      if (error instanceof BankTransportError) throw error;
      throw new BankTransportError("http_status", "the bank failed: HTTP 500");
    } finally {
      clearTimeout(timer);
    }
    if (answer.kind === "down") throw new BankTransportError("http_status", "the bank answered HTTP 503");
    if (answer.kind === "drop") throw new BankTransportError("connection_lost", "the connection to the bank was closed without an answer");
    return answer.xml;
  };
}
