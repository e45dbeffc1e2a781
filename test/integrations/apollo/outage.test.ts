/**
 * Redis killed under a real Apollo Server 5 mid-traffic: APQ and the response cache over
 * `StratacacheKeyValueCache` keep every query answered (from L1 or by running the resolver), within a
 * bound, with no unhandled rejection; after a restart, writes reach Redis again.
 */
import responseCachePlugin from '@apollo/server-plugin-response-cache';
import { Cache } from 'stratacache';
import { StratacacheKeyValueCache } from 'stratacache/apollo';
import { RedisStore } from 'stratacache/redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { type App, post, sha256, startApp } from './app.js';

let redis: ServerHandle;
let cache: Cache;
let app: App;
const unhandled: unknown[] = [];
const onUnhandled = (e: unknown): void => {
  unhandled.push(e);
};

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  redis = await startRedis();
  cache = new Cache({ l2: new RedisStore({ url: redis.url }), bus: true, l2Timeout: 100 });
  app = await startApp(new StratacacheKeyValueCache(cache.namespace('apollo')), [responseCachePlugin()]);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await app.stop();
  await cache.close();
  await redis.stop();
});

it('queries keep being answered while Redis is dead, in bounded time, without unhandled rejections', async () => {
  const persisted = 'query P($n: String!) { hello(name: $n) }';
  const hash = sha256(persisted);
  await post(app.url, { query: persisted, hash, variables: { n: 'warm' } });

  const CLIENTS = 8;
  const PER_CLIENT = 40;
  let answered = 0;
  let killed: Promise<void> | undefined;
  const failures: string[] = [];
  const started = performance.now();
  const client = async (c: number): Promise<void> => {
    for (let i = 0; i < PER_CLIENT; i++) {
      // Kill Redis once a quarter of the traffic is through; the rest runs against a dead L2.
      if (answered === (CLIENTS * PER_CLIENT) / 4) killed ??= redis.kill();
      const id = String((c * PER_CLIENT + i) % 50);
      const book = await post(app.url, { query: `{ book(id: "${id}") { id title } }` });
      if (JSON.stringify(book.body) !== JSON.stringify({ data: { book: { id, title: `Title ${id}` } } })) {
        failures.push(`book ${id}: ${book.status} ${JSON.stringify(book.body)}`);
      }
      const byHash = await post(app.url, { hash, variables: { n: id } });
      if (JSON.stringify(byHash.body) !== JSON.stringify({ data: { hello: `hello ${id}` } })) {
        failures.push(`apq ${id}: ${byHash.status} ${JSON.stringify(byHash.body)}`);
      }
      answered++;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  await killed;
  const elapsed = performance.now() - started;

  reportFigure('failed queries', failures.length, 'queries');
  reportFigure('queries answered', answered * 2, 'queries');
  reportFigure('all queries done', elapsed, 'ms');
  expect(failures).toEqual([]);
  expect(answered).toBe(CLIENTS * PER_CLIENT);
  expect(killed).toBeDefined();
  // 640 requests: each L2 call is bounded by l2Timeout and the breaker, so this is far below the bound.
  expect(elapsed).toBeLessThan(20_000);
  // 50 distinct books over 320 queries: the response cache (in L1 while Redis is dead) served repeats.
  const runs = [...app.runs.values()].reduce((a, b) => a + b, 0);
  expect(runs).toBeLessThan(CLIENTS * PER_CLIENT);
  expect(unhandled).toEqual([]);

  await redis.restart();
  const newQuery = 'query Q { hello(name: "back") }';
  await expect
    .poll(async () => {
      await post(app.url, { query: newQuery, hash: sha256(newQuery) });
      const other = new Cache({ l2: new RedisStore({ url: redis.url }) });
      try {
        return await other.namespace('apollo').get(`apq:${sha256(newQuery)}`);
      } finally {
        await other.close();
      }
    })
    .toBe(newQuery);
});
