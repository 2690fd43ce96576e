import { sql, type Kysely } from "kysely";
import type { Outcome } from "./service.js";

/** A merchant's catalogue entry (seed 004's Product_Info). */
export interface Product {
  id: string;
  merchantId: string;
  sku: string;
  name: string;
  description: string;
  price: bigint;
  currency: string;
  active: boolean;
  createdAt: Date;
  updatedAt: Date;
}

interface ProductRow { id: string; merchant_id: string; sku: string; name: string; description: string; price: bigint; currency: string; active: boolean; created_at: Date; updated_at: Date }

function product(r: ProductRow): Product {
  return { id: r.id, merchantId: r.merchant_id, sku: r.sku, name: r.name, description: r.description, price: r.price, currency: r.currency.trim(), active: r.active, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at) };
}

export const productsPerMerchantMax = 10_000;
const uniqueViolation = "23505";

/** Products: create, update, soft-delete (payments keep pointing at what was sold), list. */
export class ProductsService {
  constructor(private readonly db: Kysely<any>, private readonly clock: () => number, private readonly currencies: readonly string[]) {}

  async create(merchantId: string, input: { sku: string; name: string; description: string; price: bigint; currency: string; active: boolean }, id: string): Promise<Outcome<Product>> {
    if (!this.currencies.includes(input.currency)) return { ok: false, code: "ERR_CURRENCY_UNSUPPORTED" };
    const count = Number((await sql<{ n: bigint }>`SELECT count(*) AS n FROM products WHERE merchant_id = ${merchantId}::uuid AND deleted_at IS NULL`.execute(this.db)).rows[0]!.n);
    if (count >= productsPerMerchantMax) return { ok: false, code: "ERR_LIMIT_REACHED" };
    const now = new Date(this.clock());
    try {
      await sql`INSERT INTO products (id, merchant_id, sku, name, description, price, currency, active, created_at, updated_at)
                VALUES (${id}::uuid, ${merchantId}::uuid, ${input.sku}, ${input.name}, ${input.description}, ${input.price}, ${input.currency}, ${input.active}, ${now}, ${now})`.execute(this.db);
    } catch (error) {
      if ((error as { code?: string }).code === uniqueViolation) return { ok: false, code: "ERR_SKU_TAKEN" };
      throw error;
    }
    return { ok: true, value: (await this.get(merchantId, id))! };
  }

  async update(merchantId: string, id: string, patch: { name?: string | undefined; description?: string | undefined; price?: bigint | undefined; active?: boolean | undefined }): Promise<Outcome<Product>> {
    const current = await this.get(merchantId, id);
    if (current === undefined) return { ok: false, code: "ERR_PRODUCT_NOT_FOUND" };
    await sql`UPDATE products SET name = ${patch.name ?? current.name}, description = ${patch.description ?? current.description},
                price = ${patch.price ?? current.price}, active = ${patch.active ?? current.active}, updated_at = ${new Date(this.clock())}
              WHERE id = ${id}::uuid AND merchant_id = ${merchantId}::uuid AND deleted_at IS NULL`.execute(this.db);
    return { ok: true, value: (await this.get(merchantId, id))! };
  }

  async remove(merchantId: string, id: string): Promise<boolean> {
    const result = await sql`UPDATE products SET deleted_at = ${new Date(this.clock())}, active = false
                             WHERE id = ${id}::uuid AND merchant_id = ${merchantId}::uuid AND deleted_at IS NULL`.execute(this.db);
    return (result.numAffectedRows ?? 0n) > 0n;
  }

  async get(merchantId: string, id: string): Promise<Product | undefined> {
    const rows = (await sql<ProductRow>`SELECT * FROM products WHERE id = ${id}::uuid AND merchant_id = ${merchantId}::uuid AND deleted_at IS NULL`.execute(this.db)).rows;
    return rows[0] === undefined ? undefined : product(rows[0]);
  }

  /** Paged by sku; `activeOnly` is the buyer's view of the catalogue. */
  async list(merchantId: string, page: { afterSku?: string | undefined; limit: number; activeOnly: boolean }): Promise<Product[]> {
    const rows = (await sql<ProductRow>`
      SELECT * FROM products WHERE merchant_id = ${merchantId}::uuid AND deleted_at IS NULL
        AND (${page.activeOnly} = false OR active)
        AND (${page.afterSku ?? null}::text IS NULL OR sku > ${page.afterSku ?? null})
      ORDER BY sku LIMIT ${Math.min(page.limit, 100)}`.execute(this.db)).rows;
    return rows.map(product);
  }
}

export function productView(p: Product) {
  return { id: p.id, sku: p.sku, name: p.name, description: p.description, price: p.price.toString(), currency: p.currency, active: p.active, createdAt: p.createdAt.toISOString(), updatedAt: p.updatedAt.toISOString() };
}
