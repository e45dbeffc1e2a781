import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/errors.js';
import { keySlot } from '../../../src/stores/redis/cluster-slot.js';
import { RedisClusterStore } from '../../../src/stores/redis/redis-cluster-store.js';
import { type ClusterHandle, startRedisCluster } from '../../helpers/servers.js';
import { eventually } from './targets.js';

const enc = new TextEncoder();

describe('RedisClusterStore when one master is SIGKILLed and restarted', () => {
  let cluster: ClusterHandle;
  let store: RedisClusterStore;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    cluster = await startRedisCluster();
    store = new RedisClusterStore({ rootNodes: cluster.rootNodes }, { commandTimeoutMs: 500 });
    await store.ready();
  });

  afterAll(async () => {
    await store?.close();
    await cluster?.stop();
    process.off('unhandledRejection', onUnhandled);
  });

  it('fails fast for keys of the dead master only, and serves them again after its restart', async () => {
    const { execFile } = await import('node:child_process');
    const victim = cluster.nodes[0]!;
    const owner = async (key: string): Promise<number> => {
      const out = await new Promise<string>((resolve, reject) =>
        execFile('redis-cli', ['-p', String(victim.port), 'CLUSTER', 'KEYSLOT', key], (e, stdout) =>
          e ? reject(e) : resolve(stdout),
        ),
      );
      expect(Number(out.trim())).toBe(keySlot(key));
      const nodes = await new Promise<string>((resolve, reject) =>
        execFile('redis-cli', ['-p', String(victim.port), 'CLUSTER', 'NODES'], (e, stdout) =>
          e ? reject(e) : resolve(stdout),
        ),
      );
      const mine = nodes.split('\n').find((l) => l.includes('myself'))!;
      const slot = keySlot(key);
      const ranges = mine.split(' ').slice(8);
      const ownsIt = ranges.some((r) => {
        const [a, b] = r.split('-').map(Number);
        return slot >= a! && slot <= (b ?? a!);
      });
      return ownsIt ? victim.port : -1;
    };
    const keys = Array.from({ length: 60 }, (_, i) => `k${i}`);
    await store.setMany(keys.map((key) => ({ key, value: enc.encode(key) })));
    const onVictim: string[] = [];
    const elsewhere: string[] = [];
    for (const k of keys) ((await owner(k)) === victim.port ? onVictim : elsewhere).push(k);
    expect(onVictim.length).toBeGreaterThan(0);
    expect(elsewhere.length).toBeGreaterThan(0);

    await victim.kill();
    let worst = 0;
    for (const k of onVictim.slice(0, 5)) {
      const t0 = performance.now();
      await expect(store.get(k)).rejects.toBeInstanceOf(StoreError);
      worst = Math.max(worst, performance.now() - t0);
    }
    expect(worst).toBeLessThan(700);
    for (const k of elsewhere.slice(0, 5)) expect(Buffer.from((await store.get(k))!).toString()).toBe(k);

    await victim.restart();
    expect(
      await eventually(async () => {
        try {
          await store.set(onVictim[0]!, enc.encode('again'));
          return true;
        } catch {
          return false;
        }
      }, 8000),
    ).toBe(true);
    expect(Buffer.from((await store.get(onVictim[0]!))!).toString()).toBe('again');
    expect(unhandled).toEqual([]);
  });
});
