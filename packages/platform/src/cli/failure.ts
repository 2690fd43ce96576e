import { ObolApiError } from "@obol/sdk";
import { ObolError } from "../errors/obol-error.js";

/**
 * How the CLI fails: one line on stderr, `obol: <a sentence> (<stable code>)`, exit status 2 for usage errors
 * and 1 for everything else. Stack traces only with OBOL_DEBUG=1.
 */
export interface Failure {
  line: string;
  status: 1 | 2;
}

const networkCodes = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "ETIMEDOUT", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET"]);

/** The network error code buried in fetch's "fetch failed" TypeError, if that is what this is. */
function networkCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e !== undefined && e !== null && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string" && networkCodes.has(e.code)) return e.code;
  }
  return undefined;
}

/**
 * fetch, with "cannot connect" turned into ERR_PLATFORM_UNREACHABLE naming the URL: the SDK client and the raw
 * XML channel posts both go through it.
 */
export async function platformFetch(input: Request | string, init?: RequestInit): Promise<Response> {
  try {
    return await fetch(input, init);
  } catch (error) {
    const code = networkCode(error);
    if (code === undefined) throw error;
    const origin = new URL(typeof input === "string" ? input : input.url).origin;
    throw new ObolError("ERR_PLATFORM_UNREACHABLE", `cannot reach the platform at ${origin}: is it running? (${code}; set --url or OBOL_URL)`);
  }
}

/** One line (first line only, trimmed) for anything thrown. */
export function failureOf(error: unknown): Failure {
  const oneLine = (text: string) => text.split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ").slice(0, 500);
  if (error instanceof ObolError || error instanceof ObolApiError) {
    return { line: `obol: ${oneLine(error.message)} (${error.code})`, status: error.code === "ERR_USAGE" ? 2 : 1 };
  }
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string" && /^ERR_[A-Z0-9_]+$/.test(code) && !code.startsWith("ERR_PARSE_ARGS") && error instanceof Error) {
    // Errors of our other packages (PkiError, XmlError, …) carry stable codes too.
    return { line: `obol: ${oneLine(sentenceFor(code) ?? error.message)} (${code})`, status: 1 };
  }
  const network = networkCode(error);
  if (network !== undefined) return { line: `obol: a network request failed (${network}) (ERR_NETWORK)`, status: 1 };
  if (typeof code === "string" && ["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR"].includes(code)) {
    return { line: `obol: ${oneLine((error as Error).message)} (ERR_FILE)`, status: 1 };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { line: `obol: unexpected error: ${oneLine(message)}; run again with OBOL_DEBUG=1 for details (ERR_INTERNAL)`, status: 1 };
}

/** Clearer sentences for codes whose library messages speak to developers. */
function sentenceFor(code: string): string | undefined {
  if (code === "ERR_PKI_BAD_PASSPHRASE") return "the passphrase is wrong (or the sealed key is damaged)";
  return undefined;
}

export function reportFailure(error: unknown): 1 | 2 {
  const failure = failureOf(error);
  process.stderr.write(`${failure.line}\n`);
  if (process.env.OBOL_DEBUG === "1") process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  return failure.status;
}
