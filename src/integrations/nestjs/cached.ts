import { Cache, type GetOrSetOptions, InvalidOptionError } from 'stratacache';
import { describe } from './decorators.js';

/** Options of `@Cached`. */
export interface CachedOptions<A extends unknown[] = unknown[]> {
  /**
   * The cache key of a call.
   * @default `ClassName.method:` and the arguments as JSON (give `key` when they are not JSON, or large)
   */
  key?: string | ((...args: A) => string);
  /** TTL (ms) of the cached result. @default the cache's `ttl` */
  ttl?: number;
  /** Tags of the cached result (fixed, or built from the arguments), for `cache.invalidateTags`. */
  tags?: readonly string[] | ((...args: A) => readonly string[]);
}

/** Instances the module bound to its cache, and classes with a `@Cached` method (for the module to bind). */
const bound = new WeakMap<object, Cache>();
const cachedClasses = new WeakSet<object>();

/** Whether `type` (a provider's class) has a `@Cached` method. */
export function hasCachedMethods(type: unknown): boolean {
  return typeof type === 'function' && cachedClasses.has(type);
}

/** Binds a provider instance to a module's cache; the first module to bind it wins. */
export function bindCache(instance: object, cache: Cache): void {
  if (!bound.has(instance)) bound.set(instance, cache);
}

/**
 * The cache of a `@Cached` call: the module's (bound when the application starts), else a `Cache` the
 * instance holds in one of its own fields (a service built with `new` in a unit test).
 */
function cacheOf(instance: object, where: string): Cache {
  const known = bound.get(instance);
  if (known !== undefined) return known;
  for (const v of Object.values(instance)) {
    if (v instanceof Cache) {
      bound.set(instance, v);
      return v;
    }
  }
  throw new InvalidOptionError(
    `\`@Cached\` on ${where} found no cache: import StratacacheModule in the application, or give the instance a \`Cache\` field (\`@InjectCache()\`)`,
  );
}

/**
 * Caches an async method's results with `cache.getOrSet`: **one call runs per key at a time** (concurrent
 * callers share it), and the cache's stale-while-revalidate, grace and timeouts apply. The method always
 * returns a promise. The cache is the application's `StratacacheModule` cache.
 *
 * @example
 * \@Cached({ key: (id: string) => `user:${id}`, ttl: 60_000, tags: (id: string) => [`user:${id}`] })
 * async findUser(id: string): Promise<User> { ... }
 */
export function Cached<A extends unknown[] = unknown[]>(
  options: CachedOptions<A> = {},
): (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor) => void {
  const { key, ttl, tags } = checkCachedOptions(options);
  return (target, propertyKey, descriptor) => {
    const original: unknown = descriptor.value;
    if (typeof original !== 'function') {
      throw new InvalidOptionError(
        `Expected \`@Cached\` on a method, got ${String(propertyKey)} (${typeof original})`,
      );
    }
    const owner = target.constructor;
    const where = `${owner.name}.${String(propertyKey)}`;
    cachedClasses.add(owner);
    // async: a missing cache or a throwing `key` rejects, as the method's own errors would.
    descriptor.value = async function cached(this: object, ...args: A): Promise<unknown> {
      const cache = cacheOf(this, where);
      const k =
        key === undefined ? `${where}:${JSON.stringify(args)}` : typeof key === 'string' ? key : key(...args);
      const opts: GetOrSetOptions = {};
      if (ttl !== undefined) opts.ttl = ttl;
      if (tags !== undefined) opts.tags = typeof tags === 'function' ? tags(...args) : tags;
      return cache.getOrSet(k, () => (original as (...a: A) => unknown).apply(this, args), opts);
    };
  };
}

function checkCachedOptions<A extends unknown[]>(options: CachedOptions<A>): CachedOptions<A> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Expected \`@Cached\` options to be an object, got ${describe(options)}`);
  }
  for (const k of Object.keys(options)) {
    if (k !== 'key' && k !== 'ttl' && k !== 'tags') {
      throw new InvalidOptionError(`Unknown \`@Cached\` option \`${k}\`; expected key, ttl or tags`);
    }
  }
  const { key, ttl, tags } = options;
  if (key !== undefined && typeof key !== 'function' && (typeof key !== 'string' || key === '')) {
    throw new InvalidOptionError(
      `Expected \`@Cached\` \`key\` to be a non-empty string or a function, got ${describe(key)}`,
    );
  }
  if (ttl !== undefined && (typeof ttl !== 'number' || !(ttl > 0))) {
    throw new InvalidOptionError(
      `Expected \`@Cached\` \`ttl\` to be a positive number of milliseconds, got ${describe(ttl)}`,
    );
  }
  if (
    tags !== undefined &&
    typeof tags !== 'function' &&
    !(Array.isArray(tags) && tags.every((t) => typeof t === 'string'))
  ) {
    throw new InvalidOptionError(
      `Expected \`@Cached\` \`tags\` to be an array of strings or a function, got ${describe(tags)}`,
    );
  }
  return options;
}
