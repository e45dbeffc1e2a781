/**
 * Keyv's own compliance suite (`@keyv/test-suite` 2, against keyv 5) run on `KeyvStratacache` over an
 * L1-only cache and over L1 + the suite's private Redis. Every exported suite that applies to a storage
 * adapter runs; `keyvCompresstionTests` tests a compression adapter, not a store (see docs/integrations/keyv.md).
 */
import { keyvApiTests, keyvIteratorTests, keyvNamespaceTest, keyvValueTests } from '@keyv/test-suite';
import Keyv from 'keyv';
import { Cache } from 'stratacache';
import { KeyvStratacache } from 'stratacache/keyv';
import { RedisStore } from 'stratacache/redis';
import * as vitest from 'vitest';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

function runSuites(store: () => KeyvStratacache): void {
  keyvApiTests(vitest, Keyv, store);
  keyvValueTests(vitest, Keyv, store);
  keyvNamespaceTest(vitest, Keyv, store);
  keyvIteratorTests(vitest, Keyv, store);
}

vitest.describe('@keyv/test-suite over an L1-only cache', () => {
  const cache = new Cache();
  vitest.afterAll(() => cache.close());
  runSuites(() => new KeyvStratacache(cache));
});

vitest.describe('@keyv/test-suite over L1 + Redis', () => {
  let redis: ServerHandle;
  let cache: Cache;
  vitest.beforeAll(async () => {
    redis = await startRedis();
    cache = new Cache({ l2: new RedisStore({ url: redis.url }), bus: true });
  });
  vitest.afterAll(async () => {
    await cache.close();
    await redis.stop();
  });
  runSuites(() => new KeyvStratacache(cache));
});

vitest.describe('@keyv/test-suite over Redis alone (no L1: every read is a Redis read)', () => {
  let redis: ServerHandle;
  let cache: Cache;
  vitest.beforeAll(async () => {
    redis = await startRedis();
    cache = new Cache({ l1: false, l2: new RedisStore({ url: redis.url }) });
  });
  vitest.afterAll(async () => {
    await cache.close();
    await redis.stop();
  });
  runSuites(() => new KeyvStratacache(cache));
});
