/**
 * ARC (Megiddo & Modha, "ARC: A Self-Tuning, Low Overhead Replacement Cache", FAST 2003), written from
 * the paper's pseudocode for the hit-ratio bench. T1/T2 hold cached keys seen once / more than once,
 * B1/B2 the ghosts of keys evicted from them; `p` is the adaptive target size of T1. Each list is a
 * `Set`, whose insertion order is the LRU order (first = least recent).
 */
export class ArcCache {
  readonly #c: number;
  #p = 0;
  readonly #t1 = new Set<number>();
  readonly #t2 = new Set<number>();
  readonly #b1 = new Set<number>();
  readonly #b2 = new Set<number>();

  constructor(capacity: number) {
    this.#c = capacity;
  }

  /** Requests `key`; true on a hit. A miss brings the key in, as a read-through cache would. */
  access(key: number): boolean {
    const t1 = this.#t1;
    const t2 = this.#t2;
    const b1 = this.#b1;
    const b2 = this.#b2;
    if (t1.delete(key) || t2.delete(key)) {
      t2.add(key);
      return true;
    }
    if (b1.has(key)) {
      this.#p = Math.min(this.#c, this.#p + Math.max(b2.size / b1.size, 1));
      this.#replace(false);
      b1.delete(key);
      t2.add(key);
      return false;
    }
    if (b2.has(key)) {
      this.#p = Math.max(0, this.#p - Math.max(b1.size / b2.size, 1));
      this.#replace(true);
      b2.delete(key);
      t2.add(key);
      return false;
    }
    if (t1.size + b1.size === this.#c) {
      if (t1.size < this.#c) {
        deleteOldest(b1);
        this.#replace(false);
      } else {
        deleteOldest(t1);
      }
    } else {
      const total = t1.size + t2.size + b1.size + b2.size;
      if (total >= this.#c) {
        if (total === 2 * this.#c) deleteOldest(b2);
        this.#replace(false);
      }
    }
    t1.add(key);
    return false;
  }

  /** REPLACE(x, p): demotes the LRU of T1 or of T2 to its ghost list. */
  #replace(inB2: boolean): void {
    const t1 = this.#t1.size;
    if (t1 > 0 && (t1 > this.#p || (inB2 && t1 === this.#p))) this.#b1.add(deleteOldest(this.#t1));
    else if (this.#t2.size > 0) this.#b2.add(deleteOldest(this.#t2));
  }
}

function deleteOldest(list: Set<number>): number {
  const oldest = list.values().next().value as number;
  list.delete(oldest);
  return oldest;
}
