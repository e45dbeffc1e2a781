import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClosedError,
  DeserializationError,
  InvalidKeyError,
  InvalidOptionError,
  SerializationError,
} from '../../../src/errors.js';
import { RedisPubSub, RedisQueue } from '../../../src/redis-helpers/index.js';
import { eventually, type Standalone, sleep, standalone } from './setup.js';

let redis: Standalone;
beforeAll(async () => {
  redis = await standalone();
});
afterAll(async () => {
  await redis.stop();
});

interface Job {
  id: number;
}

/** Connected clients on the server (the patterns' dedicated connections included). */
async function connectedClients(): Promise<number> {
  const info = await redis.client.info('clients');
  return Number(/connected_clients:(\d+)/.exec(info)?.[1]);
}

describe('RedisQueue', () => {
  it('is FIFO with push, pop, peek and length', async () => {
    const q = new RedisQueue<Job>(redis.client, { key: 'q:fifo' });
    expect(await q.push({ id: 1 }, { id: 2 })).toBe(2);
    expect(await q.push({ id: 3 })).toBe(3);
    expect(await q.peek()).toEqual({ id: 1 });
    expect(await q.length()).toBe(3);
    expect(await q.pop()).toEqual({ id: 1 });
    expect(await q.pop()).toEqual({ id: 2 });
    expect(await q.pop()).toEqual({ id: 3 });
    expect(await q.pop()).toBeUndefined();
    expect(await q.peek()).toBeUndefined();
    await q.close();
  });

  it('popBlocking is woken by a push from another connection', async () => {
    const q = new RedisQueue<Job>(redis.client, { key: 'q:wake' });
    const producer = new RedisQueue<Job>(await redis.another(), { key: 'q:wake' });
    const started = Date.now();
    const popped = q.popBlocking(10_000);
    await sleep(100);
    await producer.push({ id: 7 });
    expect(await popped).toEqual({ id: 7 });
    expect(Date.now() - started).toBeLessThan(5000);
    await q.close();
    await producer.close();
  });

  it('popBlocking times out with undefined while the shared client keeps answering', async () => {
    const q = new RedisQueue<Job>(redis.client, { key: 'q:empty' });
    const started = Date.now();
    const popped = q.popBlocking(600);
    let pings = 0;
    while (Date.now() - started < 400) {
      const t = Date.now();
      expect(await redis.client.ping()).toBe('PONG');
      // A shared connection stuck behind the BLPOP would answer only after it (600 ms).
      expect(Date.now() - t).toBeLessThan(500);
      pings++;
    }
    expect(await popped).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    expect(pings).toBeGreaterThan(3);
    await q.close();
  });

  it('delivers each item to exactly one of more poppers than blocking connections', async () => {
    const q = new RedisQueue<Job>(redis.client, { key: 'q:many', maxBlockingConnections: 2 });
    const poppers = Array.from({ length: 5 }, () => q.popBlocking(5000));
    await sleep(100);
    await q.push(...Array.from({ length: 5 }, (_, id) => ({ id })));
    const got = await Promise.all(poppers);
    expect(got.map((j) => j?.id).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await q.length()).toBe(0);
    await q.close();
  });

  it('a waiter for a busy connection still times out on its own deadline', async () => {
    const q = new RedisQueue<Job>(redis.client, { key: 'q:wait', maxBlockingConnections: 1 });
    const started = Date.now();
    const [a, b] = await Promise.all([q.popBlocking(500), q.popBlocking(300)]);
    expect(a).toBeUndefined();
    expect(b).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(3000);
    await q.close();
  });

  it('close rejects pending pops with ClosedError and closes its connections', async () => {
    const before = await connectedClients();
    const q = new RedisQueue<Job>(redis.client, { key: 'q:close', maxBlockingConnections: 1 });
    const pending = [q.popBlocking(5000), q.popBlocking(5000)].map((p) =>
      p.then(
        () => 'resolved',
        (e) => e,
      ),
    );
    await eventually(async () => (await connectedClients()) === before + 1);
    await q.close();
    for (const outcome of await Promise.all(pending)) expect(outcome).toBeInstanceOf(ClosedError);
    await expect(q.push({ id: 1 })).rejects.toBeInstanceOf(ClosedError);
    await eventually(async () => (await connectedClients()) === before);
    await q.close();
  });

  it('reports a corrupted item with DeserializationError and goes on with the next', async () => {
    const q = new RedisQueue<Job>(redis.client, { key: 'q:corrupt' });
    await redis.client.rPush('q:corrupt', ['{broken', '{"id":9}']);
    await expect(q.pop()).rejects.toBeInstanceOf(DeserializationError);
    expect(await q.pop()).toEqual({ id: 9 });
    await redis.client.rPush('q:corrupt', '\u00ff');
    await expect(q.popBlocking(1000)).rejects.toBeInstanceOf(DeserializationError);
    await q.close();
  });

  it('rejects unserializable items (pushing none of the batch) and bad arguments', async () => {
    const q = new RedisQueue<unknown>(redis.client, { key: 'q:bad' });
    await expect(q.push(1, 2n)).rejects.toBeInstanceOf(SerializationError);
    await expect(q.push(undefined)).rejects.toBeInstanceOf(SerializationError);
    expect(await q.length()).toBe(0);
    await expect(q.push()).rejects.toBeInstanceOf(RangeError);
    for (const t of [0, -1, 2 ** 31])
      await expect(q.popBlocking(t)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(q.popBlocking(Number.NaN)).rejects.toBeInstanceOf(InvalidOptionError);
    expect(() => new RedisQueue(redis.client, { key: '' })).toThrow(InvalidKeyError);
    expect(() => new RedisQueue(redis.client, { key: 'k', maxBlockingConnections: 0 })).toThrow(
      InvalidOptionError,
    );
    expect(() => new RedisQueue(redis.client, { key: 'k', onError: 1 as never })).toThrow(TypeError);
    await q.close();
  });
});

describe('RedisPubSub', () => {
  it('delivers typed messages to subscribers until they unsubscribe', async () => {
    const bus = new RedisPubSub<Job>(redis.client);
    const got: Array<[Job, string]> = [];
    const stop = await bus.subscribe('jobs', (msg, channel) => {
      got.push([msg, channel]);
    });
    expect(await bus.publish('jobs', { id: 1 })).toBe(1);
    await eventually(() => got.length === 1);
    expect(got[0]).toEqual([{ id: 1 }, 'jobs']);
    await stop();
    await stop();
    expect(await bus.publish('jobs', { id: 2 })).toBe(0);
    await sleep(50);
    expect(got).toHaveLength(1);
    expect(bus.stats).toEqual({ received: 1, garbage: 0, handlerErrors: 0 });
    await bus.close();
  });

  it('subscribes to patterns and hands the concrete channel to the handler', async () => {
    const bus = new RedisPubSub<string>(redis.client);
    const got: string[] = [];
    await bus.subscribePattern('user:*', (msg, channel) => {
      got.push(`${channel}=${msg}`);
    });
    await bus.publish('user:1', 'login');
    await bus.publish('other', 'nope');
    await bus.publish('user:2', 'logout');
    await eventually(() => got.length === 2);
    expect(got.sort()).toEqual(['user:1=login', 'user:2=logout']);
    await bus.close();
  });

  it('counts and skips garbage, isolates throwing handlers, and reports both', async () => {
    const errors: unknown[] = [];
    const bus = new RedisPubSub<Job>(redis.client, { onError: (err) => errors.push(err) });
    const good: Job[] = [];
    await bus.subscribe('mixed', () => {
      throw new Error('handler bug');
    });
    await bus.subscribe('mixed', async (msg) => {
      good.push(msg);
    });
    await redis.client.publish('mixed', 'not json {');
    await redis.client.publish('mixed', Buffer.from([0xff, 0xfe]));
    await bus.publish('mixed', { id: 5 });
    await eventually(() => good.length === 1);
    expect(good).toEqual([{ id: 5 }]);
    expect(bus.stats).toEqual({ received: 1, garbage: 2, handlerErrors: 1 });
    expect(errors.filter((e) => e instanceof DeserializationError)).toHaveLength(2);
    await bus.close();
  });

  it('rejects unserializable messages and bad arguments; close releases the subscriber', async () => {
    const before = await connectedClients();
    const bus = new RedisPubSub<unknown>(redis.client);
    await expect(bus.publish('c', () => 1)).rejects.toBeInstanceOf(SerializationError);
    await expect(bus.publish('', 1)).rejects.toBeInstanceOf(InvalidKeyError);
    await expect(bus.subscribe('c', 'nope' as never)).rejects.toBeInstanceOf(TypeError);
    await bus.subscribe('c', () => undefined);
    expect(await connectedClients()).toBe(before + 1);
    await bus.close();
    await eventually(async () => (await connectedClients()) === before);
    await expect(bus.subscribe('c', () => undefined)).rejects.toBeInstanceOf(ClosedError);
    await expect(bus.publish('c', 1)).rejects.toBeInstanceOf(ClosedError);
  });
});
