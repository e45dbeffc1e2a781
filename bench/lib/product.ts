/** The ~250-byte JSON row every getOrSet suite caches. */
export interface Product {
  key: string;
  sku: string;
  name: string;
  description: string;
  price: number;
  stock: number;
  tags: string[];
}

const DESCRIPTION =
  'A dependable everyday product with a plain description of about this length, as a row has.';

/** A fresh row for `key`, as a database read would return it. */
export function product(key: string): Product {
  return {
    key,
    sku: `SKU-${key}`,
    name: `Product ${key}`,
    description: DESCRIPTION,
    price: 19.99,
    stock: 42,
    tags: ['catalog', 'everyday', 'sale'],
  };
}
