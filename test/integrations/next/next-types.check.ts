/**
 * Compile-time check (run by `npm run typecheck`): the structural types of stratacache/next fit the
 * interfaces of the installed Next, so a Next release that changes them fails the typecheck.
 */

import type { NextConfig } from 'next';
import type { CacheHandler as NextUseCacheHandler } from 'next/dist/server/lib/cache-handlers/types';
import type {
  CacheHandlerContext,
  CacheHandler as NextIncrementalHandler,
} from 'next/dist/server/lib/incremental-cache';
import { createIncrementalCacheHandler, createUseCacheHandler, withStratacache } from 'stratacache/next';

type Get = NextIncrementalHandler['get'];
type Set = NextIncrementalHandler['set'];
type Revalidate = NextIncrementalHandler['revalidateTag'];

// Next's arguments fit the handler's (its values are wider than the structural `IncrementalValue`).
const Incremental = createIncrementalCacheHandler({ redis: false });
const handler = new Incremental({} as CacheHandlerContext);
export const get: (...args: Parameters<Get>) => Promise<unknown> = (...args) => handler.get(...args);
export const set: (...args: Parameters<Set>) => Promise<void> = (...args) => handler.set(...args);
export const revalidate: (...args: Parameters<Revalidate>) => Promise<void> = (...args) =>
  handler.revalidateTag(...args);
export const useCache: NextUseCacheHandler = createUseCacheHandler({ redis: false });
export const config: NextConfig = withStratacache({ reactStrictMode: true } satisfies NextConfig);
