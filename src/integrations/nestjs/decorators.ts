import { Inject, SetMetadata } from '@nestjs/common';
import { InvalidOptionError } from 'stratacache';
import {
  CACHE_KEY_METADATA,
  CACHE_TAGS_METADATA,
  CACHE_TTL_METADATA,
  INVALIDATE_TAGS_METADATA,
  STRATACACHE,
} from './tokens.js';

/**
 * The incoming request as the adapter gives it (Express `Request` or Fastify `FastifyRequest`): typed
 * loosely so one function works on both adapters.
 */
export interface HttpRequestLike {
  readonly method: string;
  readonly url: string;
  readonly params?: Readonly<Record<string, string | undefined>>;
  readonly query?: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly [field: string]: unknown;
}

/** A cache key: a fixed string or one built from the request. */
export type CacheKeySource = string | ((request: HttpRequestLike) => string);
/** A tag: a fixed string, or tags built from the request (`(req) => \`user:${req.params?.id}\``). */
export type TagSource = string | ((request: HttpRequestLike) => string | readonly string[]);

/** Injects the module's `Cache` (the `STRATACACHE` token). */
export const InjectCache = (): PropertyDecorator & ParameterDecorator => Inject(STRATACACHE);

/** The cache key of a handler's responses, instead of the request URL. */
export function CacheKey(key: CacheKeySource): MethodDecorator & ClassDecorator {
  if (typeof key !== 'function' && (typeof key !== 'string' || key === '')) {
    throw new InvalidOptionError(
      `Expected \`@CacheKey\` to be a non-empty string or a function, got ${describe(key)}`,
    );
  }
  return SetMetadata(CACHE_KEY_METADATA, key);
}

/** TTL (ms) of a handler's (or every handler of a controller's) cached responses; else the cache's `ttl`. */
export function CacheTTL(ttl: number): MethodDecorator & ClassDecorator {
  if (typeof ttl !== 'number' || !(ttl > 0)) {
    throw new InvalidOptionError(
      `Expected \`@CacheTTL\` to be a positive number of milliseconds, got ${describe(ttl)}`,
    );
  }
  return SetMetadata(CACHE_TTL_METADATA, ttl);
}

/** Tags of a handler's cached responses, for `@InvalidateTags` and `cache.invalidateTags`. */
export function CacheTags(...tags: TagSource[]): MethodDecorator & ClassDecorator {
  return SetMetadata(CACHE_TAGS_METADATA, checkTags('@CacheTags', tags));
}

/**
 * Invalidates these tags **after the handler succeeds** (its value emitted, before the response is sent),
 * on any method: put it on the `POST`/`PUT`/`DELETE` that changes what the tagged `GET`s return. A handler
 * that throws invalidates nothing.
 */
export function InvalidateTags(...tags: TagSource[]): MethodDecorator & ClassDecorator {
  return SetMetadata(INVALIDATE_TAGS_METADATA, checkTags('@InvalidateTags', tags));
}

function checkTags(name: string, tags: TagSource[]): TagSource[] {
  if (tags.length === 0) throw new InvalidOptionError(`Expected \`${name}\` to name at least one tag`);
  for (const t of tags) {
    if (typeof t !== 'function' && (typeof t !== 'string' || t === '')) {
      throw new InvalidOptionError(
        `Expected each tag of \`${name}\` to be a non-empty string or a function, got ${describe(t)}`,
      );
    }
  }
  return tags;
}

/** The tags of `sources` for one request; a function's empty strings are dropped. */
export function resolveTags(sources: readonly TagSource[], request: HttpRequestLike): string[] {
  const out: string[] = [];
  for (const s of sources) {
    const v = typeof s === 'function' ? s(request) : s;
    for (const t of typeof v === 'string' ? [v] : v) if (t !== '') out.push(t);
  }
  return out;
}

export function describe(v: unknown): string {
  return `\`${typeof v === 'string' ? JSON.stringify(v) : String(v)}\` (${v === null ? 'null' : typeof v})`;
}
