import { isCacheError, StoreError } from '../errors.js';
import { assertKnownKeys, assertPositiveInt, assertTtl, describe } from '../internal/asserts.js';
import { Emitter, type Payloads } from '../internal/emitter.js';
import type { Store, StoreCapabilities, StoreEntry } from '../stores/store.js';
import { type Clock, systemClock } from '../ttl/clock.js';
import { HashRing, type HashRingOptions } from './hash-ring.js';

/** When a failing node leaves the ring and when it is tried again. */
export interface EjectOptions {
  /** Consecutive failed operations after which a node is ejected. @default 3 */
  failures?: number;
  /** How long an ejected node stays out before it is tried again, in ms. @default 30000 */
  retryAfterMs?: number;
}

/** Options of {@link ShardedStore}. */
export interface ShardedStoreOptions {
  /**
   * The stores of the pool by node name. For keys to land where other languages' ketama clients put them,
   * name each node `host:port` as those clients do.
   */
  nodes: Readonly<Record<string, Store>>;
  /** Ring mode, points per server and weights by node name. @default { mode: 'ketama' } */
  ring?: HashRingOptions;
  /** Auto-ejection of failing nodes, or `false` to keep every node on the ring. @default { failures: 3, retryAfterMs: 30000 } */
  eject?: EjectOptions | false;
  /** Name for stats and errors. @default 'sharded' */
  name?: string;
  /** Time source for the ejection window (tests inject one). */
  clock?: Clock;
}

/** Health and traffic of one node. */
export interface ShardNodeStats {
  /** `up`, `ejected` (out of the ring) or `probation` (back on the ring; one failure ejects it again). */
  state: 'up' | 'ejected' | 'probation';
  operations: number;
  errors: number;
  consecutiveFailures: number;
  ejections: number;
  /** When an ejected node will be tried again (clock ms), else `undefined`. */
  retryAt: number | undefined;
}

/** Events of a {@link ShardedStore}. */
export interface ShardedStoreEvents extends Record<string, unknown> {
  /** A node operation failed (reads were answered as misses). */
  error: { node: string; operation: string; error: unknown };
  /** A node left the ring after `failures` consecutive failures (or one failure on probation). */
  eject: { node: string; retryAt: number; error: unknown };
  /** An ejected node is back on the ring after its window. */
  rejoin: { node: string };
}

interface Node {
  readonly name: string;
  readonly store: Store;
  readonly stats: ShardNodeStats;
}

/**
 * A {@link Store} spread over several stores (memcached, standalone Redis, or any mix) by a consistent-hash
 * ring, usable wherever a store is, e.g. as the `l2` of a `Cache`.
 *
 * - Each key lives on the node the {@link HashRing} (libketama-compatible) gives it; `getMany`, `setMany`
 *   and `deleteMany` are grouped per node and sent **in parallel**, one batch per node.
 * - **Failures do not fail reads**: a node error on `get`/`getMany`/`has` is counted, emitted as `error`
 *   and answered as a miss. Writes (`set`, `delete`, `touch`, ...) reject, as the store contract says.
 * - **Ejection (twemproxy `auto_eject_hosts`)**: after `eject.failures` consecutive failures a node leaves
 *   the ring and its keys remap to the remaining nodes (misses there, then refilled); after
 *   `eject.retryAfterMs` it rejoins on probation, where a single failure ejects it again. A node that comes
 *   back without a restart may hold values written before it left: they are bounded by their TTL.
 * - `clear(prefix)` runs on every node; `scan`, `incr`, `setMax` and `getNumbers` exist when every node
 *   has them. `close()` closes every node store.
 *
 * @example
 * const store = new ShardedStore({
 *   nodes: { '10.0.0.1:11211': new MemcachedStore({ url: 'memcached://10.0.0.1:11211' }), ... },
 *   eject: { failures: 3, retryAfterMs: 10_000 },
 * });
 */
