import { ttlOf } from './incremental-handler.js';
import { isNextCache, type NextCache, type NextCacheOptions, sharedNextCache } from './runtime.js';
import { passedExpiration, tagVerdict } from './tag-manifest.js';
import type { TagDurations, UseCacheEntry, UseCacheHandler } from './types.js';

/** What a `'use cache'` entry is stored as; `v` is the streamed bytes in base64 (see wire.ts for why). */
interface StoredUseCacheEntry {
  v: string;
  t: string[];
  s: number;
  ts: number;
  e: number | null;
  r: number;
}

type Meta = Omit<UseCacheEntry, 'value'>;

const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');

/** Non-finite durations (Next allows `Infinity`) travel as null through JSON. */
function decodeEntry(raw: unknown): { bytes: Buffer; meta: Meta } | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Partial<StoredUseCacheEntry>;
  if (
    typeof s.v !== 'string' ||
    !strings(s.t) ||
    typeof s.s !== 'number' ||
    typeof s.ts !== 'number' ||
    typeof s.r !== 'number' ||
    (s.e !== null && typeof s.e !== 'number')
  ) {
    return undefined;
  }
  return {
    bytes: Buffer.from(s.v, 'base64'),
    meta: {
      tags: s.t,
      stale: s.s,
      timestamp: s.ts,
      expire: s.e ?? Number.POSITIVE_INFINITY,
      revalidate: s.r,
    },
  };
}

function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

async function drain(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

const EXPIRED = Symbol('expired');

/** The entry to answer for a stored value (its `revalidate` -1 when a tag is stale), a miss, or EXPIRED by a tag. */
async function judge(
  nc: NextCache,
  raw: unknown,
  softTags: readonly string[],
): Promise<UseCacheEntry | undefined | typeof EXPIRED> {
  const found = decodeEntry(raw);
  if (found === undefined) return undefined;
  const { meta } = found;
  const now = nc.clock.now();
  if (now > meta.timestamp + meta.expire * 1000) return undefined;
  const tags = softTags.length === 0 ? meta.tags : [...meta.tags, ...softTags];
  let revalidate = meta.revalidate;
  if (tags.length > 0) {
    const verdict = tagVerdict(await nc.tags.times(tags), meta.timestamp, now);
    if (verdict === 'expired') return EXPIRED;
    if (verdict === 'stale') revalidate = -1;
  }
  return { ...meta, revalidate, value: streamOf(found.bytes) };
}

/**
 * A handler for Next's `cacheHandlers` (`'use cache'` and `'use cache: remote'`), over one L1 per instance
 * and Redis shared by the fleet.
 *
 * `set` receives the entry while its stream is still being written: it stores the bytes once the stream
 * ends (an errored stream stores nothing), and a `get` of the same key in this process **waits for that
 * `set`** instead of missing. Entries live in Redis until their `expire` (capped by `maxTtl`; `Infinity`
 * becomes `maxTtl`, never a Redis TTL). `get` answers `undefined` when one of the entry's tags or the
 * request's soft (implicit path) tags expired after the entry was made, and `revalidate: -1` (serve once,
 * regenerate) when one was marked stale. `getExpiration` is the latest tag expiry that has passed, `0` when
 * none; `updateTags` records a revalidation for every instance (with durations: stale now, expired after
 * `expire`; without: expired now).
 *
 * @example
 * // use-cache-handler.mjs, named by `cacheHandlers.default` in next.config
 * import { createUseCacheHandler } from 'stratacache/next';
 * export default createUseCacheHandler({ redis: process.env.REDIS_URL });
 */
export function createUseCacheHandler(options: NextCacheOptions | NextCache = {}): UseCacheHandler {
  let shared: NextCache | undefined = isNextCache(options) ? options : undefined;
  const nextCache = (): NextCache => {
    shared ??= sharedNextCache(options as NextCacheOptions);
    return shared;
  };
  /** `set`s in flight in this process, by key; removed when they settle (never the pending entry itself). */
  const pending = new Map<string, Promise<void>>();
  const keyOf = (cacheKey: string): string => `u:${cacheKey}`;

  async function store(cacheKey: string, pendingEntry: Promise<UseCacheEntry>): Promise<void> {
    const entry = await pendingEntry;
    // An `expire: 0` entry is dynamic: Next regenerates it on every read, so storing it is wasted work.
    if (entry.expire === 0) return;
    const bytes = await drain(entry.value);
    const stored: StoredUseCacheEntry = {
      v: bytes.toString('base64'),
      t: entry.tags,
      s: entry.stale,
      ts: entry.timestamp,
      e: Number.isFinite(entry.expire) ? entry.expire : null,
      r: entry.revalidate,
    };
    const nc = nextCache();
    await nc.cache.set(keyOf(cacheKey), stored, { ttl: ttlOf(entry.expire, nc.maxTtl) });
  }

  return {
    async get(cacheKey, softTags) {
      const inFlight = pending.get(cacheKey);
      if (inFlight !== undefined) await inFlight;
      const nc = nextCache();
      const local = await judge(nc, await nc.cache.get(keyOf(cacheKey)), softTags);
      if (local !== EXPIRED) return local;
      // The L1 copy predates a revalidation; another instance may have stored a fresh entry already.
      if (nc.shared === undefined) return undefined;
      const shared = await judge(nc, await nc.shared.get(keyOf(cacheKey)), softTags);
      return shared === EXPIRED ? undefined : shared;
    },

    async set(cacheKey, pendingEntry) {
      const done = store(cacheKey, pendingEntry).catch(() => {
        // A stream that errored (or an entry that failed) stores nothing: the next read is a miss.
      });
      pending.set(cacheKey, done);
      try {
        await done;
      } finally {
        if (pending.get(cacheKey) === done) pending.delete(cacheKey);
      }
    },

    async refreshTags() {
      // Tag times arrive through the bus and the memo's `tagSyncInterval`; nothing to fetch per request.
    },

    async getExpiration(tags) {
      if (tags.length === 0) return 0;
      const nc = nextCache();
      return passedExpiration(await nc.tags.times(tags), nc.clock.now());
    },

    async updateTags(tags: string[], durations?: TagDurations) {
      await nextCache().tags.update(tags, durations);
    },
  };
}
