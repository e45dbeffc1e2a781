import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { ProtocolError, StoreError, StoreTimeoutError } from '../../../src/errors.js';
import { MemcachedClient } from '../../../src/stores/memcached/memcached-client.js';
import { MemcachedStore } from '../../../src/stores/memcached/memcached-store.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startMemcached } from '../../helpers/servers.js';

type Behaviour = 'ok' | 'garbage' | 'truncate' | 'close-mid' | 'stall' | 'wrong-opaque';

/** A fake memcached that answers every `mg` with a miss (`ok`) or misbehaves as told. */
async function fakeServer(): Promise<{
  port: number;
  connections: () => number;
  set: (b: Behaviour) => void;
  close: () => Promise<void>;
}> {
  let behaviour: Behaviour = 'ok';
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      let nl = buffered.indexOf('\r\n');
      while (nl >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 2);
        nl = buffered.indexOf('\r\n');
        const opaque = /O(\d+)/.exec(line)?.[1] ?? '0';
        switch (behaviour) {
          case 'ok':
            socket.write(line.startsWith('mn') ? 'MN\r\n' : `EN O${opaque}\r\n`);
            break;
          case 'garbage':
            socket.write('HTTP/1.1 400 Bad Request\r\n');
            break;
          case 'truncate':
            socket.end(`VA 10 O${opaque}\r\nabc`);
            break;
          case 'close-mid':
            socket.write('VA 1');
            socket.destroy();
            break;
          case 'wrong-opaque':
            socket.write(`EN O${Number(opaque) + 7}\r\n`);
            break;
          case 'stall':
            break;
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    connections: () => connections,
    set: (b) => {
      behaviour = b;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('MemcachedClient against a misbehaving server', () => {
  let fake: Awaited<ReturnType<typeof fakeServer>>;
  let client: MemcachedClient;

  beforeAll(async () => {
    fake = await fakeServer();
    client = new MemcachedClient({ host: '127.0.0.1', port: fake.port, poolSize: 1, timeoutMs: 300 });
  });
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  const cases: Array<[Behaviour, new (...args: never[]) => Error, RegExp]> = [
    ['garbage', ProtocolError, /unexpected reply/],
    ['wrong-opaque', ProtocolError, /does not match/],
    ['truncate', StoreError, /middle of a reply/],
    ['close-mid', StoreError, /middle of a reply/],
    ['stall', StoreTimeoutError, /did not answer within 300 ms/],
  ];
  for (const [behaviour, ErrorClass, message] of cases) {
    it(`${behaviour}: fails every pending request with a typed error, then replaces the connection`, async () => {
      fake.set('ok');
      expect(await client.get('warm')).toBeUndefined();
      const before = fake.connections();
      fake.set(behaviour);
      const started = Date.now();
      const results = await Promise.allSettled([
        client.get('a'),
        client.get('b'),
        client.getMany(['c', 'd']),
      ]);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(results.every((r) => r.status === 'rejected')).toBe(true);
      const first = (results[0] as PromiseRejectedResult).reason;
      expect(first).toBeInstanceOf(ErrorClass);
      expect(String(first.message)).toMatch(message);
      for (const r of results.slice(1))
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreError);
      fake.set('ok');
      expect(await client.get('after')).toBeUndefined();
      expect(fake.connections()).toBe(before + 1);
    });
  }

  it('through a ShardedStore, a misbehaving node is a counted error and a miss within the timeout', async () => {
    const store = new ShardedStore({
      nodes: { fake: new MemcachedStore({ host: '127.0.0.1', port: fake.port, timeoutMs: 200 }) },
      eject: { failures: 100, retryAfterMs: 1000 },
    });
    fake.set('ok');
    expect(await store.get('x')).toBeUndefined();
    for (const behaviour of ['garbage', 'stall', 'close-mid'] as const) {
      fake.set(behaviour);
      const started = Date.now();
      expect(await store.get('x')).toBeUndefined();
      reportFigure(`${behaviour} node, miss after`, Date.now() - started, 'ms');
      expect(Date.now() - started).toBeLessThan(2000);
    }
    expect(store.stats().fake!.errors).toBe(3);
    fake.set('ok');
    await store.close();
  });
});

describe('MemcachedClient against real memcached', () => {
  let server: ServerHandle;
  let client: MemcachedClient;

  beforeAll(async () => {
    server = await startMemcached();
    client = new MemcachedClient({ url: server.url.replace('memcached://', 'memcached://'), poolSize: 2 });
  });
  afterAll(async () => {
    await client.close();
    await server.stop();
  });

  it('never attaches a pipelined reply to the wrong request (2000 concurrent mixed requests)', async () => {
    const value = (i: number): Buffer =>
      Buffer.from(`${i}\r\nEND\r\nVA 5 O${i}\r\nHD O1\r\nMN\r\n${'#'.repeat(i % 300)}\r\n`);
    const keys = Array.from({ length: 400 }, (_, i) => `pipe:${i}${i % 5 === 0 ? ' spaced' : ''}`);
    await Promise.all(keys.map((k, i) => client.set(k, value(i))));
    const ops: Array<Promise<void>> = [];
    for (let round = 0; round < 5; round++) {
      keys.forEach((k, i) => {
        switch ((i + round) % 5) {
          case 0:
            ops.push(client.get(k).then((v) => expect(v?.equals(value(i))).toBe(true)));
            break;
          case 1:
            ops.push(client.has(k).then((v) => expect(v).toBe(true)));
            break;
          case 2:
            ops.push(
              client.getMany([k, `absent:${i}`, keys[(i + 1) % keys.length]!]).then((v) => {
                expect(v[0]?.equals(value(i))).toBe(true);
                expect(v[1]).toBeUndefined();
                expect(v[2]?.equals(value((i + 1) % keys.length))).toBe(true);
              }),
            );
            break;
          case 3:
            ops.push(client.get(`absent:${i}`).then((v) => expect(v).toBeUndefined()));
            break;
          default:
            ops.push(client.gets(k).then((v) => expect(v?.value.equals(value(i))).toBe(true)));
        }
      });
    }
    await Promise.all(ops);
  });

  it('compare-and-set, add mode, incr and deleteMany counts', async () => {
    await client.set('cas', Buffer.from('1'));
    const first = await client.gets('cas');
    expect(await client.set('cas', Buffer.from('2'), { cas: first!.cas })).toBe(true);
    expect(await client.set('cas', Buffer.from('3'), { cas: first!.cas })).toBe(false);
    expect((await client.get('cas'))?.toString()).toBe('2');
    expect(await client.set('cas', Buffer.from('x'), { mode: 'add' })).toBe(false);
    expect(await client.incr('counter', 5)).toBe(5);
    expect(await client.incr('counter', 2)).toBe(7);
    expect(await client.incr('counter', -10)).toBe(0);
    await client.setMany([
      { key: 'dm:1', value: Buffer.from('a') },
      { key: 'dm:2', value: Buffer.from('b') },
    ]);
    expect(await client.deleteMany(['dm:1', 'dm:2', 'dm:3'])).toBe(2);
  });

  it('lease: one winner on a miss, stale-while-revalidate after invalidate', async () => {
    const [a, b] = await Promise.all([
      client.lease('hot', { vivifyTtlMs: 30_000 }),
      client.lease('hot', { vivifyTtlMs: 30_000 }),
    ]);
    expect([a.win, b.win].filter(Boolean)).toHaveLength(1);
    expect([a.winnerExists, b.winnerExists].filter(Boolean)).toHaveLength(1);
    expect(a.value).toBeUndefined();
    const winner = a.win ? a : b;
    expect(await client.set('hot', Buffer.from('v1'), { cas: winner.cas, ttlMs: 60_000 })).toBe(true);
    expect(await client.delete('hot', { invalidate: true, ttlMs: 30_000 })).toBe(true);
    const stale = await client.lease('hot', { vivifyTtlMs: 30_000 });
    expect(stale).toMatchObject({ stale: true, win: true });
    expect(stale.value?.toString()).toBe('v1');
    const other = await client.lease('hot', { vivifyTtlMs: 30_000 });
    expect(other).toMatchObject({ stale: true, win: false, winnerExists: true });
  });

  it('rejects values over the item limit with ValueTooLargeError (client-side and server-side)', async () => {
    await expect(client.set('big', Buffer.alloc(client.maxValueBytes + 1))).rejects.toMatchObject({
      code: 'ERR_CACHE_VALUE_TOO_LARGE',
    });
    const loose = new MemcachedClient({
      host: server.host,
      port: server.port,
      maxValueBytes: 2 * 1024 * 1024,
    });
    await expect(loose.set('big', Buffer.alloc(1024 * 1024 + 10))).rejects.toMatchObject({
      code: 'ERR_CACHE_VALUE_TOO_LARGE',
    });
    expect(await loose.get('big')).toBeUndefined();
    await loose.close();
    await client.set('fits', Buffer.alloc(client.maxValueBytes, 7));
    expect((await client.get('fits'))?.length).toBe(client.maxValueBytes);
  });

  it('binary keys interoperate: a base64 key reads back as the same item as its text form', async () => {
    await client.set(new TextEncoder().encode('plain:key'), Buffer.from('via-bytes'));
    expect((await client.get('plain:key'))?.toString()).toBe('via-bytes');
  });

  it('fails fast while the server is down and reconnects once it is back', async () => {
    const mc = await startMemcached();
    const c = new MemcachedClient({ host: mc.host, port: mc.port, reconnectDelayMs: 50 });
    await c.set('k', Buffer.from('v'));
    await mc.kill();
    await expect(c.get('k')).rejects.toBeInstanceOf(StoreError);
    const started = Date.now();
    await expect(c.get('k')).rejects.toBeInstanceOf(StoreError);
    expect(Date.now() - started).toBeLessThan(1000);
    await mc.restart();
    let value: Buffer | undefined | 'error' = 'error';
    for (let i = 0; i < 100 && value === 'error'; i++) {
      value = await c.get('k').catch(() => 'error' as const);
      if (value === 'error') await new Promise((r) => setTimeout(r, 50));
    }
    expect(value).toBeUndefined();
    await c.close();
    await mc.stop();
    await expect(c.get('k')).rejects.toMatchObject({ code: 'ERR_CACHE_CLOSED' });
  });
});

describe('MemcachedStore clear(prefix) across processes', () => {
  let server: ServerHandle;
  beforeAll(async () => {
    server = await startMemcached();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('another store instance sees a clear within clearSyncMs', async () => {
    const a = new MemcachedStore({ host: server.host, port: server.port, clearSyncMs: 100 });
    const b = new MemcachedStore({ host: server.host, port: server.port, clearSyncMs: 100 });
    await a.set('ns:1', Buffer.from('1'));
    await a.set('other', Buffer.from('2'));
    expect((await b.get('ns:1'))?.toString()).toBe('1');
    await a.clear('ns:');
    expect(await a.get('ns:1')).toBeUndefined();
    await new Promise((r) => setTimeout(r, 150));
    await b.get('ns:1');
    await new Promise((r) => setTimeout(r, 20));
    expect(await b.get('ns:1')).toBeUndefined();
    expect((await b.get('other'))?.toString()).toBe('2');
    await b.set('ns:2', Buffer.from('new'));
    expect((await a.get('ns:2'))?.toString()).toBe('new');
    expect(await a.setMax('tag:t', 10)).toBe(10);
    expect(await b.setMax('tag:t', 5)).toBe(10);
    expect(await b.getNumbers(['tag:t', 'tag:none'])).toEqual([10, 0]);
    expect(await a.incr('gen:x')).toBe(1);
    await a.close();
    await b.close();
  });

  it('keys holding NUL stay distinct under a cleared prefix (the generation suffix cannot be spelled)', async () => {
    const store = new MemcachedStore({ host: server.host, port: server.port });
    await store.clear('nul:');
    const keys = ['nul:a', 'nul:a\0', 'nul:a\0\0', 'nul:\0a', 'nul:a\0b'];
    for (const [i, key] of keys.entries()) await store.set(key, Buffer.from(String(i)));
    for (const [i, key] of keys.entries()) expect((await store.get(key))?.toString()).toBe(String(i));
    await store.close();
  });
});
