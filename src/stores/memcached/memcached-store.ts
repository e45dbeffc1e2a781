import { randomBytes } from 'node:crypto';
import { StoreError } from '../../errors.js';
import { assertKnownKeys, assertNonNegativeMs, describe } from '../../internal/asserts.js';
import { systemClock } from '../../ttl/clock.js';
import type { Store, StoreCapabilities, StoreEntry } from '../store.js';
import { CLIENT_OPTION_KEYS, MemcachedClient, type MemcachedClientOptions } from './memcached-client.js';

/** Options of {@link MemcachedStore}: connection options, or an existing `client`. */
export interface MemcachedStoreOptions extends MemcachedClientOptions {
  /** Use this client instead of creating one; the store then does not close it. */
  client?: MemcachedClient;
  /** Name for stats and errors. @default `memcached:<host>:<port>` */
  name?: string;
  /**
   * How often the store re-reads the clear registry written by other processes' `clear(prefix)`, in ms.
   * @default 1000
   */
  clearSyncMs?: number;
}

/** The key holding `[[prefix, generation], ...]` for every prefix ever cleared. */
export const CLEAR_REGISTRY_KEY = '__stratacache:clear-registry';
const CAS_ATTEMPTS = 16;

interface Cleared {
  readonly prefix: string;
  readonly generation: string;
}

/**
 * A {@link Store} over one memcached server (≥ 1.6, meta protocol), through a pipelined
 * {@link MemcachedClient}.
 *
 * Semantics that differ from Redis, by memcached's design:
 * - **TTLs are whole seconds**: a TTL in ms is rounded up (1 ms → 1 s), so entries never expire early.
 * - **No enumeration** (`capabilities.scan = false`): tags and glob patterns are handled by the `Cache`'s
 *   own timestamps. `clear(prefix)` is **O(1)** by generation: it records a fresh generation for the prefix
 *   in a registry item (`__stratacache:clear-registry`, CAS-updated); every key under a cleared prefix is
 *   then mapped to `<key>\0<generation>`, so older items become unreachable and age out by TTL or LRU.
 *   Other processes see a clear within `clearSyncMs` (they re-read the registry that often). The registry
 *   grows by one entry per distinct prefix ever cleared, and, like any memcached item, could be evicted
 *   under memory pressure (it is read often, so it stays at the hot end of the LRU).
 * - **Values are bounded** by the item size (`maxValueBytes`, 1 MiB − 512 by default): a larger `set`
 *   rejects with `ValueTooLargeError`; through a `Cache` that entry is simply not written to this tier.
 * - `incr`, `setMax` and `getNumbers` are atomic on the server (`ma`, and a CAS loop), which is what
 *   `capabilities.scripts` promises the `Cache` (namespace generations, tag timestamps); there is no Lua.
 *
 * @example
 * const store = new MemcachedStore({ url: 'memcached://127.0.0.1:11211' });
 */
export class MemcachedStore implements Store {
  readonly name: string;
  readonly capabilities: StoreCapabilities;
  /** The client this store talks through. */
  readonly client: MemcachedClient;
  readonly #ownsClient: boolean;
  readonly #clearSyncMs: number;
  #cleared: readonly Cleared[] = [];
  #syncedAt = Number.NEGATIVE_INFINITY;
  #loaded = false;
  #syncing: Promise<void> | undefined;
  readonly #readyListeners = new Set<() => void>();

  constructor(options: MemcachedStoreOptions) {
    const { client, name, clearSyncMs, ...clientOptions } = options;
    assertKnownKeys('options', options, ['client', 'name', 'clearSyncMs', ...CLIENT_OPTION_KEYS]);
    if (client !== undefined && !(client instanceof MemcachedClient)) {
      throw new TypeError(`Expected \`client\` to be a MemcachedClient, got ${describe(client)}`);
    }
    this.client = client ?? new MemcachedClient(clientOptions);
    this.#ownsClient = client === undefined;
    this.#clearSyncMs = assertNonNegativeMs('clearSyncMs', clearSyncMs ?? 1000);
    this.name = name ?? `memcached:${this.client.address}`;
    this.capabilities = Object.freeze({
      ttl: true,
      scan: false,
      maxValueBytes: this.client.maxValueBytes,
      scripts: true,
      pubsub: false,
      locks: false,
    });
  }

  get(key: string): Promise<Uint8Array | undefined> {
    // The hot path: no closure unless the clear registry is still loading.
    if (this.#sync() === undefined) return this.client.get(this.#wire(key));
    return this.#ready(() => this.client.get(this.#wire(key)));
  }

  getMany(keys: readonly string[]): Promise<Array<Uint8Array | undefined>> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.#ready(() => this.client.getMany(keys.map((key) => this.#wire(key))));
  }

