import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { version } from '../../../package.json';
import type { Cache } from '../../cache.js';
import { InvalidOptionError, isCacheError } from '../../errors.js';
import { assertKnownKeys, assertTtl, describe } from '../../internal/asserts.js';
import { escapeGlob } from '../../internal/glob.js';
import type { Store } from '../../stores/store.js';
import type { WriteBehindStats } from '../../strategies/write-behind/write-behind-options.js';
import { type FleetView, fleetTotals, type InstanceSnapshot, parseSnapshot, snapshotOf } from './snapshot.js';

/** The key prefix heartbeats are written under unless `keyPrefix` says otherwise. */
export const DEFAULT_FLEET_PREFIX = '__sc_fleet:';

/** Options of {@link startHeartbeat}. */
export interface HeartbeatOptions {
  /** Where snapshots are written: usually the cache's own L2 store (then `cache.close()` also ends the heartbeat). */
  store: Store;
  /** Ms between snapshots. @default 5000 */
  intervalMs?: number;
  /** TTL of a snapshot, in ms: an instance that stops beating leaves the fleet view after it. Must exceed `intervalMs`. @default 3 × intervalMs */
  ttlMs?: number;
  /** A unique id of this instance. @default a random UUID */
  instanceId?: string;
  /** A label shown next to the instance (a service name). */
  name?: string;
  /** The prefix of heartbeat keys; `readFleet` must use the same one. @default '__sc_fleet:' */
  keyPrefix?: string;
  /**
   * Write-behind queues whose depth (`pending`), dead letters and lag go into the snapshot (added up per
   * instance, the lag the worst). Only their `stats()` is read.
   */
  writeBehind?: WriteBehindSource | readonly WriteBehindSource[];
}

/** What the heartbeat and the dashboard read of a write-behind queue (a `WriteBehind` fits). */
export interface WriteBehindSource {
  stats(): WriteBehindStats;
}

/** A running heartbeat (see {@link startHeartbeat}). */
export interface Heartbeat {
  readonly instanceId: string;
  /** The store key this instance writes. */
  readonly key: string;
  /** Snapshots written. */
  readonly beats: number;
  /** Writes that failed (counted, never thrown). */
  readonly failures: number;
  /** The last write error, if any. */
  readonly lastError: Error | undefined;
  /** True after `stop()`, or once the store reports it is closed (the cache closed it). */
  readonly stopped: boolean;
  /** Writes a snapshot now; resolves whether it was written. Never rejects. */
  beat(): Promise<boolean>;
  /** Stops the timer and removes this instance's key (best effort), so it leaves the fleet at once. Idempotent. */
  stop(): Promise<void>;
}

const KNOWN = ['store', 'intervalMs', 'ttlMs', 'instanceId', 'name', 'keyPrefix', 'writeBehind'];
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function checkString(name: string, value: unknown, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new InvalidOptionError(
      `Expected \`${name}\` to be a ${allowEmpty ? '' : 'non-empty '}string, got ${describe(value)}`,
    );
  }
  return value;
}

/** The `writeBehind` option as a list, each checked to have `stats()`. */
export function writeBehindSources(
  value: WriteBehindSource | readonly WriteBehindSource[] | undefined,
): readonly WriteBehindSource[] {
  if (value === undefined) return [];
  const list: readonly unknown[] = Array.isArray(value) ? value : [value];
  for (const [i, q] of list.entries()) {
    if (typeof (q as Partial<WriteBehindSource> | null)?.stats !== 'function') {
      throw new InvalidOptionError(
        `Expected \`writeBehind\`${Array.isArray(value) ? `[${i}]` : ''} to be a write-behind queue (with stats()), got ${describe(q)}`,
      );
    }
  }
  return list as readonly WriteBehindSource[];
}

function checkStore(value: unknown): Store {
  const s = value as Partial<Store> | undefined;
  if (typeof s?.set !== 'function' || typeof s.delete !== 'function') {
    throw new InvalidOptionError(
      `Expected \`store\` to be a Store (with set and delete), got ${describe(value)}`,
    );
  }
  return s as Store;
}

/**
 * Publishes `cache.stats()` as a compact JSON snapshot to `store` every `intervalMs`, under
 * `<keyPrefix><instanceId>` with a TTL, so anyone with access to the store sees every live instance
 * (`readFleet`, `stratacache fleet`, the dashboard). **Opt-in**: nothing is written without it. Besides
 * counters and latency, a snapshot holds the per-server breaker state of the L2 (`nodes`) and, with
 * `writeBehind`, the queues' depth, dead letters and lag; never keys or values.
 *
 * The first snapshot is written at once. The timer is unref'd (it never keeps a process alive); a write
 * still running when the next is due makes that one skip. A failed write is counted in `failures`, never
 * thrown; once the store says it is closed (`cache.close()` closes the cache's L2 store) the heartbeat
 * stops by itself.
 *
 * @example
 * const store = new RedisStore({ url });
 * const cache = new Cache({ l2: store });
 * const heartbeat = startHeartbeat(cache, { store, name: 'api' });
 */
