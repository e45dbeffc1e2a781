import type { Cache } from 'stratacache';
import type { CatalogDatabase, Product } from './catalog-database.js';
import { int, price } from './format.js';
import type { Check } from './measures.js';

interface PriceUpdate {
  oldCents: number;
  newCents: number;
  /** What the cache answered after the UPDATE, before the invalidation. */
  cachedBeforeInvalidation: number | undefined;
  /** What the first read after `invalidateTags` returned. */
  firstReadAfter: number;
  invalidatedAt: number;
  readsAfter: number;
  oldPriceReadsAfter: number;
}

/**
 * The mid-run price change of one product: an UPDATE in Postgres, then `invalidateTags`; it then
 * watches every client read of that product for the old price.
 */
export class PriceChange {
  readonly id: number;
  readonly #cache: Cache;
  readonly #db: CatalogDatabase;
  readonly #read: (id: number) => Promise<Product>;
  readonly #forget: (id: number) => void;
  #update: PriceUpdate | undefined;

  /** `read` is the demo's cached read; `forget` is told when the product is invalidated. */
  constructor(
    id: number,
    deps: {
      cache: Cache;
      db: CatalogDatabase;
      read: (id: number) => Promise<Product>;
      forget: (id: number) => void;
    },
  ) {
    this.id = id;
    this.#cache = deps.cache;
    this.#db = deps.db;
    this.#read = deps.read;
    this.#forget = deps.forget;
  }

  /** `performance.now()` of the invalidation, once it ran. */
  get invalidatedAt(): number | undefined {
    return this.#update?.invalidatedAt;
  }

  async run(): Promise<void> {
    const id = this.id;
    const before = await this.#read(id);
    const newCents = before.priceCents + 500;
    await this.#db.updatePrice(id, newCents);
    const cachedBeforeInvalidation = (await this.#cache.get<Product>(`product:${id}`))?.priceCents;
    await this.#cache.invalidateTags([`product:${id}`]);
    this.#forget(id);
    const invalidatedAt = performance.now();
    const after = await this.#read(id);
    this.#update = {
      oldCents: before.priceCents,
      newCents,
      cachedBeforeInvalidation,
      firstReadAfter: after.priceCents,
      invalidatedAt,
      readsAfter: 0,
      oldPriceReadsAfter: 0,
    };
  }

  /** Counts a client read of `id` sent at `startedAt` that answered `product`. */
  observe(id: number, startedAt: number, product: Product): void {
    const u = this.#update;
    if (u === undefined || id !== this.id || startedAt <= u.invalidatedAt) return;
    u.readsAfter++;
    if (product.priceCents !== u.newCents) u.oldPriceReadsAfter++;
  }

  /** Whether no read sent after the invalidation saw the old price. */
  get seenAtOnce(): boolean {
    return this.#done().oldPriceReadsAfter === 0;
  }

  /** What happened, as the lines the demo prints. */
  lines(): string[] {
    const u = this.#done();
    const before = u.cachedBeforeInvalidation === undefined ? 'nothing' : price(u.cachedBeforeInvalidation);
    return [
      `   Mid-run, product #${this.id} (the most popular) changed price in Postgres: ${price(u.oldCents)} → ${price(u.newCents)}`,
      `   ├ right after the UPDATE the cache still answered ${before}: it cannot know by itself`,
      `   ├ cache.invalidateTags(['product:${this.id}']) → the next read returned ${price(u.firstReadAfter)}`,
      `   └ ${int(u.readsAfter)} client reads of #${this.id} after that, ${int(u.oldPriceReadsAfter)} with the old price`,
    ];
  }

  check(): Check {
    const u = this.#done();
    return {
      name: 'price update visible after invalidateTags',
      ok: u.firstReadAfter === u.newCents && u.oldPriceReadsAfter === 0,
      detail:
        `next read ${price(u.firstReadAfter)} (expected ${price(u.newCents)}); ` +
        `${int(u.oldPriceReadsAfter)} of ${int(u.readsAfter)} later reads had the old price`,
    };
  }

  #done(): PriceUpdate {
    if (this.#update === undefined) throw new Error('The price update did not run');
    return this.#update;
  }
}
