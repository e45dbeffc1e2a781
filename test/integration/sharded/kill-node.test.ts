import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShardedStore } from '../../../src/distributed/sharded-store.js';
import { MemcachedStore } from '../../../src/stores/memcached/memcached-store.js';
import { type ServerHandle, startMemcached } from '../../helpers/servers.js';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ShardedStore over 3 memcached nodes, one killed under load', () => {
  let servers: ServerHandle[] = [];
  let store: ShardedStore;

  beforeAll(async () => {
    servers = await Promise.all([startMemcached(), startMemcached(), startMemcached()]);
    store = new ShardedStore({
      nodes: Object.fromEntries(
        servers.map((s) => [
          `${s.host}:${s.port}`,
          new MemcachedStore({ host: s.host, port: s.port, timeoutMs: 500, reconnectDelayMs: 50 }),
        ]),
      ),
      eject: { failures: 3, retryAfterMs: 400 },
    });
  });
  afterAll(async () => {
    await store.close();
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('serves every read (misses instead of errors), ejects the dead node and takes it back after restart', async () => {
    const keys = Array.from({ length: 300 }, (_, i) => `load:${i}`);
    await store.setMany(keys.map((key) => ({ key, value: bytes(key) })));
    const victim = servers[1]!;
    const victimName = `${victim.host}:${victim.port}`;
    const victimKeys = keys.filter((k) => store.nodeFor(k) === victimName);
    expect(victimKeys.length).toBeGreaterThan(30);
    const events: string[] = [];
    store.on('eject', (e) => events.push(`eject ${e.node}`));
    store.on('rejoin', (e) => events.push(`rejoin ${e.node}`));

    let failedReads = 0;
    let reads = 0;
    let hits = 0;
    let running = true;
    const worker = async (w: number): Promise<void> => {
      let i = w;
      while (running) {
        i = (i * 7 + 13) % keys.length;
        try {
          if (i % 3 === 0) {
            const got = await store.getMany(keys.slice(i, i + 10));
            reads += got.length;
            hits += got.filter((v) => v !== undefined).length;
          } else {
            reads++;
            if ((await store.get(keys[i]!)) !== undefined) hits++;
          }
        } catch {
          failedReads++;
        }
        // Keep refilling, as a cache in front of a database would (writes to a dying node may reject).
        if (i % 5 === 0) await store.set(keys[i]!, bytes(keys[i]!)).catch(() => {});
        await new Promise((r) => setImmediate(r));
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));

    await new Promise((r) => setTimeout(r, 150));
    await victim.kill();
    await until(() => store.stats()[victimName]!.state === 'ejected', 5000, 'the ejection');
    expect(store.stats()[victimName]!.errors).toBeGreaterThanOrEqual(3);
    expect(victimKeys.every((k) => store.nodeFor(k) !== victimName)).toBe(true);

    await victim.restart();
    await until(() => store.stats()[victimName]!.state === 'up', 15_000, 'the node to rejoin');
    const opsAtRejoin = store.stats()[victimName]!.operations;
    await new Promise((r) => setTimeout(r, 150));
    running = false;
    await Promise.all(workers);

    expect(failedReads).toBe(0);
    expect(reads).toBeGreaterThan(500);
    expect(hits).toBeGreaterThan(0);
    expect(store.nodeFor(victimKeys[0]!)).toBe(victimName);
    expect(store.stats()[victimName]!.operations).toBeGreaterThan(opsAtRejoin);
    expect(events[0]).toBe(`eject ${victimName}`);
    expect(events).toContain(`rejoin ${victimName}`);
    // The restarted node is empty: its keys miss until refilled, then hit again.
    await store.set(victimKeys[0]!, bytes('refilled'));
    expect(new TextDecoder().decode(await store.get(victimKeys[0]!))).toBe('refilled');
  }, 30_000);
});
