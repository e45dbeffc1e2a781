import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { settlesWithin } from '../../helpers/clock.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const rich = () => ({
  when: new Date(0),
  tags: new Set(['x']),
  m: new Map<unknown, unknown>([['k', 1]]),
  n: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  negZero: -0,
  big: 2n ** 70n,
  u: undefined,
  buf: Buffer.from('bytes'),
  f32: new Float32Array([0.5]),
});

describe('one value, every tier, through a real redis-server (issue 11)', () => {
  it('a second instance reading from Redis gets what the writer holds in L1, with tags, namespaces and versions', async () => {
    const writer = new Cache({ l2: new RedisStore({ url: redis.url }) });
    const reader = new Cache({ l2: new RedisStore({ url: redis.url }) });
    try {
      await writer.set('obj', rich(), { tags: ['t'] });
      await writer.namespace('users').set('u', rich(), { version: 'v2', tags: ['team'] });
      expect(await writer.get('obj')).toStrictEqual(rich());
      expect(await reader.get('obj')).toStrictEqual(rich());
      expect(await reader.namespace('users').get('u', { version: 'v2' })).toStrictEqual(rich());
      // With Redis gone, the reader's L1 copy (decoded from Redis) is still the same value.
      await redis.kill();
      expect(await settlesWithin(reader.get('obj'))).toStrictEqual(rich());
      expect(await settlesWithin(reader.namespace('users').get('u', { version: 'v2' }))).toStrictEqual(
        rich(),
      );
    } finally {
      await redis.restart();
      await Promise.all([writer.close(), reader.close()]);
    }
  });
});
