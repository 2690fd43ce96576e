import { fromHex, type PublicParams } from "@obol/svs";
import { ObolError } from "../errors/obol-error.js";
import { parseFrames } from "./frames.js";
import { binaryOf, exchange, jsonOf } from "./transport.js";

/** What GET /v1/ecash/params publishes (hex points), and the policy the wallet shows. */
export interface PublishedParams {
  idN: string;
  qN: string;
  qNSig: string;
  freshnessWindowMs: number;
  currency: string;
  withdrawAmountMax: string;
  tokenTtlMs: number;
  depositGraceMs: number;
}

export interface MerchantDirectoryEntry {
  id: string;
  v: string;
  notAfterMs: number;
  status: string;
  legalName: string;
}

export function toPublicParams(published: PublishedParams): PublicParams {
  const point = (hex: string) => {
    if (!/^0[23][0-9a-f]{64}$/.test(hex)) throw new ObolError("ERR_ECASH_BAD_ANSWER", "the platform's parameters are not compressed P-256 points");
    return fromHex(hex);
  };
  return { idN: published.idN, qN: point(published.qN), qNSig: point(published.qNSig), freshnessWindowMs: published.freshnessWindowMs };
}

/**
 * The platform's e-cash API for wallets (U) and merchants (P): SVS messages as application/octet-stream,
 * after the platform login (a user's bearer token, or a merchant's API key).
 */
export class EcashPlatformClient {
  constructor(readonly url: string, private readonly token: () => Promise<string>) {}

  async params(): Promise<PublishedParams> {
    return jsonOf(await exchange(`${this.url}/v1/ecash/params`, { method: "GET" }), "GET /v1/ecash/params");
  }

  async registration(): Promise<{ id: string; role: "U" | "P"; registered: boolean; notAfterMs: number | null }> {
    return jsonOf(await exchange(`${this.url}/v1/ecash/registration`, { method: "GET", token: await this.token() }), "GET /v1/ecash/registration");
  }

  async register(r1: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/ecash/registrations", r1);
  }

  async withdraw(w1: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/ecash/withdrawals", w1);
  }

  async deposit(d1: Uint8Array): Promise<Uint8Array> {
    return this.post("/v1/ecash/deposits", d1);
  }

  /** D4 of an earlier deposit, or null if the platform never received that D1. */
  async depositResult(depId: string): Promise<Uint8Array | null> {
    const answer = await exchange(`${this.url}/v1/ecash/deposits/${depId}`, { method: "GET", token: await this.token() });
    if (answer.status === 404) return null;
    return binaryOf(answer, `GET /v1/ecash/deposits/${depId}`);
  }

  async confirmations(waitMs: number): Promise<Uint8Array[]> {
    const answer = await exchange(`${this.url}/v1/ecash/confirmations?waitMs=${waitMs}`, { method: "GET", token: await this.token(), waitMs });
    const frames = binaryOf(answer, "GET /v1/ecash/confirmations");
    try {
      return parseFrames(frames);
    } catch (error) {
      throw new ObolError("ERR_ECASH_BAD_ANSWER", `GET /v1/ecash/confirmations: ${(error as Error).message}`);
    }
  }

  async confirm(d3: Uint8Array): Promise<{ decision: "ACCEPT" | "REJECT" | null; ignored: boolean }> {
    const answer = await exchange(`${this.url}/v1/ecash/confirmations`, { method: "POST", body: d3, token: await this.token() });
    return jsonOf(answer, "POST /v1/ecash/confirmations");
  }

  async merchant(id: string): Promise<MerchantDirectoryEntry> {
    return jsonOf(await exchange(`${this.url}/v1/ecash/merchants/${encodeURIComponent(id)}`, { method: "GET" }), "GET /v1/ecash/merchants");
  }

  private async post(path: string, body: Uint8Array): Promise<Uint8Array> {
    return binaryOf(await exchange(this.url + path, { method: "POST", body, token: await this.token() }), `POST ${path}`);
  }
}
