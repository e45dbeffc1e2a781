export {
  MemcachedClient,
  type MemcachedClientOptions,
  type MemcachedLease,
  type MemcachedSetMode,
  type MemcachedSetOptions,
} from './memcached-client.js';
export { MemcachedStore, type MemcachedStoreOptions } from './memcached-store.js';
