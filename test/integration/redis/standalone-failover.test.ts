import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { sleep } from '../../helpers/clock.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

const enc = new TextEncoder();
/** Writes after the switch: enough to see the store settle on the new primary. */
const WRITES = 300;
/** Generous: the machine is shared; the figure is reported. */
const RECOVERY_BOUND_MS = 2_000;

let a: ServerHandle;
let b: ServerHandle;
let proxy: FaultProxy;
beforeAll(async () => {
  [a, b] = await Promise.all([startRedis(), startRedis()]);
  proxy = await startFaultProxy({ port: a.port });
});
afterAll(async () => {
  await proxy?.stop();
  await Promise.all([a?.stop(), b?.stop()]);
});

describe('RedisStore behind an endpoint that fails over (a proxy or DNS name in front)', () => {
  it('re-dials when a write gets READONLY, and loses no write acknowledged after the switch', async () => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` }, { prefix: 'fo:' });
    const rawA = createClient({ url: a.url });
    const rawB = createClient({ url: b.url });
    try {
      await Promise.all([store.ready({ timeoutMs: 5_000 }), rawA.connect(), rawB.connect()]);
      await store.set('before', enc.encode('x'));
      // The failover: B is promoted, A demoted to its replica; the endpoint now leads to B, while the
      // store's open connection still reaches A (which answers writes with READONLY).
      proxy.retarget(b.port);
      await rawA.sendCommand(['REPLICAOF', '127.0.0.1', String(b.port)]);
      const switched = performance.now();
      const acked: string[] = [];
      let failed = 0;
      let firstAckMs: number | undefined;
      while (acked.length < WRITES && performance.now() - switched < 3 * RECOVERY_BOUND_MS) {
        const key = `w${acked.length + failed}`;
        try {
          await store.set(key, enc.encode(key));
          acked.push(key);
          firstAckMs ??= performance.now() - switched;
        } catch {
          failed++;
          await sleep(2);
        }
      }
      expect(firstAckMs).toBeDefined();
      expect(firstAckMs!).toBeLessThan(RECOVERY_BOUND_MS);
      expect(acked).toHaveLength(WRITES);
      const onB = (await rawB.sendCommand(['MGET', ...acked.map((k) => `fo:${k}`)])) as Array<string | null>;
      const lost = acked.filter((k, i) => onB[i] !== k);
      expect(lost).toEqual([]);
      expect(store.stats.recycles).toBeGreaterThanOrEqual(1);
      reportFigure('writes failed after the switch', failed, 'writes');
      reportFigure('first acknowledged write after the switch', firstAckMs!, 'ms');
      reportFigure('writes acknowledged after the switch and lost', lost.length, 'writes');
    } finally {
      await store.close();
      rawA.destroy();
      rawB.destroy();
    }
  });

  it('a replica behind the endpoint that stays a replica costs at most one re-dial per ~100 ms', async () => {
    const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(b.port)] });
    const store = new RedisStore({ url: replica.url });
    try {
      await store.ready({ timeoutMs: 5_000 });
      const started = performance.now();
      while (performance.now() - started < 500) {
        await store.set('k', enc.encode('v')).catch(() => undefined);
        await sleep(1);
      }
      // Every write fails with READONLY (or while re-dialling); re-dials stay bounded by the interval.
      expect(store.stats.recycles).toBeGreaterThanOrEqual(1);
      expect(store.stats.recycles).toBeLessThanOrEqual(7);
    } finally {
      await store.close();
      await replica.stop();
    }
  });
});
