import { setTimeout as sleep } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';

/** One row of the catalog, as the application sees it. */
export interface Product {
  id: number;
  sku: string;
  name: string;
  category: string;
  priceCents: number;
  stock: number;
}

/** How the database behaves: normally, slowly (every query waits first), or not at all (every query fails). */
export type DatabaseHealth = 'healthy' | 'slow' | 'down';

interface ProductRow {
  id: number;
  sku: string;
  name: string;
  category: string;
  price_cents: number;
  stock: number;
}

/** Raised by every query while the simulated database is down. */
export class DatabaseDownError extends Error {
  override readonly name = 'DatabaseDownError';
}

/**
 * The product catalog in an embedded Postgres (PGlite), with a counter of every query it runs and a
 * switch that makes it slow or unreachable, to show what a cache does when its source of truth suffers.
 */
export class CatalogDatabase {
  readonly #db: PGlite;
  /** SELECTs sent to Postgres. */
  queries = 0;
  /** Queries refused because the database was down. */
  refused = 0;
  /** UPDATEs that reached Postgres. */
  writes = 0;
  health: DatabaseHealth = 'healthy';
  /** Extra time every query takes while `health` is 'slow'. */
  readonly slowMs: number;

  private constructor(db: PGlite, slowMs: number) {
    this.#db = db;
    this.slowMs = slowMs;
  }

  /** Starts an in-memory Postgres and seeds `products` rows with generate_series (one statement). */
  static async open(products: number, slowMs: number): Promise<CatalogDatabase> {
    const db = await PGlite.create();
    await db.exec(`
      CREATE TABLE products (
        id          integer PRIMARY KEY,
        sku         text    NOT NULL UNIQUE,
        name        text    NOT NULL,
        category    text    NOT NULL,
        price_cents integer NOT NULL CHECK (price_cents > 0),
        stock       integer NOT NULL
      );
      INSERT INTO products (id, sku, name, category, price_cents, stock)
      SELECT g,
             'SKU-' || lpad(g::text, 6, '0'),
             (ARRAY['Compact','Deluxe','Eco','Classic','Smart','Ultra'])[1 + g % 6] || ' ' ||
             (ARRAY['kettle','lamp','backpack','headphones','chair','blender','watch'])[1 + g % 7] || ' ' || g,
             (ARRAY['home','outdoor','audio','office','kitchen'])[1 + g % 5],
             199 + (g * 7919) % 49800,
             (g * 31) % 500
      FROM generate_series(1, ${Math.trunc(products)}) AS g;
    `);
    return new CatalogDatabase(db, slowMs);
  }

  /** Number of rows in the catalog. */
  async count(): Promise<number> {
    const result = await this.#db.query<{ n: number }>('SELECT count(*)::int AS n FROM products');
    return result.rows[0]!.n;
  }

  /** One product by id (a primary-key lookup), or `null` if there is none. */
  async findProduct(id: number): Promise<Product | null> {
    await this.#suffer();
    const result = await this.#db.query<ProductRow>(
      'SELECT id, sku, name, category, price_cents, stock FROM products WHERE id = $1',
      [id],
    );
    const row = result.rows[0];
    if (row === undefined) return null;
    return {
      id: row.id,
      sku: row.sku,
      name: row.name,
      category: row.category,
      priceCents: row.price_cents,
      stock: row.stock,
    };
  }

  /** Sets a product's price. */
  async updatePrice(id: number, priceCents: number): Promise<void> {
    this.writes++;
    await this.#db.query('UPDATE products SET price_cents = $2 WHERE id = $1', [id, priceCents]);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }

  /** Counts the query when it is sent, then applies the simulated health. */
  async #suffer(): Promise<void> {
    if (this.health === 'down') {
      this.refused++;
      // A refused connection fails fast, after a short network round trip.
      await sleep(2);
      throw new DatabaseDownError('connection refused: the database is down');
    }
    this.queries++;
    if (this.health === 'slow') await sleep(this.slowMs);
  }
}
