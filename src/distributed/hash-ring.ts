import { InvalidOptionError } from '../errors.js';
import { assertKnownKeys, describe } from '../internal/asserts.js';
import { digestWords, md5 } from './md5.js';

/** How node names become points on the continuum. */
export type HashRingMode = 'ketama' | 'twemproxy';

/** Options of {@link HashRing}. */
export interface HashRingOptions {
  /**
   * `ketama`: libketama's continuum (points from MD5 of `"<name>-<i>"`, the name as given, e.g.
   * `10.0.0.1:11211`). `twemproxy`: twemproxy's `distribution: ketama` with `hash: md5`, where a name
   * `host:11211` hashes as `host` alone (libmemcached compatibility) and weights use twemproxy's rounding.
   * @default 'ketama'
   */
  mode?: HashRingMode;
  /** Points per server at equal weights; a multiple of 4 (each MD5 digest gives 4 points). @default 160 */
  pointsPerServer?: number;
  /** Relative weight per node name (libketama: the server's memory); absent names weigh 1. */
  weights?: Readonly<Record<string, number>>;
}

const DEFAULT_POINTS = 160;
/** Lookups remembered; the memo is dropped whole when full (no LRU bookkeeping on the hot path). */
const MEMO_SIZE = 8192;

/**
 * A consistent-hash ring that places keys exactly where libketama (or twemproxy) would.
 *
 * Each server gets `pointsPerServer / 4` MD5 digests of `"<name>-<i>"`, each digest giving 4 points read
 * as little-endian 32-bit words; a server's share of digests is `floorf(pct × 40 × n)` computed in 32-bit
 * floats like libketama, so a ring built here routes every key to the same server as a libketama client
 * (PHP/Python/Java/C) given the same server list and weights. A key's hash is the first 4 bytes of its
 * MD5 (little-endian); its server owns the first point ≥ that hash, wrapping to the first point.
 * Lookups are a binary search, **O(log points)**, with no allocation for ASCII keys, and up to 8,192
 * recent answers are remembered (hot keys skip the MD5; the memo is emptied when full or rebuilt). Points shared by two
 * servers (a 32-bit collision) go to the server whose name sorts first, so the ring does not depend on
 * the order nodes were given (libketama's `qsort` leaves that order undefined).
 *
 * @example
 * const ring = new HashRing(['10.0.0.1:11211', '10.0.0.2:11211']);
 * ring.getNode('user:42'); // '10.0.0.2:11211'
 */
export class HashRing {
  readonly #mode: HashRingMode;
  readonly #pointsPerServer: number;
  readonly #weights = new Map<string, number>();
  #nodes: string[] = [];
  #points = new Uint32Array(0);
  #owners = new Uint32Array(0);
  readonly #memo = new Map<string, number>();

  constructor(nodes: Iterable<string>, options: HashRingOptions = {}) {
    assertKnownKeys('options', options, ['mode', 'pointsPerServer', 'weights']);
    const { mode = 'ketama', pointsPerServer = DEFAULT_POINTS, weights = {} } = options;
    if (mode !== 'ketama' && mode !== 'twemproxy') {
      throw new InvalidOptionError(`Expected \`mode\` to be 'ketama' or 'twemproxy', got ${describe(mode)}`);
    }
    if (!Number.isInteger(pointsPerServer) || pointsPerServer <= 0 || pointsPerServer % 4 !== 0) {
      throw new InvalidOptionError(
        `Expected \`pointsPerServer\` to be a positive multiple of 4, got ${describe(pointsPerServer)}`,
      );
    }
    this.#mode = mode;
    this.#pointsPerServer = pointsPerServer;
    for (const [name, weight] of Object.entries(weights)) this.#weights.set(name, checkWeight(name, weight));
    for (const name of nodes) this.#add(name);
    this.#build();
  }

  /** The node names on the ring, in the order they were added. */
  get nodes(): readonly string[] {
    return this.#nodes;
  }

  /** The number of points on the continuum. */
  get size(): number {
    return this.#points.length;
  }

