import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreError } from '../../../src/errors.js';
import type { BusMessage } from '../../../src/stores/bus.js';
import type { RedisBus } from '../../../src/stores/redis/redis-bus.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type FaultProxy, startFaultProxy } from '../../helpers/fault-proxy.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { eventually, sleep } from './targets.js';

const message = (from: string): BusMessage => ({ v: 1, type: 'clear', ts: Date.now(), from });

describe('RedisBus subscriber health check', () => {
  let server: ServerHandle;
  let proxy: FaultProxy;
  let publisher: RedisStore;
  let subscriber: RedisStore;
  const errors: StoreError[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startRedis();
    proxy = await startFaultProxy({ port: server.port });
    publisher = new RedisStore({ url: server.url });
    subscriber = new RedisStore(
      { url: `redis://127.0.0.1:${proxy.port}` },
      { subscriberPingMs: 150, connectTimeoutMs: 300, onError: (e) => errors.push(e) },
    );
  });

  afterAll(async () => {
    await subscriber?.close();
    await publisher?.close();
    await proxy?.stop();
    await server?.stop();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('validates the ping interval', () => {
    expect(() => new RedisStore({ url: server.url }, { subscriberPingMs: -1 })).toThrow(/subscriberPingMs/);
  });

  it('replaces a half-open subscriber connection and calls onReset, then delivers again', async () => {
    const got: string[] = [];
    let resets = 0;
    const bus = subscriber.createBus('inval') as RedisBus;
    const sender = publisher.createBus('inval') as RedisBus;
    await bus.subscribe(
      (m) => got.push(m.from),
      () => {
        resets++;
      },
    );
    // Several intervals of a healthy, quiet connection: every PING is answered, nothing is reset.
    await sleep(600);
    await sender.publish(message('before'));
    expect(await eventually(() => got.includes('before'), 2000)).toBe(true);
    expect(resets).toBe(0);

    const accepted = proxy.accepted;
    proxy.blackhole();
    expect(await eventually(() => errors.some((e) => /did not answer PING/.test(e.message)), 3000)).toBe(
      true,
    );
    await sender.publish(message('lost'));
    await proxy.heal();
    // The message published during the cut is gone: onReset tells the subscriber so.
    expect(await eventually(() => resets >= 1, 5000)).toBe(true);
    reportFigure('onReset calls', resets, 'calls');
    reportFigure('new connections accepted', proxy.accepted - accepted, 'connections');
    expect(proxy.accepted).toBeGreaterThan(accepted);
    await sender.publish(message('after'));
    expect(await eventually(() => got.includes('after'), 2000)).toBe(true);
    expect(got).not.toContain('lost');
  });
});
