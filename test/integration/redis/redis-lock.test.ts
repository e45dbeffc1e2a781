import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DistributedLock, Lease } from '../../../src/stores/lock.js';
import type { RedisStoreBase } from '../../../src/stores/redis/redis-store-base.js';
import { reportFigure } from '../../helpers/figures.js';
import { sleep, type Target, targets } from './targets.js';

const enc = new TextEncoder();
const text = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : Buffer.from(b).toString();

function blockEventLoop(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy: the process is frozen like a holder in a long GC pause
  }
}

for (const kind of ['standalone', 'cluster'] as const) {
  describe(`RedisLock (${kind})`, () => {
    let target: Target;
    let storeA: RedisStoreBase;
    let storeB: RedisStoreBase;
    let lockA: DistributedLock;
    let lockB: DistributedLock;
    let n = 0;
    const key = (s: string): string => `lock-test:${++n}:{h}:${s}*[x]`;

    beforeAll(async () => {
      target = await targets[kind]();
      // A poll far longer than any test wait: only the pub/sub wake-up can wake a waiter quickly.
      storeA = target.store({ prefix: 'app:', lockPollMs: 10_000 });
      storeB = target.store({ prefix: 'app:', lockPollMs: 10_000 });
      await Promise.all([storeA.ready(), storeB.ready()]);
      lockA = storeA.createLock('lk:');
      lockB = storeB.createLock('lk:');
    });

    afterAll(async () => {
      await storeA?.close();
      await storeB?.close();
      await target?.stop();
    });

    it('grants a key to exactly one of many concurrent callers', async () => {
      const k = key('exclusive');
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 ? lockA : lockB).acquire(k, 5000)),
      );
      const granted = results.filter((r): r is Lease => r !== undefined);
      expect(granted).toHaveLength(1);
      expect(granted[0]!.key).toBe(k);
      await lockA.release(granted[0]!);
      expect(await lockB.acquire(k, 5000)).toBeDefined();
    });

    it('issues strictly increasing fencing tokens per key', async () => {
      const k = key('fence');
      const fences: number[] = [];
      for (let i = 0; i < 5; i++) {
        const lease = await (i % 2 ? lockA : lockB).acquire(k, 5000);
        expect(lease).toBeDefined();
        fences.push(lease!.fence);
        await lockA.release(lease!);
      }
      for (let i = 1; i < fences.length; i++) expect(fences[i]).toBeGreaterThan(fences[i - 1]!);
    });

    it('commit writes the value with its TTL, releases the lease and is readable through the store', async () => {
      const k = key('commit');
      const lease = (await lockA.acquire(k, 5000))!;
      expect(await lockA.commit(lease, enc.encode('v1'), 60_000)).toBe(true);
      expect(text(await storeB.get(k))).toBe('v1');
      const pttl = await target.cli('--no-raw', 'PTTL', `app:${k}`);
      expect(pttl.some((out) => /\d{4,}/.test(out))).toBe(true);
      expect(await lockB.acquire(k, 5000)).toBeDefined();
    });

    it("rejects a stale holder's commit after it paused past its lease", async () => {
      const k = key('stale');
      const stale = (await lockA.acquire(k, 100))!;
      blockEventLoop(250);
      const fresh = await lockB.acquire(k, 5000);
      expect(fresh).toBeDefined();
      expect(fresh!.fence).toBeGreaterThan(stale.fence);
      expect(await lockB.commit(fresh!, enc.encode('new'), 60_000)).toBe(true);
      const staleCommitted = await lockA.commit(stale, enc.encode('old'), 60_000);
      reportFigure(`${kind}: stale commits accepted`, staleCommitted ? 1 : 0, 'commits');
      expect(staleCommitted).toBe(false);
      expect(text(await storeA.get(k))).toBe('new');
    });

    it("lets a stale holder's release and extend touch nothing of a newer holder", async () => {
      const k = key('owner');
      const first = (await lockA.acquire(k, 80))!;
      await sleep(150);
      const second = (await lockB.acquire(k, 5000))!;
      expect(second).toBeDefined();
      await lockA.release(first);
      expect(await lockA.extend(first, 5000)).toBe(false);
      expect(await lockA.acquire(k, 5000)).toBeUndefined();
      const forged: Lease = { key: k, token: 'not-the-owner', fence: second.fence };
      await lockA.release(forged);
      expect(await lockA.acquire(k, 5000)).toBeUndefined();
      expect(await lockB.extend(second, 10_000)).toBe(true);
      await lockB.release(second);
      expect(await lockA.acquire(k, 5000)).toBeDefined();
    });

    it('wakes a waiter on the holder commit, long before its timeout', async () => {
      const k = key('wake');
      const lease = (await lockA.acquire(k, 10_000))!;
      const started = Date.now();
      const waited = lockB.wait(k, 8000).then(() => Date.now() - started);
      await sleep(150);
      await lockA.commit(lease, enc.encode('done'), 60_000);
      const ms = await waited;
      expect(ms).toBeGreaterThanOrEqual(140);
      expect(ms).toBeLessThan(2000);
      expect(text(await storeB.get(k))).toBe('done');
    });

    it('wakes a waiter on release, and at once when the key is not locked', async () => {
      const k = key('release');
      const lease = (await lockA.acquire(k, 10_000))!;
      const started = Date.now();
      const waited = lockB.wait(k, 8000).then(() => Date.now() - started);
      await sleep(100);
      await lockA.release(lease);
      expect(await waited).toBeLessThan(2000);
      const t0 = Date.now();
      await lockB.wait(key('free'), 8000);
      expect(Date.now() - t0).toBeLessThan(2000);
    });

    it('bounds a wait by its timeout when nobody commits', async () => {
      const k = key('timeout');
      await lockA.acquire(k, 10_000);
      const t0 = Date.now();
      await lockB.wait(k, 300);
      const ms = Date.now() - t0;
      expect(ms).toBeGreaterThanOrEqual(290);
      expect(ms).toBeLessThan(3000);
    });

    it('falls back to polling the lock when no wake-up arrives', async () => {
      const store = target.store({ prefix: 'app:', lockPollMs: 50 });
      const polling = store.createLock('lk:');
      try {
        const k = key('poll');
        const lease = (await lockA.acquire(k, 10_000))!;
        const started = Date.now();
        const waited = polling.wait(k, 8000).then(() => Date.now() - started);
        await sleep(200);
        // Deleting the lock behind the lock's back publishes nothing: only the poll can notice.
        await target.cli('DEL', ...(await lockKeys(target, k)));
        expect(await waited).toBeLessThan(2000);
        expect(lease.fence).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    });
  });
}

/** The lock key of `k` as found on the server (any node). */
async function lockKeys(target: Target, k: string): Promise<string[]> {
  const outs = await target.cli('--scan', '--pattern', `app:lk:*:lock:${k.replace(/[*?[\]\\]/g, '\\$&')}`);
  const found = outs.flatMap((o) => o.split('\n').filter((l) => l.length > 0));
  expect(found).toHaveLength(1);
  return found;
}