export class ShardedStore implements Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** Adds `by` to a counter on its node; present when every node has `incr`. */
  readonly incr?: (key: string, by?: number) => Promise<number>;
  /** Raises a numeric key on its node; present when every node has `setMax`. */
  readonly setMax?: (key: string, value: number, ttlMs?: number) => Promise<number>;
  /** Reads numeric keys grouped per node; present when every node has `getNumbers`. */
  readonly getNumbers?: (keys: readonly string[]) => Promise<number[]>;
  /** Keys matching a glob on every live node; present when every node can scan. */
  readonly scan?: (glob: string) => AsyncIterable<string>;
  readonly #nodes = new Map<string, Node>();
  readonly #ring: HashRing;
  readonly #failureLimit: number;
  readonly #retryAfterMs: number;
  readonly #clock: Clock;
  readonly #events = new Emitter<Payloads<ShardedStoreEvents>>();
  #live: Node[] = [];
  #nextRetry = Number.POSITIVE_INFINITY;
  #closed = false;

  constructor(options: ShardedStoreOptions) {
    assertKnownKeys('options', options, ['nodes', 'ring', 'eject', 'name', 'clock']);
    const { nodes, ring = {}, eject = {}, name = 'sharded', clock = systemClock } = options;
    if (typeof nodes !== 'object' || nodes === null || Object.keys(nodes).length === 0) {
      throw new TypeError(`Expected \`nodes\` to be an object of node name → Store, got ${describe(nodes)}`);
    }
    for (const [nodeName, store] of Object.entries(nodes)) {
      if (typeof store !== 'object' || store === null || typeof store.get !== 'function') {
        throw new TypeError(
          `Expected \`nodes[${JSON.stringify(nodeName)}]\` to be a Store, got ${describe(store)}`,
        );
      }
      this.#nodes.set(nodeName, {
        name: nodeName,
        store,
        stats: {
          state: 'up',
          operations: 0,
          errors: 0,
          consecutiveFailures: 0,
          ejections: 0,
          retryAt: undefined,
        },
      });
    }
    if (eject === false) {
      this.#failureLimit = Number.POSITIVE_INFINITY;
      this.#retryAfterMs = 0;
    } else {
      assertKnownKeys('eject', eject, ['failures', 'retryAfterMs']);
      this.#failureLimit = assertPositiveInt('eject.failures', eject.failures ?? 3);
      this.#retryAfterMs = assertTtl('eject.retryAfterMs', eject.retryAfterMs ?? 30_000);
    }
    this.name = name;
    this.#clock = clock;
    this.#ring = new HashRing(this.#nodes.keys(), ring);
    this.#relink();
    const stores = [...this.#nodes.values()].map((n) => n.store);
    const every = (f: keyof StoreCapabilities): boolean => stores.every((s) => s.capabilities[f] === true);
    this.capabilities = Object.freeze({
      ttl: every('ttl'),
      scan: every('scan') && stores.every((s) => s.scan !== undefined),
      maxValueBytes: Math.min(...stores.map((s) => s.capabilities.maxValueBytes)),
      scripts: every('scripts'),
      pubsub: false,
      locks: false,
    });
    if (this.capabilities.scan) this.scan = (glob) => this.#scan(glob);
    if (stores.every((s) => s.incr !== undefined)) {
      this.incr = (key, by) => this.#write(key, 'incr', (s) => s.incr!(key, by));
    }
    if (stores.every((s) => s.setMax !== undefined)) {
      this.setMax = (key, value, ttlMs) => this.#write(key, 'setMax', (s) => s.setMax!(key, value, ttlMs));
    }
    if (stores.every((s) => s.getNumbers !== undefined)) this.getNumbers = (keys) => this.#getNumbers(keys);
  }

  /**
   * Forwards each node store's ready signal (`Store.onReady`) with the node's name, so the `Cache` probes
   * that node's breaker at once. Does not end an ejection: an ejected node rejoins after `retryAfterMs`.
   */
  onReady(listener: (node: string | undefined) => void): () => void {
    const offs: Array<() => void> = [];
    for (const node of this.#nodes.values()) {
      const off = node.store.onReady?.(() => listener(node.name));
      if (off !== undefined) offs.push(off);
    }
    return () => {
      for (const off of offs) off();
    };
  }

  /** Listens to `error`, `eject` and `rejoin`; returns a function that removes the listener. Never throws. */
  on<E extends keyof ShardedStoreEvents>(
    event: E,
    listener: (payload: ShardedStoreEvents[E]) => void,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Per-node health and counters, by node name (copies). */
  stats(): Record<string, ShardNodeStats> {
    this.#maybeRejoin();
    const out: Record<string, ShardNodeStats> = {};
    for (const node of this.#nodes.values()) out[node.name] = { ...node.stats };
    return out;
  }

  /**
   * The node currently owning `key` (after ejections), or `undefined` when every node is out; the `Cache`
   * keeps one circuit breaker per node it names (`Store.nodeFor`).
   */
  nodeFor(key: string): string | undefined {
    return this.#route(key)?.name;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const node = this.#route(key);
    if (node === undefined) return undefined;
    return this.#call(node, 'get', () => node.store.get(key)).catch(() => undefined);
  }

  async getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    const out = new Array<Uint8Array | undefined>(keys.length).fill(undefined);
    await Promise.all(
      this.#group(keys).map(([node, indexes]) =>
        this.#call(node, 'getMany', () => node.store.getMany(indexes.map((i) => keys[i]!))).then(
          (values) => {
            for (let j = 0; j < indexes.length; j++) out[indexes[j]!] = values[j];
          },
          () => {},
        ),
      ),
    );
    return out;
  }

  async has(key: string): Promise<boolean> {
    const node = this.#route(key);
    if (node === undefined) return false;
    return this.#call(node, 'has', () => node.store.has(key)).catch(() => false);
  }

  set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    return this.#write(key, 'set', (s) => s.set(key, value, ttlMs));
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    const groups = this.#group(entries.map((e) => e.key));
    await settleAll(
      groups.map(([node, indexes]) =>
        this.#call(node, 'setMany', () => node.store.setMany(indexes.map((i) => entries[i]!))),
      ),
    );
  }

  delete(key: string): Promise<boolean> {
    return this.#write(key, 'delete', (s) => s.delete(key));
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    const counts = await settleAll(
      this.#group(keys).map(([node, indexes]) =>
        this.#call(node, 'deleteMany', () => node.store.deleteMany(indexes.map((i) => keys[i]!))),
      ),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  touch(key: string, ttlMs: number): Promise<boolean> {
    return this.#write(key, 'touch', (s) => s.touch(key, ttlMs));
  }

  /** Clears `prefix` on every live node (rejecting if one fails) and, best effort, on ejected ones. */
  async clear(prefix: string): Promise<void> {
    this.#maybeRejoin();
    const live = new Set(this.#live);
    const ejected = [...this.#nodes.values()].filter((n) => !live.has(n));
    for (const node of ejected) node.store.clear(prefix).catch(() => {});
    await settleAll([...live].map((node) => this.#call(node, 'clear', () => node.store.clear(prefix))));
  }

  /** Closes every node store; idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#nodes.values()].map((n) => n.store.close()));
    this.#events.removeAll();
  }

  async *#scan(glob: string): AsyncIterable<string> {
    this.#maybeRejoin();
    for (const node of [...this.#live]) {
      for await (const key of node.store.scan!(glob)) yield key;
    }
  }

  async #getNumbers(keys: readonly string[]): Promise<number[]> {
    const out = new Array<number>(keys.length).fill(0);
    await settleAll(
      this.#group(keys).map(async ([node, indexes]) => {
        const values = await this.#call(node, 'getNumbers', () =>
          node.store.getNumbers!(indexes.map((i) => keys[i]!)),
        );
        for (let j = 0; j < indexes.length; j++) out[indexes[j]!] = values[j]!;
      }),
    );
    return out;
  }

  #write<T>(key: string, operation: string, fn: (store: Store) => Promise<T>): Promise<T> {
    const node = this.#route(key);
    if (node === undefined) return Promise.reject(this.#noNode(operation));
    return this.#call(node, operation, () => fn(node.store));
  }

  #noNode(operation: string): StoreError {
    return new StoreError(`${this.name}.${operation}: every node of the pool is ejected`);
  }

  #route(key: string): Node | undefined {
    this.#maybeRejoin();
    const i = this.#ring.indexOf(key);
    return i < 0 ? undefined : this.#live[i];
  }

  /** Keys grouped by owning node, as [node, indexes into `keys`]; keys with no live node are left out. */
  #group(keys: readonly string[]): Array<[Node, number[]]> {
    this.#maybeRejoin();
    const groups = new Map<Node, number[]>();
    for (let i = 0; i < keys.length; i++) {
      const node = this.#live[this.#ring.indexOf(keys[i]!)];
      if (node === undefined) continue;
      const list = groups.get(node);
      if (list === undefined) groups.set(node, [i]);
      else list.push(i);
    }
    return [...groups];
  }

  async #call<T>(node: Node, operation: string, fn: () => Promise<T>): Promise<T> {
    node.stats.operations++;
    try {
      const result = await fn();
      node.stats.consecutiveFailures = 0;
      if (node.stats.state === 'probation') node.stats.state = 'up';
      return result;
    } catch (error) {
      if (isNodeFailure(error)) this.#failed(node, operation, error);
      throw error;
    }
  }

  #failed(node: Node, operation: string, error: unknown): void {
    const stats = node.stats;
    stats.errors++;
    stats.consecutiveFailures++;
    this.#events.emit('error', { node: node.name, operation, error });
    if (stats.state === 'ejected') return;
    if (stats.state === 'probation' || stats.consecutiveFailures >= this.#failureLimit) {
      const retryAt = this.#clock.now() + this.#retryAfterMs;
      stats.state = 'ejected';
      stats.ejections++;
      stats.retryAt = retryAt;
      this.#nextRetry = Math.min(this.#nextRetry, retryAt);
      this.#ring.removeNode(node.name);
      this.#relink();
      this.#events.emit('eject', { node: node.name, retryAt, error });
    }
  }

  #maybeRejoin(): void {
    const now = this.#clock.now();
    if (now < this.#nextRetry) return;
    let next = Number.POSITIVE_INFINITY;
    for (const node of this.#nodes.values()) {
      const { stats } = node;
      if (stats.state !== 'ejected') continue;
      if (stats.retryAt! <= now) {
        stats.state = 'probation';
        stats.retryAt = undefined;
        stats.consecutiveFailures = 0;
        this.#ring.addNode(node.name);
        this.#events.emit('rejoin', { node: node.name });
      } else {
        next = Math.min(next, stats.retryAt!);
      }
    }
    this.#nextRetry = next;
    this.#relink();
  }

  /** Re-aligns `#live` with the ring's node order after the ring changed. */
  #relink(): void {
    this.#live = this.#ring.nodes.map((name) => this.#nodes.get(name)!);
  }
}

/** A node failure is anything but a usage error (an invalid key, a value over the size limit). */
function isNodeFailure(error: unknown): boolean {
  if (!isCacheError(error)) return true;
  return (
    error instanceof StoreError ||
    error.code.startsWith('ERR_CACHE_STORE') ||
    error.code === 'ERR_CACHE_PROTOCOL'
  );
}

/** Waits for every promise, then rejects with the first failure (so no node's work is left running). */
async function settleAll<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((r) => r.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}
