import { assertKnownKeys, assertPositiveInt, describe } from '../internal/asserts.js';
import type { StatsSource } from './catalog.js';
import type { CacheStats, NamespaceCounts } from './stats.js';

/** Options of {@link trackNamespaces}. */
export interface TrackNamespacesOptions {
  /**
   * Most namespaces counted apart; lookups of later ones add up under `_other`, so a label set stays
   * bounded whatever the application does. Keys are never labels. @default 32
   */
  max?: number;
}

/** What {@link trackNamespaces} returns: a stats source for the exporters, the fleet view and the dashboard. */
export interface NamespaceTracker extends StatsSource {
  /** `cache.stats()` plus `namespaces`: hits and misses by namespace id. */
  stats(): CacheStats;
  /** Stops counting (removes the listeners). Idempotent. */
  close(): void;
}

/** Names of the label values that are not namespace ids. */
export const ROOT_NAMESPACE = '_root';
export const OTHER_NAMESPACES = '_other';

// A namespaced key is `<name>@<generation>:<key>`, nested scopes repeating the head (see NamespaceScope).
const HEAD = /^([A-Za-z0-9_.-]{1,64})@\d+:/;

/** The namespace id (`a/b` for nested scopes) of an L1 key as the cache's events carry it. */
export function namespaceOf(key: string): string {
  let id = '';
  let rest = key;
  for (let m = HEAD.exec(rest); m !== null; m = HEAD.exec(rest)) {
    id = id === '' ? m[1]! : `${id}/${m[1]!}`;
    rest = rest.slice(m[0].length);
  }
  return id === '' ? ROOT_NAMESPACE : id;
}

/**
 * Counts a cache's hits and misses per namespace (the root cache and every `cache.namespace(name)` scope
 * share one stats recorder, so `cache.stats()` alone cannot tell them apart). Feed the returned source to
 * `prometheusCollector`, `registerOpenTelemetry`, the fleet heartbeat or the dashboard instead of the cache.
 *
 * It listens to the cache's `hit` and `miss` events, which costs one small event object per lookup while
 * it runs; that is why it is opt-in.
 *
 * @example
 * const source = trackNamespaces(cache, { max: 16 });
 * prometheusCollector(source, { registry });
 */
/** What {@link trackNamespaces} reads: a cache's stats and its `hit` / `miss` events (a `Cache` is one). */
export interface HitMissSource extends StatsSource {
  on(event: 'hit' | 'miss', listener: (payload: { key: string }) => void): () => void;
}

export function trackNamespaces(
  cache: HitMissSource,
  options: TrackNamespacesOptions = {},
): NamespaceTracker {
  if (typeof (cache as HitMissSource | null)?.on !== 'function' || typeof cache.stats !== 'function') {
    throw new TypeError(`Expected \`cache\` to be a Cache, got ${describe(cache)}`);
  }
  assertKnownKeys('options', options, ['max']);
  const max = assertPositiveInt('max', options.max ?? 32);
  const counts = new Map<string, NamespaceCounts>();
  const counter = (key: string): NamespaceCounts => {
    const id = namespaceOf(key);
    let c = counts.get(id);
    if (c !== undefined) return c;
    const label = counts.size < max ? id : OTHER_NAMESPACES;
    c = counts.get(label);
    if (c === undefined) {
      c = { hits: 0, misses: 0 };
      counts.set(label, c);
    }
    return c;
  };
  const offHit = cache.on('hit', ({ key }) => {
    counter(key).hits++;
  });
  const offMiss = cache.on('miss', ({ key }) => {
    counter(key).misses++;
  });
  return {
    stats() {
      const namespaces: Record<string, NamespaceCounts> = {};
      for (const [id, c] of counts) namespaces[id] = { ...c };
      return { ...cache.stats(), namespaces };
    },
    close() {
      offHit();
      offMiss();
    },
  };
}
