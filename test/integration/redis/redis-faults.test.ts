import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreError, StoreTimeoutError } from '../../../src/errors.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { eventually } from './targets.js';

const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * seed) & 255));

async function timed<T>(op: () => Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  try {
    const value = await op();
    return { ms: performance.now() - t0, value };
  } catch (error) {
    return { ms: performance.now() - t0, error };
  }
}

describe('RedisStore through a fault proxy', () => {
  let server: ServerHandle;
  let proxy: FaultProxy;
  let store: RedisStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  const big = bytes(300_000, 7);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedis();
    proxy = await startFaultProxy({ port: server.port });
    store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` }, { commandTimeoutMs: 300 });
    await store.ready();
    await store.set('big', big);
  });

  afterEach(async () => {
    await proxy.heal();
    // Every test leaves a store that works again.
    expect(
      await eventually(async () => (await timed(() => store.get('big'))).error === undefined, 5000),
    ).toBe(true);
  });

  afterAll(async () => {
    await store?.close();
    await proxy?.stop();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('adds latency with jitter and keeps replies in order', async () => {
    // Applied each way: a round trip takes 80..160 ms, well inside the 300 ms command timeout.
    proxy.latency(60, 20);
    const keys = Array.from({ length: 20 }, (_, i) => `lat:${i}`);
    await Promise.all(keys.map((k, i) => store.set(k, bytes(50 + i, i + 1))));
    const r = await timed(() => Promise.all(keys.map((k) => store.get(k))));
    expect(r.error).toBeUndefined();
    expect(r.ms).toBeGreaterThanOrEqual(75);
    r.value!.forEach((v, i) => {
      expect(Buffer.from(v!).equals(bytes(50 + i, i + 1))).toBe(true);
    });
  });

  it('bounds operations on a blackholed connection by the command timeout and re-dials', async () => {
    const recycles = store.stats.recycles;
    const accepted = proxy.accepted;
    proxy.blackhole();
    const r = await timed(() => store.get('big'));
    expect(r.error).toBeInstanceOf(StoreTimeoutError);
    expect((r.error as StoreError).code).toBe('ERR_CACHE_STORE_TIMEOUT');
    reportFigure('blackholed call', r.ms, 'ms');
    expect(r.ms).toBeGreaterThanOrEqual(250);
    expect(r.ms).toBeLessThan(1500);
    expect(store.stats.recycles).toBeGreaterThan(recycles);
    // The next operations fail fast or time out too — none hangs — while the network is down.
    for (let i = 0; i < 3; i++) expect((await timed(() => store.get('big'))).ms).toBeLessThan(1500);
    await proxy.heal();
    expect(await eventually(() => proxy.accepted > accepted, 5000)).toBe(true);
  });

  it('never returns a truncated value: the reset connection is discarded and replaced', async () => {
    const accepted = proxy.accepted;
    proxy.truncateNext(1000, 'reset');
    const r = await timed(() => store.get('big'));
    expect(r.error).toBeInstanceOf(StoreError);
    expect(r.value).toBeUndefined();
    expect(await eventually(() => proxy.accepted > accepted, 5000)).toBe(true);
    // Accepted is not ready yet (the handshake may still run): the read is retried until it answers.
    expect(
      await eventually(
        async () => Buffer.from((await store.get('big').catch(() => undefined)) ?? []).equals(big),
        5000,
      ),
    ).toBe(true);
  });

  it('never returns a truncated value when the rest of the reply never comes', async () => {
    const accepted = proxy.accepted;
    proxy.truncateNext(5000, 'hang');
    const r = await timed(() => store.get('big'));
    expect(r.error).toBeInstanceOf(StoreTimeoutError);
    expect(r.ms).toBeLessThan(1500);
    expect(await eventually(() => proxy.accepted > accepted, 5000)).toBe(true);
    expect(
      await eventually(
        async () => Buffer.from((await store.get('big').catch(() => undefined)) ?? []).equals(big),
        5000,
      ),
    ).toBe(true);
  });

  it('rejects in-flight commands on a reset (RST) or closed connection and reconnects', async () => {
    for (const fault of ['resetAll', 'closeAll'] as const) {
      proxy.latency(200);
      const pending = timed(() => store.get('big'));
      await new Promise((r) => setTimeout(r, 50));
      proxy[fault]();
      const r = await pending;
      expect(r.error).toBeInstanceOf(StoreError);
      expect(r.ms).toBeLessThan(1000);
      await proxy.heal();
      expect(
        await eventually(async () => (await timed(() => store.get('big'))).error === undefined, 5000),
      ).toBe(true);
    }
  });

  it('fails fast while connections are refused, and connects once they are accepted again', async () => {
    await proxy.refuse();
    proxy.closeAll();
    await new Promise((r) => setTimeout(r, 50));
    const r = await timed(() => store.get('big'));
    expect(r.error).toBeInstanceOf(StoreError);
    expect(r.ms).toBeLessThan(500);
    const fresh = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` }, { commandTimeoutMs: 300 });
    const first = await timed(() => fresh.get('big'));
    expect(first.error).toBeInstanceOf(StoreError);
    expect(first.ms).toBeLessThan(1500);
    await proxy.refuse(false);
    expect(
      await eventually(async () => (await timed(() => fresh.get('big'))).error === undefined, 5000),
    ).toBe(true);
    await fresh.close();
  });
});
