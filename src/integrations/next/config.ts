import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** Where `withStratacache` points Next; by default the handler modules this package ships. */
export interface WithStratacacheOptions {
  /** Module for `cacheHandler` (default export: an incremental handler class). @default 'stratacache/next/incremental' */
  incremental?: string;
  /** Module for `cacheHandlers.default` and `.remote` (default export: a handler). @default 'stratacache/next/use-cache' */
  useCache?: string;
}

/** The fields `withStratacache` sets on a Next config. */
export interface StratacacheNextConfig {
  cacheHandler: string;
  cacheHandlers: Record<string, string | undefined>;
  cacheMaxMemorySize: number;
}

type Phase = string;
type NextConfigFunction<T> = (phase: Phase, context: { defaultConfig: object }) => T | Promise<T>;

/** The absolute path of one of the handler modules shipped in this package's `dist/`. */
function shipped(file: string): string {
  const require = createRequire(join(process.cwd(), 'noop.js'));
  return join(dirname(require.resolve('stratacache/package.json')), 'dist', file);
}

function apply<T extends object>(config: T, options: WithStratacacheOptions): T & StratacacheNextConfig {
  const useCache = options.useCache ?? shipped('next-use-cache.js');
  const own = (config as { cacheHandlers?: Record<string, string | undefined> }).cacheHandlers;
  return {
    ...config,
    cacheHandler: options.incremental ?? shipped('next-incremental.js'),
    cacheHandlers: { default: useCache, remote: useCache, ...own },
    // Next's own in-memory copy in front of a custom handler would serve entries other instances replaced.
    cacheMaxMemorySize: 0,
  };
}

/**
 * A Next config using stratacache for both handler kinds: `cacheHandler` (ISR, route handlers, fetch),
 * `cacheHandlers.default` and `.remote` (`'use cache'`), and `cacheMaxMemorySize: 0`. The shipped handler
 * modules read Redis from `STRATACACHE_REDIS_URL` or `REDIS_URL` (comma-separated URLs: a Cluster); pass
 * your own modules (built with `createIncrementalCacheHandler` / `createUseCacheHandler`) for other options.
 * Handlers you set in `cacheHandlers` yourself win over the defaults.
 *
 * @example
 * // next.config.mjs
 * import { withStratacache } from 'stratacache/next';
 * export default withStratacache({ reactStrictMode: true });
 */
export function withStratacache<T extends object>(
  config: T,
  options?: WithStratacacheOptions,
): T & StratacacheNextConfig;
export function withStratacache<T extends object>(
  config: NextConfigFunction<T>,
  options?: WithStratacacheOptions,
): NextConfigFunction<T & StratacacheNextConfig>;
export function withStratacache<T extends object>(
  config: T | NextConfigFunction<T>,
  options: WithStratacacheOptions = {},
): (T & StratacacheNextConfig) | NextConfigFunction<T & StratacacheNextConfig> {
  if (typeof config === 'function') {
    return async (phase, context) => apply(await config(phase, context), options);
  }
  return apply(config, options);
}
