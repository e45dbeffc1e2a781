/** The built `stratacache` bin (dist/cli.js, `npx tsup` first) against the suite's private redis-server. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { startHeartbeat } from '../../../src/observability/fleet/heartbeat.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';
import { type CliRun, requireBuiltCli, runCli } from '../../helpers/cli.js';
import { freePort, type ServerHandle, startRedis } from '../../helpers/servers.js';

let redis: ServerHandle;
let store: RedisStore;
let cache: Cache;

const run = promisify(execFile);
const cli = (...args: string[]): Promise<CliRun> => runCli(['--redis', redis.url, ...args]);

beforeAll(async () => {
  requireBuiltCli();
  redis = await startRedis();
  store = new RedisStore({ url: redis.url });
  // bus: true, so the CLI's del/invalidate-tag reach this cache's L1.
  cache = new Cache({ l2: store, ttl: 60_000, bus: true });
});
afterAll(async () => {
  await cache?.close();
  await redis?.stop();
});

describe('stratacache cli', () => {
  it('inspects and gets an entry, exit 1 for a missing key', async () => {
    await cache.set('user:1', { name: 'Ada' }, { tags: ['users'], ttl: 30_000 });
    const inspect = await cli('--json', 'inspect', 'user:1');
    expect(inspect.code).toBe(0);
    const report = JSON.parse(inspect.out);
    expect(report).toMatchObject({ key: 'user:1', state: 'fresh', tags: ['users'], version: null });
    expect(report.valueBytes).toBe(JSON.stringify({ name: 'Ada' }).length);
    const ttl = Date.parse(report.expiresAt) - Date.parse(report.createdAt);
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000 * 1.2);
    const get = await cli('get', 'user:1');
    expect(JSON.parse(get.out)).toEqual({ name: 'Ada' });
    const missing = await cli('inspect', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no entry under "nope"/);
  });

  it('del removes the key from L2 and, through the bus, from L1', async () => {
    await cache.set('k', 1);
    const del = await cli('del', 'k');
    expect(del.code).toBe(0);
    expect(await store.get('sc:k')).toBeUndefined();
    // The bus message arrives asynchronously; poll the local tier rather than sleep a fixed time.
    while ((await cache.get('k')) !== undefined) await new Promise((r) => setTimeout(r, 20));
    expect((await cli('del', 'k')).code).toBe(1);
  });

  it('invalidate-tag makes tagged entries misses everywhere', async () => {
    await cache.set('p:1', 'a', { tags: ['products'] });
    await cache.set('o:1', 'b', { tags: ['orders'] });
    expect((await cli('invalidate-tag', 'products')).code).toBe(0);
    while ((await cache.get('p:1')) !== undefined) await new Promise((r) => setTimeout(r, 20));
    expect(await cache.get('o:1')).toBe('b');
    const other = new Cache({ l2: new RedisStore({ url: redis.url }) });
    expect(await other.get('p:1')).toBeUndefined();
    expect(await other.get('o:1')).toBe('b');
    await other.close();
  });

  it('fleet lists heartbeating instances as a table and as JSON', async () => {
    const h = startHeartbeat(cache, { store, instanceId: 'cli-a', name: 'api' });
    await h.beat();
    const table = await cli('fleet');
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^ID\s+NAME/);
    expect(table.out).toMatch(/cli-a\s+api/);
    const json = JSON.parse((await cli('--json', 'fleet')).out);
    expect(json.instances.map((i: { id: string }) => i.id)).toEqual(['cli-a']);
    expect(json.totals.counters.hits).toBe(cache.stats().hits);
    await h.stop();
  });

  it('exits 3 when Redis cannot be reached and 2 on usage errors', async () => {
    const dead = `redis://127.0.0.1:${await freePort()}`;
    const r = await run(process.execPath, ['dist/cli.js', '--redis', dead, 'fleet']).catch((e) => e);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot reach Redis/);
    expect((await cli('frobnicate')).code).toBe(2);
  });
});
