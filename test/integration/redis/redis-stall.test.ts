import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, StoreTimeoutError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { eventually, sleep } from './targets.js';

/** How a caller with its own, shorter deadline sees a store call (the `Cache` races every L2 call so). */
type Outcome = { kind: 'value'; value: Uint8Array | undefined } | { kind: 'error'; error: unknown };

const big = Buffer.from(`head:${'y'.repeat(50_000)}:tail`);

describe('RedisStore on a connection whose reply stream stalls or breaks mid-frame', () => {
  let server: ServerHandle;
  let proxy: FaultProxy;
  const stores: RedisStore[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  const open = async (): Promise<RedisStore> => {
    const store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` }, { commandTimeoutMs: 300 });
    stores.push(store);
    await store.ready();
    return store;
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedis();
    proxy = await startFaultProxy({ port: server.port });
  });

  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await proxy?.stop();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  for (const then of ['hang', 'reset'] as const) {
    it(`serves the full value again soon after a truncated reply (${then}) while callers keep probing with short deadlines`, async () => {
      await proxy.heal();
      const store = await open();
      await store.set('big', big);
      const accepted = proxy.accepted;
      // Every store call, whatever its caller made of it: each must settle, with the value or a StoreError.
      const calls: Array<Promise<Outcome>> = [];
      const probe = async (deadlineMs: number): Promise<Outcome | undefined> => {
        const call = store.get('big').then(
          (value): Outcome => ({ kind: 'value', value }),
          (error: unknown): Outcome => ({ kind: 'error', error }),
        );
        calls.push(call);
        return Promise.race([call, sleep(deadlineMs).then(() => undefined)]);
      };

      proxy.truncateNext(1000, then);
      await probe(100);
      await proxy.heal();
      const t0 = performance.now();
      let served = false;
      while (!served && performance.now() - t0 < 3000) {
        const r = await probe(100);
        served = r?.kind === 'value' && r.value !== undefined && Buffer.from(r.value).equals(big);
        if (!served) await sleep(100);
      }
      expect(served).toBe(true);
      expect(proxy.accepted).toBeGreaterThan(accepted);

      const outcomes = await Promise.all(calls);
      for (const o of outcomes) {
        if (o.kind === 'error') expect(o.error).toBeInstanceOf(StoreError);
        // Never a truncated value, nor one spliced from two replies, nor another command's reply.
        else expect(o.value !== undefined && Buffer.from(o.value).equals(big)).toBe(true);
      }
      expect(outcomes.filter((o) => o.kind === 'error').length).toBeGreaterThan(0);
    });
  }

  it('drops a connection whose reply stalls mid-frame after earlier replies arrived, without further traffic', async () => {
    await proxy.heal();
    const store = await open();
    await store.set('big', big);
    await store.set('small', Buffer.from('s'));
    const accepted = proxy.accepted;
    const before = store.stats.recycles;
    proxy.truncateNext(1000, 'hang');
    // Two GETs pipelined in one write (reads of one tick would share an MGET, so `big` is read one tick
    // later, still before node-redis writes): `small` is answered, then the reply of `big` stops after the cut.
    const first = store.get('small');
    await new Promise<void>((resolve) => process.nextTick(resolve));
    const [small, stalled] = await Promise.allSettled([first, store.get('big')]);
    expect(small.status === 'fulfilled' && Buffer.from(small.value!).toString()).toBe('s');
    expect(stalled.status === 'rejected' && stalled.reason).toBeInstanceOf(StoreTimeoutError);
    // Nothing else is sent: the store re-dials on its own once the connection stayed silent long enough.
    expect(await eventually(() => proxy.accepted > accepted, 3000)).toBe(true);
    expect(store.stats.recycles).toBeGreaterThan(before);
    await proxy.heal();
    // The new connection was accepted; its handshake may still be running (reads fail fast until then).
    const read = (): Promise<Uint8Array | undefined> => store.get('big').catch(() => undefined);
    expect(await eventually(async () => (await read()) !== undefined, 3000)).toBe(true);
    expect(Buffer.from((await store.get('big'))!).equals(big)).toBe(true);
  });

  it('rejects every read of a batched MGET whose reply stalls, within the command timeout', async () => {
    await proxy.heal();
    const store = await open();
    await store.set('big', big);
    await store.set('small', Buffer.from('s'));
    proxy.truncateNext(1000, 'hang');
    const started = Date.now();
    const outcomes = await Promise.allSettled(['small', 'big', 'small', 'absent'].map((k) => store.get(k)));
    reportFigure('stalled MGET, all reads rejected', Date.now() - started, 'ms');
    expect(Date.now() - started).toBeLessThan(1500);
    for (const o of outcomes) {
      expect(o.status === 'rejected' && o.reason).toBeInstanceOf(StoreTimeoutError);
    }
    await proxy.heal();
    // The stalled connection is dropped and re-dialled; reads fail fast until it is back.
    const back = async (): Promise<boolean> =>
      (await store.get('small').catch(() => undefined)) !== undefined;
    expect(await eventually(back, 3000)).toBe(true);
    const again = await Promise.all(['small', 'big', 'absent'].map((k) => store.get(k)));
    expect(Buffer.from(again[0]!).toString()).toBe('s');
    expect(Buffer.from(again[1]!).equals(big)).toBe(true);
    expect(again[2]).toBeUndefined();
  });

  it('closes within the connect timeout while a reply is stalled', async () => {
    await proxy.heal();
    const store = await open();
    await store.set('big', big);
    proxy.truncateNext(1000, 'hang');
    const pending = store.get('big').then(
      () => 'value',
      (err: unknown) => err,
    );
    await sleep(50);
    const t0 = performance.now();
    await store.close();
    expect(performance.now() - t0).toBeLessThan(2500);
    expect(await pending).toBeInstanceOf(StoreError);
  });
});