  set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    return this.#ready(async () => {
      await this.client.set(this.#wire(key), value, { ttlMs });
    });
  }

  async setMany(entries: readonly StoreEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.#sync();
    await this.client.setMany(
      entries.map((e) => ({ key: this.#wire(e.key), value: e.value, ttlMs: e.ttlMs })),
    );
  }

  delete(key: string): Promise<boolean> {
    return this.#ready(() => this.client.delete(this.#wire(key)));
  }

  async deleteMany(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    await this.#sync();
    return this.client.deleteMany(keys.map((key) => this.#wire(key)));
  }

  has(key: string): Promise<boolean> {
    return this.#ready(() => this.client.has(this.#wire(key)));
  }

  touch(key: string, ttlMs: number): Promise<boolean> {
    return this.#ready(() => this.client.touch(this.#wire(key), ttlMs));
  }

  /** Makes every key starting with `prefix` unreachable, in O(1) (see the class notes). */
  async clear(prefix: string): Promise<void> {
    const generation = `${Date.now().toString(36)}.${randomBytes(6).toString('hex')}`;
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.client.gets(CLEAR_REGISTRY_KEY);
      const entries = current === undefined ? [] : parseRegistry(current.value);
      const next = [...entries.filter((e) => e.prefix !== prefix), { prefix, generation }];
      next.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
      const bytes = Buffer.from(JSON.stringify(next.map((e) => [e.prefix, e.generation])));
      const stored =
        current === undefined
          ? await this.client.set(CLEAR_REGISTRY_KEY, bytes, { mode: 'add' })
          : await this.client.set(CLEAR_REGISTRY_KEY, bytes, { cas: current.cas });
      if (stored) {
        this.#adopt(next);
        return;
      }
    }
    throw new StoreError(
      `${this.name}: clear(${JSON.stringify(prefix)}) lost ${CAS_ATTEMPTS} CAS races in a row`,
    );
  }

  /** Adds `by` to a counter (created at `by`); unsigned, so a decrement stops at 0. */
  async incr(key: string, by = 1): Promise<number> {
    await this.#sync();
    return this.client.incr(this.#wire(key), by);
  }

  /** Raises a numeric key to `value` if lower (CAS loop); returns the stored maximum. */
  async setMax(key: string, value: number, ttlMs?: number): Promise<number> {
    await this.#sync();
    const wire = this.#wire(key);
    const bytes = Buffer.from(String(value));
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const current = await this.client.gets(wire);
      if (current !== undefined) {
        const stored = toNumber(current.value);
        if (stored >= value) return stored;
        if (await this.client.set(wire, bytes, { cas: current.cas, ttlMs })) return value;
      } else if (await this.client.set(wire, bytes, { mode: 'add', ttlMs })) {
        return value;
      }
    }
    throw new StoreError(
      `${this.name}: setMax(${JSON.stringify(key)}) lost ${CAS_ATTEMPTS} CAS races in a row`,
    );
  }

  /** Reads numeric keys (0 when absent or not a number), in one batch. */
  async getNumbers(keys: readonly string[]): Promise<number[]> {
    const values = await this.getMany(keys);
    return values.map((v) => (v === undefined ? 0 : toNumber(v)));
  }

  /**
   * Calls `listener` (with no node name: one server) each time the server is reachable again after a
   * failed connect, so the `Cache` probes its breaker at once (see `Store.onReady`).
   */
  onReady(listener: (node: string | undefined) => void): () => void {
    const off = this.client.onReady(() => listener(undefined));
    this.#readyListeners.add(off);
    return () => {
      off();
      this.#readyListeners.delete(off);
    };
  }

  async close(): Promise<void> {
    // A shared client outlives the store: only this store's listeners go.
    for (const off of this.#readyListeners) off();
    this.#readyListeners.clear();
    if (this.#ownsClient) await this.client.close();
  }

  /**
   * The memcached key of `key`: the key itself, or `key\0<generation>...` under cleared prefixes. There a
   * NUL of the key itself is doubled, so no key can spell another key's generation suffix (a generation
   * never starts with NUL): the mapping stays one-to-one.
   */
  #wire(key: string): string {
    const cleared = this.#cleared;
    if (cleared.length === 0) return key;
    let wire: string | undefined;
    for (const c of cleared) {
      if (!key.startsWith(c.prefix)) continue;
      wire ??= key.includes('\0') ? key.replaceAll('\0', '\0\0') : key;
      wire += `\0${c.generation}`;
    }
    return wire ?? key;
  }

  /** Runs `fn` at once, or after the first registry load (later refreshes run in the background). */
  #ready<T>(fn: () => Promise<T>): Promise<T> {
    const loading = this.#sync();
    return loading === undefined ? fn() : loading.then(fn);
  }

  /** Waits for the first registry load; later refreshes run in the background. */
  #sync(): Promise<void> | undefined {
    if (systemClock.now() - this.#syncedAt < this.#clearSyncMs) return undefined;
    this.#syncing ??= this.#load().finally(() => {
      this.#syncing = undefined;
    });
    if (this.#loaded) {
      this.#syncing.catch(() => {});
      return undefined;
    }
    return this.#syncing;
  }

  async #load(): Promise<void> {
    const started = Date.now();
    const value = await this.client.get(CLEAR_REGISTRY_KEY);
    this.#adopt(value === undefined ? [] : parseRegistry(value), started);
  }

  #adopt(entries: readonly Cleared[], at = Date.now()): void {
    this.#cleared = entries;
    this.#syncedAt = at;
    this.#loaded = true;
  }
}

/** The registry's entries; a foreign or corrupt registry counts as empty (the next clear rewrites it). */
function parseRegistry(bytes: Uint8Array): Cleared[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (!Array.isArray(parsed)) return [];
    return parsed
      .filter(
        (e): e is [string, string] =>
          Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string',
      )
      .map(([prefix, generation]) => ({ prefix, generation }));
  } catch {
    return [];
  }
}

function toNumber(bytes: Uint8Array): number {
  const n = Number(Buffer.from(bytes).toString('latin1'));
  return Number.isFinite(n) ? n : 0;
}
