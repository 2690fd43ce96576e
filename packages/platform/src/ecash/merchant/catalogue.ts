import { readFile } from "node:fs/promises";
import { goodsBytesMax, goodsInfoBytesMax, type merchant } from "@obol/svs";
import { ObolError } from "../../errors/obol-error.js";

export interface CatalogueItem {
  item: string;
  price: bigint;
  goods: Uint8Array;
}

export const catalogueItemsMax = 1_000;
const catalogueFileBytesMax = 4 * 1024 * 1024;

/**
 * The merchant's price list, from a JSON file: {"items": {"coffee": {"price": "40", "goods": "…"}}}. The goods
 * information GI a wallet sends is the item's name in UTF-8; P looks it up here (a pure lookup, as §2.5 step 4
 * needs) and answers with the goods text.
 */
export async function loadCatalogue(path: string): Promise<CatalogueItem[]> {
  const text = await readFile(path, "utf8");
  if (text.length > catalogueFileBytesMax) throw new ObolError("ERR_ECASH_CATALOGUE", `${path} is too large`);
  const parsed = JSON.parse(text) as { items?: Record<string, { price?: unknown; goods?: unknown }> };
  const entries = Object.entries(parsed.items ?? {});
  if (entries.length === 0 || entries.length > catalogueItemsMax) throw new ObolError("ERR_ECASH_CATALOGUE", `${path} must list 1 to ${catalogueItemsMax} items`);
  return entries.map(([item, entry]) => {
    const bytes = Buffer.byteLength(item, "utf8");
    if (bytes < 1 || bytes > goodsInfoBytesMax) throw new ObolError("ERR_ECASH_CATALOGUE", `item names are 1 to ${goodsInfoBytesMax} bytes`);
    if (typeof entry.price !== "string" || !/^[1-9][0-9]{0,17}$/.test(entry.price)) throw new ObolError("ERR_ECASH_CATALOGUE", `${item}: price must be minor units as a string, e.g. "40"`);
    const goods = Buffer.from(typeof entry.goods === "string" ? entry.goods : "", "utf8");
    if (goods.byteLength > goodsBytesMax) throw new ObolError("ERR_ECASH_CATALOGUE", `${item}: goods are at most ${goodsBytesMax} bytes`);
    return { item, price: BigInt(entry.price), goods: new Uint8Array(goods) };
  });
}

export function catalogueLookup(items: readonly CatalogueItem[]): merchant.Catalogue {
  const byName = new Map(items.map((i) => [i.item, i]));
  return (goodsInfo) => {
    const found = byName.get(Buffer.from(goodsInfo).toString("utf8"));
    return found === undefined ? null : { price: found.price, goods: found.goods };
  };
}
