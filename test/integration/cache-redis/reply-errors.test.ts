import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { StoreError, StoreReplyError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe('error replies of a healthy server', () => {
  it('a key holding another type is a counted miss that never opens the breaker for other keys', async () => {
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const cache = new Cache({ l2: new RedisStore({ url: redis.url }), l1: false, prefix: 'rep:' });
    const errors: unknown[] = [];
    cache.on('error', (e) => errors.push(e.error));
    try {
      await raw.rPush('rep:list', ['a', 'b']);
      await cache.set('good', 'g');
      // More failures in a row than the breaker allows (5 by default).
      for (let i = 0; i < 12; i++) expect(await cache.get('list')).toBeUndefined();
      expect(errors.length).toBeGreaterThanOrEqual(12);
      expect(errors.every((e) => e instanceof StoreReplyError)).toBe(true);
      expect((errors[0] as StoreReplyError).code).toBe('ERR_CACHE_STORE_REPLY');
      expect((errors[0] as Error).message).toMatch(/WRONGTYPE/);
      expect(cache.stats().l2CircuitOpen).toBe(false);
      expect(await cache.get('good')).toBe('g');
    } finally {
      raw.destroy();
      await cache.close();
    }
  });

  it('READONLY (a demoted master) is a transport failure: it does count against the breaker', async () => {
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(redis.port)] });
    const store = new RedisStore({ url: replica.url });
    try {
      const err = await store.set('x', new Uint8Array([1]), 1000).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StoreError);
      expect(err).not.toBeInstanceOf(StoreReplyError);
      expect((err as Error).message).toMatch(/READONLY/);
    } finally {
      await store.close();
      await replica.stop();
    }
  });
});