  /** The node owning `key`, or `undefined` when the ring is empty. */
  getNode(key: string): string | undefined {
    const i = this.indexOf(key);
    return i < 0 ? undefined : this.#nodes[i];
  }

  /** The position in {@link nodes} of the node owning `key`, or -1 when the ring is empty. */
  indexOf(key: string): number {
    const known = this.#memo.get(key);
    if (known !== undefined) return known;
    const points = this.#points;
    const n = points.length;
    if (n === 0) return -1;
    const h = md5(key);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (points[mid]! < h) lo = mid + 1;
      else hi = mid;
    }
    const owner = this.#owners[lo === n ? 0 : lo]!;
    if (this.#memo.size >= MEMO_SIZE) this.#memo.clear();
    this.#memo.set(key, owner);
    return owner;
  }

  /** True if `name` is on the ring. */
  has(name: string): boolean {
    return this.#nodes.includes(name);
  }

  /** Adds a node (and its weight, default 1) and rebuilds the continuum; a present node is updated. */
  addNode(name: string, weight?: number): this {
    if (weight !== undefined) this.#weights.set(name, checkWeight(name, weight));
    this.#add(name);
    this.#build();
    return this;
  }

  /** Removes a node and rebuilds the continuum; false if it was not on the ring. */
  removeNode(name: string): boolean {
    const i = this.#nodes.indexOf(name);
    if (i < 0) return false;
    this.#nodes.splice(i, 1);
    this.#build();
    return true;
  }

  /** The number of continuum points `name` owns (0 when absent). */
  pointsOf(name: string): number {
    const i = this.#nodes.indexOf(name);
    let count = 0;
    for (const owner of this.#owners) if (owner === i) count++;
    return count;
  }

  #add(name: string): void {
    if (typeof name !== 'string' || name.length === 0) {
      throw new InvalidOptionError(`Expected a node name to be a non-empty string, got ${describe(name)}`);
    }
    if (!this.#nodes.includes(name)) this.#nodes.push(name);
  }

  /** Digests per node, in libketama's or twemproxy's 32-bit float arithmetic. */
  #digestsFor(weight: number, total: number, n: number): number {
    const pct = Math.fround(Math.fround(weight) / Math.fround(total));
    const perHash = this.#pointsPerServer / 4;
    if (this.#mode === 'ketama') return Math.floor(Math.fround(pct * perHash * n));
    const x = Math.fround(Math.fround(Math.fround(pct * this.#pointsPerServer) / 4) * Math.fround(n));
    return Math.floor(Math.fround(x + 0.0000000001));
  }

  #hashName(name: string): string {
    if (this.#mode === 'twemproxy' && name.endsWith(':11211')) return name.slice(0, -6);
    return name;
  }

  #build(): void {
    const nodes = this.#nodes;
    const n = nodes.length;
    let total = 0;
    for (const name of nodes) total += this.#weights.get(name) ?? 1;
    const points: number[] = [];
    const owners: number[] = [];
    for (let s = 0; s < n; s++) {
      const name = nodes[s]!;
      const digests = this.#digestsFor(this.#weights.get(name) ?? 1, total, n);
      const base = this.#hashName(name);
      for (let i = 0; i < digests; i++) {
        md5(`${base}-${i}`);
        for (let w = 0; w < 4; w++) {
          points.push(digestWords[w]! >>> 0);
          owners.push(s);
        }
      }
    }
    const order = points.map((_, i) => i);
    order.sort((a, b) => {
      const d = points[a]! - points[b]!;
      if (d !== 0) return d;
      const na = nodes[owners[a]!]!;
      const nb = nodes[owners[b]!]!;
      return na < nb ? -1 : na > nb ? 1 : 0;
    });
    this.#memo.clear();
    this.#points = Uint32Array.from(order, (i) => points[i]!);
    this.#owners = Uint32Array.from(order, (i) => owners[i]!);
  }
}

function checkWeight(name: string, weight: unknown): number {
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) {
    throw new InvalidOptionError(
      `Expected \`weights[${JSON.stringify(name)}]\` to be a positive number, got ${describe(weight)}`,
    );
  }
  return weight;
}