export function startHeartbeat(cache: Pick<Cache, 'stats'>, options: HeartbeatOptions): Heartbeat {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Expected heartbeat options to be an object, got ${describe(options)}`);
  }
  assertKnownKeys('heartbeat', options, KNOWN);
  const store = checkStore(options.store);
  const intervalMs = assertTtl('intervalMs', options.intervalMs ?? 5_000);
  const ttlMs = assertTtl('ttlMs', options.ttlMs ?? 3 * intervalMs);
  if (ttlMs <= intervalMs) {
    throw new InvalidOptionError(
      `Expected \`ttlMs\` to exceed \`intervalMs\` (${intervalMs}), got ${describe(ttlMs)}: every snapshot would expire before the next`,
    );
  }
  const queues = writeBehindSources(options.writeBehind);
  const id = checkString('instanceId', options.instanceId ?? randomUUID(), false);
  const key = checkString('keyPrefix', options.keyPrefix ?? DEFAULT_FLEET_PREFIX, true) + id;
  const identity = {
    id,
    ...(options.name === undefined ? {} : { name: checkString('name', options.name, false) }),
    host: hostname(),
    pid: process.pid,
    version,
    startedAt: Date.now(),
  };

  let beats = 0;
  let failures = 0;
  let lastError: Error | undefined;
  let stopped = false;
  let inFlight: Promise<boolean> | undefined;

  const write = async (): Promise<boolean> => {
    try {
      const snapshot = snapshotOf(
        identity,
        cache.stats(),
        Date.now(),
        { beats, failures },
        queues.map((q) => q.stats()),
      );
      await store.set(key, encoder.encode(JSON.stringify(snapshot)), ttlMs);
      beats++;
      return true;
    } catch (err) {
      failures++;
      lastError = err instanceof Error ? err : new Error(String(err));
      if (isCacheError(err) && err.code === 'ERR_CACHE_CLOSED') halt();
      return false;
    } finally {
      inFlight = undefined;
    }
  };
  const beat = (): Promise<boolean> => {
    if (stopped) return Promise.resolve(false);
    inFlight ??= write();
    return inFlight;
  };
  const timer = setInterval(() => {
    if (inFlight === undefined) void beat();
  }, intervalMs);
  timer.unref();
  const halt = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  void beat();

  return {
    instanceId: id,
    key,
    get beats() {
      return beats;
    },
    get failures() {
      return failures;
    },
    get lastError() {
      return lastError;
    },
    get stopped() {
      return stopped;
    },
    beat,
    async stop() {
      if (stopped) return;
      halt();
      await inFlight;
      try {
        await store.delete(key);
      } catch (err) {
        failures++;
        lastError = err instanceof Error ? err : new Error(String(err));
      }
    },
  };
}

/** Options of {@link readFleet}. */
export interface ReadFleetOptions {
  /** The `keyPrefix` the heartbeats use. @default '__sc_fleet:' */
  keyPrefix?: string;
}

/**
 * Every live instance's last snapshot in `store`, and the fleet's totals (counters summed, latency
 * histograms merged bucket-wise). Needs a store that can scan (`capabilities.scan`: Redis, Redis Cluster);
 * values that are not snapshots are counted in `unreadable` and skipped.
 */
export async function readFleet(store: Store, options: ReadFleetOptions = {}): Promise<FleetView> {
  if (!store?.capabilities?.scan || store.scan === undefined) {
    throw new InvalidOptionError(
      `Expected a store that can scan (capabilities.scan) to list the fleet, got ${store?.name ?? describe(store)}`,
    );
  }
  const prefix = checkString('keyPrefix', options.keyPrefix ?? DEFAULT_FLEET_PREFIX, true);
  const keys: string[] = [];
  for await (const k of store.scan(`${escapeGlob(prefix)}*`)) keys.push(k);
  const values = keys.length === 0 ? [] : await store.getMany(keys);
  const instances: InstanceSnapshot[] = [];
  let unreadable = 0;
  for (const bytes of values) {
    // A key that expired between SCAN and GET is simply gone, not unreadable.
    if (bytes === undefined) continue;
    const s = parseSnapshot(decoder.decode(bytes));
    if (s === undefined) unreadable++;
    else instances.push(s);
  }
  instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { instances, totals: fleetTotals(instances), unreadable };
}
