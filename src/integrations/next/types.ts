/**
 * The parts of Next.js's cache-handler interfaces these handlers use, written out structurally so the
 * package's types do not reach into `next/dist/...` paths that move between releases. A type test checks
 * them against the installed Next (test/integrations/next/types.test.ts).
 */

/** Tag lifetimes passed to `revalidateTag` / `updateTags` (seconds). */
export interface TagDurations {
  expire?: number;
}

/** What `next start` passes to the incremental handler's constructor (one per request). */
export interface IncrementalHandlerContext {
  dev?: boolean | undefined;
  serverDistDir?: string | undefined;
  /** Tags revalidated by an upstream proxy in minimal mode. */
  revalidatedTags?: readonly string[] | undefined;
}

/** A route's cache lifetime as Next passes it to `set` (seconds). */
export interface CacheControl {
  revalidate: number | false;
  expire: number | undefined;
}

/** The `ctx` of the incremental handler's `get`. */
export interface IncrementalGetContext {
  kind: string;
  revalidate?: number | false | undefined;
  tags?: string[] | undefined;
  softTags?: string[] | undefined;
  isFallback?: boolean | undefined;
}

/** The `ctx` of the incremental handler's `set`. */
export interface IncrementalSetContext {
  fetchCache?: boolean | undefined;
  tags?: string[] | undefined;
  cacheControl?: CacheControl | undefined;
}

/** One of Next's `IncrementalCacheValue` kinds (pages, app routes, fetch, redirects, images). */
export interface IncrementalValue {
  kind: string;
  /** Pages and app routes: response headers (Next lists the entry's tags in `x-next-cache-tags`). */
  headers?: unknown;
  /** Fetch entries: the fetch's tags. */
  tags?: unknown;
}

/** What the incremental handler's `get` resolves. */
export interface IncrementalEntry {
  lastModified: number;
  value: IncrementalValue | null;
  cacheControl?: CacheControl;
}

/** A `'use cache'` entry (Next's `CacheEntry`); durations in seconds, `timestamp` in ms. */
export interface UseCacheEntry {
  value: ReadableStream<Uint8Array>;
  tags: string[];
  stale: number;
  timestamp: number;
  expire: number;
  revalidate: number;
}

/** Next's `'use cache'` handler interface (`cacheHandlers: { default, remote }`). */
export interface UseCacheHandler {
  get(cacheKey: string, softTags: string[]): Promise<UseCacheEntry | undefined>;
  set(cacheKey: string, pendingEntry: Promise<UseCacheEntry>): Promise<void>;
  refreshTags(): Promise<void>;
  getExpiration(tags: string[]): Promise<number>;
  updateTags(tags: string[], durations?: TagDurations): Promise<void>;
}
