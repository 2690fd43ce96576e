import { ObolError } from "../errors/obol-error.js";
import { binaryOf, exchange, jsonOf } from "./transport.js";

/** What a merchant's server publishes about itself (GET /ecash/merchant): wallets turn it into Y_P. */
export interface MerchantOffer {
  id: string;
  v: string;
  notAfterMs: number;
}

export interface CatalogueEntry {
  item: string;
  price: bigint;
}

/** A wallet's calls to a merchant's e-cash server (`obol merchant ecash serve`): no platform round trip. */
export async function merchantDescriptorAt(merchantUrl: string): Promise<MerchantOffer> {
  const offer = jsonOf<MerchantOffer>(await exchange(`${base(merchantUrl)}/ecash/merchant`, { method: "GET" }), "GET /ecash/merchant");
  if (typeof offer.id !== "string" || typeof offer.v !== "string" || !/^0[23][0-9a-f]{64}$/.test(offer.v) || !Number.isSafeInteger(offer.notAfterMs)) {
    throw new ObolError("ERR_ECASH_BAD_ANSWER", `${merchantUrl} does not describe an e-cash merchant`);
  }
  return { id: offer.id, v: offer.v, notAfterMs: offer.notAfterMs };
}

export async function merchantCatalogue(merchantUrl: string): Promise<CatalogueEntry[]> {
  const { items } = jsonOf<{ items: { item: string; price: string }[] }>(await exchange(`${base(merchantUrl)}/ecash/catalogue`, { method: "GET" }), "GET /ecash/catalogue");
  if (!Array.isArray(items)) throw new ObolError("ERR_ECASH_BAD_ANSWER", "the catalogue has no items");
  return items.filter((e) => typeof e.item === "string" && /^[0-9]{1,19}$/.test(e.price)).map((e) => ({ item: e.item, price: BigInt(e.price) }));
}

/** P1 or Pj → P2 or Pj'. */
export async function payMerchant(merchantUrl: string, request: Uint8Array): Promise<Uint8Array> {
  return binaryOf(await exchange(`${base(merchantUrl)}/ecash/pay`, { method: "POST", body: request }), "POST /ecash/pay");
}

function base(url: string): string {
  return url.replace(/\/+$/, "");
}
