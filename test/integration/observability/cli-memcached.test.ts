/**
 * The built `stratacache` bin (dist/cli.js) against two private memcached servers (`--memcached`): it
 * finds each entry on the node the application's ketama ring put it on, reads and deletes it, and its
 * tag invalidations reach a bus-less cache within that cache's `syncInterval`; the commands that list
 * keys or read journals refuse memcached, and an unreachable server ends with the "unreachable" code.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { MemcachedStore } from '../../../src/stores/memcached/memcached-store.js';
import { type CliRun, requireBuiltCli, runCli } from '../../helpers/cli.js';
import { freePort, type ServerHandle, startMemcached } from '../../helpers/servers.js';

let servers: ServerHandle[] = [];
let pool: ShardedStore;
let cache: Cache;

const cli = (...args: string[]): Promise<CliRun> => runCli(args);

const names = (): string[] => servers.map((s) => `${s.host}:${s.port}`);
const onPool = (...args: string[]) => cli('--memcached', names().join(','), ...args);

beforeAll(async () => {
  requireBuiltCli();
  servers = await Promise.all([startMemcached(), startMemcached()]);
  // As an application shards memcached: nodes named host:port, the default ring.
  pool = new ShardedStore({
    nodes: Object.fromEntries(
      servers.map((s) => [`${s.host}:${s.port}`, new MemcachedStore({ host: s.host, port: s.port })]),
    ),
  });
  // No bus over memcached: tag times read from L2 are trusted for syncInterval only.
  cache = new Cache({ l2: pool, ttl: 60_000, syncInterval: 100 });
});
afterAll(async () => {
  await cache?.close();
  await Promise.all(servers.map((s) => s.stop()));
});

describe('stratacache --memcached', () => {
  it('reads entries on whichever node holds them, deletes one and invalidates a tag', async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `user:${i}`);
    for (const id of ids) await cache.set(id, { id }, { tags: ['users'] });
    // Both nodes hold some of them: the CLI must shard like the application to find them all.
    const holders = new Set(ids.map((id) => pool.nodeFor(`sc:${id}`)));
    expect(holders.size).toBe(2);
    for (const id of ids) {
      const r = await onPool('--json', 'inspect', id);
      expect(r.code, `${id}: ${r.err}`).toBe(0);
      expect(JSON.parse(r.out).tags).toEqual(['users']);
    }
    const got = await onPool('get', 'user:3');
    expect(JSON.parse(got.out)).toEqual({ id: 'user:3' });

    const del = await onPool('del', 'user:4');
    expect(del.code).toBe(0);
    expect(del.out).toMatch(/deleted user:4 \(other instances' L1 copies last until their L1 TTL\)/);
    expect((await onPool('inspect', 'user:4')).code).toBe(1);

    expect(await cache.get('user:5')).toEqual({ id: 'user:5' });
    expect((await onPool('invalidate', '--tag', 'users')).code).toBe(0);
    await vi.waitFor(async () => expect(await cache.get('user:5')).toBeUndefined(), { timeout: 5_000 });
  });

  it('refuses commands memcached cannot serve, and bad server lists, with a usage error', async () => {
    for (const args of [['keys', '*'], ['stats'], ['journal', 'orders:wb']]) {
      const r = await onPool(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toMatch(/memcached cannot|single Redis/);
    }
    const bad = await cli('--memcached', 'memcached://127.0.0.1:11211', 'get', 'x');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/host:port\[=weight\] items, got "memcached:\/\/127\.0\.0\.1:11211"/);
    expect((await cli('--memcached', names()[0]!, '--redis', 'redis://127.0.0.1:1', 'get', 'x')).code).toBe(
      2,
    );
  });

  it('ends with the unreachable code, bounded, when a server does not answer', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    const started = Date.now();
    const r = await cli('--memcached', `${names()[0]},${dead}`, 'get', 'user:1');
    expect(r.code).toBe(3);
    expect(r.err).toContain(`cannot reach memcached at ${names()[0]},${dead}: ${dead}:`);
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
