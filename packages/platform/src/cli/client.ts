import { createObolClient, type ObolClient } from "@obol/sdk";
import { platformFetch } from "./failure.js";

/** The CLI's typed API client (@obol/sdk): unreachable platforms fail as ERR_PLATFORM_UNREACHABLE. */
export function platformClient(url: string, token?: string | (() => string | Promise<string>)): ObolClient {
  return createObolClient({ baseUrl: url, ...(token === undefined ? {} : { token }), fetch: (request) => platformFetch(request) });
}
