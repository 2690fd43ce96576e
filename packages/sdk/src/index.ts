/**
 * @obol/sdk: a typed client for the Obol platform API. The types (`paths`) are generated from the platform's
 * OpenAPI document by openapi-typescript (scripts/sdk-generate.mjs); the client is openapi-fetch, so every
 * path, parameter and body is checked against the document at compile time.
 *
 *   const obol = createObolClient({ baseUrl: "http://127.0.0.1:3000", token: apiKey });
 *   const payment = await expectOk(obol.GET("/v1/payments/{id}", { params: { path: { id } } }));
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";
export type ObolClient = Client<paths>;

export interface ObolClientOptions {
  /** The platform's base URL, e.g. http://127.0.0.1:3000 (a trailing slash is ignored). */
  baseUrl: string;
  /** A bearer credential: a user or operator token, or a merchant API key; a function is asked per request. */
  token?: string | (() => string | Promise<string>);
  /** A fetch to use instead of the global one (tests, proxies, error mapping). */
  fetch?: (request: Request) => Promise<Response>;
}

export function createObolClient(options: ObolClientOptions): ObolClient {
  const client = createClient<paths>({ baseUrl: options.baseUrl.replace(/\/+$/, ""), ...(options.fetch ? { fetch: options.fetch } : {}) });
  const token = options.token;
  if (token !== undefined) {
    client.use({
      async onRequest({ request }) {
        request.headers.set("authorization", `Bearer ${typeof token === "function" ? await token() : token}`);
        return request;
      },
    });
  }
  return client;
}

/** The platform's one error shape: `{ error: { code, message } }` with a stable `ERR_…` code. */
export interface ObolErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** A non-2xx answer, with the platform's stable code (ERR_HTTP when the body was not the error shape). */
export class ObolApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number, readonly details?: unknown) {
    super(message);
    this.name = "ObolApiError";
  }
}

const codePattern = /^ERR_[A-Z0-9_]{1,60}$/;

/** Turns any error body into an ObolApiError; unknown shapes keep the HTTP status as the message. */
export function apiErrorOf(body: unknown, status: number): ObolApiError {
  const error = (body as Partial<ObolErrorBody> | undefined)?.error;
  const code = typeof error?.code === "string" && codePattern.test(error.code) ? error.code : "ERR_HTTP";
  const message = typeof error?.message === "string" ? error.message : `HTTP ${status}`;
  return new ObolApiError(code, message, status, error?.details);
}

/**
 * The answer's data when the status is 2xx, else throws ObolApiError. `T` defaults to what the document
 * declares; routes without a declared response schema can name the shape they expect.
 */
export async function expectOk<D, T = D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok) throw apiErrorOf(error, response.status);
  return data as unknown as T;
}
