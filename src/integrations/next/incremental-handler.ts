import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isNextCache, type NextCache, type NextCacheOptions, sharedNextCache } from './runtime.js';
import { type TagTimes, tagVerdict } from './tag-manifest.js';
import type {
  CacheControl,
  IncrementalEntry,
  IncrementalGetContext,
  IncrementalHandlerContext,
  IncrementalSetContext,
  IncrementalValue,
  TagDurations,
} from './types.js';
import { fromWire, toWire } from './wire.js';

/** What an incremental entry is stored as: its value in wire form, when it was made, its lifetime and tags. */
interface StoredEntry {
  m: number;
  c?: CacheControl;
  t: string[];
  v: unknown;
}

/** Header in which Next lists the tags of a rendered page or route (explicit and implicit). */
const TAGS_HEADER = 'x-next-cache-tags';
/** Next's "never expires" lifetime (seconds), treated like `Infinity`. */
const INFINITE_CACHE_S = 0xfffffffe;

const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
const isObject = (x: unknown): boolean => typeof x === 'object' && x !== null;
const optional = (x: unknown, check: (x: unknown) => boolean): boolean => x === undefined || check(x);
const isString = (x: unknown): boolean => typeof x === 'string';
const isNumber = (x: unknown): boolean => typeof x === 'number';

/** Whether `v` has the fields Next reads from a value of its kind (a foreign value must not reach Next). */
function wellFormed(v: Record<string, unknown>): boolean {
  switch (v.kind) {
    case 'APP_PAGE':
      return (
        isString(v.html) &&
        optional(v.rscData, Buffer.isBuffer) &&
        optional(v.segmentData, (m) => m instanceof Map && [...m.values()].every(Buffer.isBuffer)) &&
        optional(v.headers, isObject) &&
        optional(v.status, isNumber) &&
        optional(v.postponed, isString)
      );
    case 'PAGES':
      return (
        isString(v.html) &&
        isObject(v.pageData) &&
        optional(v.headers, isObject) &&
        optional(v.status, isNumber)
      );
    case 'APP_ROUTE':
      return Buffer.isBuffer(v.body) && isNumber(v.status) && isObject(v.headers);
    case 'FETCH': {
      const d = v.data as Record<string, unknown> | undefined;
      return (
        isObject(d) && isObject(d!.headers) && isString(d!.body) && isString(d!.url) && isNumber(v.revalidate)
      );
    }
    case 'REDIRECT':
      return isObject(v.props);
    case 'IMAGE':
      return isString(v.etag) && Buffer.isBuffer(v.buffer) && isString(v.extension);
    default:
      return false;
  }
}

/** The stored entry, or undefined for anything this handler did not write (a foreign or corrupt value). */
function decodeEntry(raw: unknown, fetchKind: boolean): (IncrementalEntry & { tags: string[] }) | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const s = raw as Partial<StoredEntry>;
  if (typeof s.m !== 'number' || !strings(s.t)) return undefined;
  let value: unknown;
  try {
    value = fromWire(s.v);
  } catch {
    return undefined;
  }
  if (value !== null) {
    if (!isObject(value) || !wellFormed(value as Record<string, unknown>)) return undefined;
    // Next throws an invariant error (a 500) when a fetch lookup gets a page or the reverse.
    if (((value as IncrementalValue).kind === 'FETCH') !== fetchKind) return undefined;
  } else if (fetchKind) {
    return undefined;
  }
  const entry: IncrementalEntry & { tags: string[] } = {
    lastModified: s.m,
    value: value as IncrementalValue | null,
    tags: s.t,
  };
  const c = s.c;
  if (typeof c === 'object' && c !== null) entry.cacheControl = fromWire(c) as CacheControl;
  return entry;
}

function headerTags(value: IncrementalValue | null): string[] {
  const headers = value?.headers;
  if (typeof headers !== 'object' || headers === null) return [];
  const h = (headers as Record<string, unknown>)[TAGS_HEADER];
  return typeof h === 'string' && h.length > 0 ? h.split(',') : [];
}

