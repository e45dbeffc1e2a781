/**
 * Issue 12: a tag invalidation or namespace clear announced while B's connections are cut must not come
 * back after B's bus reset. B reaches Redis through the fault proxy; A directly. After the reset, B may
 * serve the new value or a miss, never the old one.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import type { StoreError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { eventually, sleep } from '../redis/targets.js';

let redis: ServerHandle;
let proxy: FaultProxy;
const open: Cache[] = [];
beforeAll(async () => {
  redis = await startRedis();
  proxy = await startFaultProxy({ port: redis.port });
});
afterEach(async () => {
  await proxy.heal();
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await proxy?.stop();
  await redis?.stop();
});

/** A (direct) and B (through the proxy, with a fast subscriber health check), sharing a fresh prefix. */
async function pair(prefix: string, syncInterval: number) {
  const errors: StoreError[] = [];
  const a = new Cache({ prefix, bus: true, syncInterval, l2: new RedisStore({ url: redis.url }) });
  const b = new Cache({
    prefix,
    bus: true,
    syncInterval,
    l2: new RedisStore(
      { url: `redis://127.0.0.1:${proxy.port}` },
      { subscriberPingMs: 150, connectTimeoutMs: 300, onError: (e) => errors.push(e) },
    ),
  });
  open.push(a, b);
  const resets: number[] = [];
  b.on('bus:reset', () => resets.push(performance.now()));
  // Both subscribed: a delete from A reaches B's L1.
  await b.set('ping', 1);
  expect(
    await eventually(async () => {
      await a.delete('ping');
      return (await b.get('ping')) === undefined;
    }),
  ).toBe(true);
  return { a, b, errors, resets };
}

/**
 * Cuts B (blackhole until its subscriber health check notices), runs `change` on A meanwhile, heals, and
 * after B's reset reads for `watchMs`: resolves every value B served after the reset and when the last
 * old one was served (ms after the reset; -1 if none).
 */
async function cutChangeWatch(
  p: Awaited<ReturnType<typeof pair>>,
  change: () => Promise<unknown>,
  read: () => Promise<unknown>,
  watchMs: number,
): Promise<{ served: unknown[]; lastOldMs: number }> {
  proxy.blackhole();
  await change();
  expect(await eventually(() => p.errors.some((e) => /did not answer PING/.test(e.message)), 5000)).toBe(
    true,
  );
  await proxy.heal();
  expect(await eventually(() => p.resets.length > 0, 5000)).toBe(true);
  const resetAt = p.resets[0]!;
  const served: unknown[] = [];
  let lastOldMs = -1;
  while (performance.now() - resetAt < watchMs) {
    const v = await read();
    served.push(v);
    if (v === 'old') lastOldMs = performance.now() - resetAt;
    await sleep(10);
  }
  reportFigure('stale reads after the reset', served.filter((v) => v === 'old').length, 'reads');
  reportFigure('reads after the reset', served.length, 'reads');
  return { served, lastOldMs };
}

describe('after a bus reset, changes lost during the cut stay applied (issue 12)', () => {
  it('a tag invalidation: B re-reads the tag time and never serves the old value again', async () => {
    const p = await pair('reset-tags:', 10_000);
    await p.a.set('k', 'old', { tags: ['t'] });
    expect(await p.b.get('k')).toBe('old');
    await sleep(2); // B's tag time for `t` is now cached and trusted
    const { served, lastOldMs } = await cutChangeWatch(
      p,
      () => p.a.invalidateTags(['t']),
      () => p.b.get('k'),
      1500,
    );
    console.log(`tags: old served until ${lastOldMs.toFixed(0)} ms after the reset (${served.length} reads)`);
    expect(served).not.toContain('old');
    expect(served.length).toBeGreaterThan(10);
    // And B serves new values of the tag as usual.
    await p.a.set('k', 'new', { tags: ['t'] });
    expect(await eventually(async () => (await p.b.get('k')) === 'new', 2000)).toBe(true);
  }, 20_000);

  it('a namespace clear: B re-reads the generation and never serves the old value again', async () => {
    const p = await pair('reset-ns:', 10_000);
    await p.a.namespace('n').set('k', 'old');
    expect(await p.b.namespace('n').get('k')).toBe('old');
    const { served, lastOldMs } = await cutChangeWatch(
      p,
      () => p.a.namespace('n').clear(),
      () => p.b.namespace('n').get('k'),
      1500,
    );
    console.log(
      `namespace: old served until ${lastOldMs.toFixed(0)} ms after the reset (${served.length} reads)`,
    );
    expect(served).not.toContain('old');
    await p.a.namespace('n').set('k', 'new');
    expect(await eventually(async () => (await p.b.namespace('n').get('k')) === 'new', 2000)).toBe(true);
  }, 20_000);
});