/** Seconds from Next to a finite TTL in ms, capped by `maxTtl` (Next's lifetimes may be Infinity). */
export function ttlOf(seconds: number | false | undefined, maxTtl: number): number {
  if (
    typeof seconds !== 'number' ||
    !Number.isFinite(seconds) ||
    seconds <= 0 ||
    seconds >= INFINITE_CACHE_S
  ) {
    return maxTtl;
  }
  return Math.min(seconds * 1000, maxTtl);
}

function readBuildId(ctx: IncrementalHandlerContext): string {
  if (typeof ctx.serverDistDir !== 'string') return 'dev';
  try {
    return readFileSync(join(ctx.serverDistDir, '..', 'BUILD_ID'), 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** The incremental cache handler class `createIncrementalCacheHandler` returns (Next's `CacheHandler`). */
export interface IncrementalCacheHandler {
  get(key: string, ctx: IncrementalGetContext): Promise<IncrementalEntry | null>;
  set(key: string, data: IncrementalValue | null, ctx: IncrementalSetContext): Promise<void>;
  revalidateTag(tags: string | string[], durations?: TagDurations): Promise<void>;
  resetRequestCache(): void;
}

export type IncrementalCacheHandlerClass = new (ctx: IncrementalHandlerContext) => IncrementalCacheHandler;

const buildIds = new Map<string, string>();
const EXPIRED = Symbol('expired');

/**
 * A class for Next's `cacheHandler` option: ISR pages, route handlers, the `fetch` cache, redirects and
 * images, over one L1 per instance and Redis shared by the fleet.
 *
 * Values come back in the shape Next stored (binary stays binary). Page and route entries are keyed by the
 * build (`BUILD_ID`), fetch entries are not (their data outlives a deploy). Tags (explicit and Next's
 * implicit path tags) are checked on read against the shared tag times: after `revalidateTag(tag)` without
 * durations an older entry is a miss; with durations it is served stale once while Next regenerates it.
 *
 * Next constructs the class once per request, so all instances share the process's `NextCache`.
 *
 * @example
 * // cache-handler.mjs, named by `cacheHandler` in next.config
 * import { createIncrementalCacheHandler } from 'stratacache/next';
 * export default createIncrementalCacheHandler({ redis: process.env.REDIS_URL });
 */
export function createIncrementalCacheHandler(
  options: NextCacheOptions | NextCache = {},
): IncrementalCacheHandlerClass {
  let shared: NextCache | undefined = isNextCache(options) ? options : undefined;
  const nextCache = (): NextCache => {
    shared ??= sharedNextCache(options as NextCacheOptions);
    return shared;
  };

  return class StratacacheIncrementalHandler implements IncrementalCacheHandler {
    readonly #nc: NextCache;
    readonly #buildId: string;
    readonly #revalidated: readonly string[];

    constructor(ctx: IncrementalHandlerContext) {
      this.#nc = nextCache();
      const dir = typeof ctx.serverDistDir === 'string' ? ctx.serverDistDir : '';
      let id = buildIds.get(dir);
      if (id === undefined) {
        id = readBuildId(ctx);
        buildIds.set(dir, id);
      }
      this.#buildId = id;
      this.#revalidated = strings(ctx.revalidatedTags) ? ctx.revalidatedTags : [];
    }

    #key(key: string, kind: string): string {
      if (kind === 'FETCH') return `f:${key}`;
      if (kind === 'IMAGE') return `i:${key}`;
      return `r:${this.#buildId}:${key}`;
    }

    async get(key: string, ctx: IncrementalGetContext): Promise<IncrementalEntry | null> {
      const k = this.#key(key, ctx.kind);
      const local = await this.#judge(await this.#nc.cache.get(k), ctx);
      if (local !== EXPIRED) return local;
      // The L1 copy predates a revalidation; another instance may have stored a fresh entry already.
      const shared =
        this.#nc.shared === undefined ? EXPIRED : await this.#judge(await this.#nc.shared.get(k), ctx);
      return shared === EXPIRED ? null : shared;
    }

    /** What to answer for a stored value: the entry (possibly marked stale), a miss, or EXPIRED by a tag. */
    async #judge(
      raw: unknown,
      ctx: IncrementalGetContext,
    ): Promise<IncrementalEntry | null | typeof EXPIRED> {
      const fetchKind = ctx.kind === 'FETCH';
      const entry = decodeEntry(raw, fetchKind);
      if (entry === undefined) return null;
      const tags = fetchKind ? [...entry.tags, ...(ctx.tags ?? []), ...(ctx.softTags ?? [])] : entry.tags;
      if (tags.length === 0) return this.#answer(entry);
      if (fetchKind && tags.some((t) => this.#revalidated.includes(t))) return null;
      const times: TagTimes[] = await this.#nc.tags.times(tags);
      const now = this.#nc.clock.now();
      switch (tagVerdict(times, entry.lastModified, now)) {
        case 'expired':
          return EXPIRED;
        case 'stale':
          return fetchKind ? this.#staleFetch(entry, ctx, now) : this.#staleResponse(entry, now);
        default:
          return this.#answer(entry);
      }
    }

    #answer(entry: IncrementalEntry): IncrementalEntry {
      const out: IncrementalEntry = { lastModified: entry.lastModified, value: entry.value };
      if (entry.cacheControl !== undefined) out.cacheControl = entry.cacheControl;
      return out;
    }

    /** A fetch entry Next will see as past its revalidate time (it serves it and refetches in the background). */
    #staleFetch(entry: IncrementalEntry, ctx: IncrementalGetContext, now: number): IncrementalEntry | null {
      const revalidate = ctx.revalidate || (entry.value as { revalidate?: unknown } | null)?.revalidate;
      if (typeof revalidate !== 'number' || !Number.isFinite(revalidate)) return null;
      return { lastModified: Math.min(entry.lastModified, now - revalidate * 1000 - 1), value: entry.value };
    }

    /**
     * A page/route entry Next will see as past its revalidate time, so it serves it once and regenerates it in
     * the background: made earlier (when the route revalidates on a timer, still within its expire time), or
     * else given a lifetime of `revalidate: 0`.
     */
    #staleResponse(entry: IncrementalEntry, now: number): IncrementalEntry {
      const cc = entry.cacheControl;
      if (cc !== undefined && typeof cc.revalidate === 'number' && cc.revalidate > 0) {
        const made = Math.min(entry.lastModified, now - cc.revalidate * 1000 - 1);
        if (cc.expire === undefined || made + cc.expire * 1000 > now) {
          return { lastModified: made, value: entry.value, cacheControl: cc };
        }
      }
      return {
        lastModified: entry.lastModified,
        value: entry.value,
        cacheControl: { revalidate: 0, expire: cc?.expire },
      };
    }

    async set(key: string, data: IncrementalValue | null, ctx: IncrementalSetContext): Promise<void> {
      const fetchKind = data?.kind === 'FETCH' || ctx.fetchCache === true;
      const kind = fetchKind ? 'FETCH' : (data?.kind ?? 'APP_PAGE');
      const tags = fetchKind ? (ctx.tags ?? (strings(data?.tags) ? data.tags : [])) : headerTags(data);
      const stored: StoredEntry = { m: this.#nc.clock.now(), t: tags, v: toWire(data) };
      const cc = fetchKind ? undefined : ctx.cacheControl;
      if (cc !== undefined) stored.c = toWire(cc) as CacheControl;
      await this.#nc.cache.set(this.#key(key, kind), stored, { ttl: ttlOf(cc?.expire, this.#nc.maxTtl) });
    }

    async revalidateTag(tags: string | string[], durations?: TagDurations): Promise<void> {
      await this.#nc.tags.update(typeof tags === 'string' ? [tags] : tags, durations);
    }

    resetRequestCache(): void {}
  };
}
