import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type ClusterNodeLike,
  type ClusterTopologyLike,
  SlotMapRefresh,
  sameOwners,
} from '../../../src/stores/redis/cluster-refresh.js';

const A = '10.0.0.1:7000';
const B = '10.0.0.2:7000';

/** A slot map with slots [0, 8191] on A and [8192, 16383] on B. */
function map(second = B): Array<{ master: { address: string } }> {
  const a = { master: { address: A } };
  const b = { master: { address: second } };
  return Array.from({ length: 16_384 }, (_, s) => (s < 8192 ? a : b));
}

const REPLY = [
  [0, 8191, ['10.0.0.1', 7000, 'id-a']],
  [8192, 16383, ['10.0.0.2', 7000, 'id-b'], ['10.0.0.3', 7000, 'id-c']],
];

/** A cluster whose live master answers `reply` to CLUSTER SLOTS; rediscoveries take `rediscoverMs`. */
function fakeCluster(reply: unknown, rediscoverMs = 10) {
  const events: string[] = [];
  const live = {
    isReady: true,
    sendCommand: vi.fn(async () => {
      events.push('check');
      return reply;
    }),
  };
  const down = { isReady: true, sendCommand: vi.fn(async () => reply) };
  const cluster: ClusterTopologyLike & { down: typeof down } = {
    masters: [
      { host: '10.0.0.1', port: 7000, address: A, client: live },
      { host: '10.0.0.2', port: 7000, address: B, client: down },
    ],
    slots: map(),
    _slots: {
      rediscover: vi.fn(
        () =>
          new Promise<void>((resolve) => {
            events.push(`rediscover@${performance.now()}`);
            setTimeout(resolve, rediscoverMs);
          }),
      ),
    },
    down,
  };
  return { cluster, events };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('sameOwners', () => {
  it('matches a CLUSTER SLOTS reply naming the same master for every slot', () => {
    expect(sameOwners(REPLY, map())).toBe(true);
    expect(sameOwners(REPLY, map('10.0.0.3:7000'))).toBe(false);
    expect(sameOwners([REPLY[0]], map())).toBe(false);
    expect(sameOwners('nonsense', map())).toBe(false);
    expect(sameOwners(REPLY, undefined)).toBe(false);
  });
});

describe('SlotMapRefresh', () => {
  it('rediscovers only when CLUSTER SLOTS names another owner', async () => {
    const { cluster } = fakeCluster(REPLY);
    const refresh = new SlotMapRefresh(cluster, { minIntervalMs: 100, timeoutMs: 1000 }, () => {});
    refresh.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(refresh.counts).toEqual({ checks: 1, rediscoveries: 0 });

    const promoted = fakeCluster([REPLY[0], [8192, 16383, ['10.0.0.3', 7000, 'id-c']]]);
    const other = new SlotMapRefresh(promoted.cluster, { minIntervalMs: 100, timeoutMs: 1000 }, () => {});
    other.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(other.counts).toEqual({ checks: 1, rediscoveries: 1 });
    refresh.close();
    other.close();
  });

  it('runs one refresh at a time, one start per interval, and coalesces requests in between', async () => {
    const { cluster, events } = fakeCluster([], 250);
    const refresh = new SlotMapRefresh(cluster, { minIntervalMs: 100, timeoutMs: 1000 }, () => {});
    for (let i = 0; i < 50; i++) refresh.request();
    await vi.advanceTimersByTimeAsync(100);
    for (let i = 0; i < 50; i++) refresh.request();
    await vi.advanceTimersByTimeAsync(1000);
    const starts = events.filter((e) => e.startsWith('rediscover')).map((e) => Number(e.split('@')[1]));
    // The first, then one more for every request made while it ran (started as soon as it ended).
    expect(starts).toEqual([0, 250]);
    refresh.close();
  });

  it('keeps checking every interval while a master is unreachable, and stops once it is back', async () => {
    const { cluster, events } = fakeCluster(REPLY);
    const refresh = new SlotMapRefresh(cluster, { minIntervalMs: 100, timeoutMs: 1000 }, () => {});
    cluster.down.isReady = false;
    refresh.request();
    await vi.advanceTimersByTimeAsync(1000);
    const checks = events.filter((e) => e === 'check').length;
    expect(checks).toBeGreaterThanOrEqual(10);
    expect(checks).toBeLessThanOrEqual(11);
    cluster.down.isReady = true;
    await vi.advanceTimersByTimeAsync(1000);
    expect(events.filter((e) => e === 'check').length).toBeLessThanOrEqual(checks + 1);
    refresh.close();
  });

  it('asks every ready master, takes the first answer and rediscovers from the master that gave it', async () => {
    const { cluster } = fakeCluster([REPLY[0], [8192, 16383, ['10.0.0.3', 7000, 'id-c']]]);
    // A paused master looks ready and never answers; first in the list, where asking one master would ask it.
    const silent = { isReady: true, sendCommand: vi.fn(() => new Promise<unknown>(() => {})) };
    const masters = cluster.masters as ClusterNodeLike[];
    masters.unshift({ host: '10.0.0.9', port: 7000, address: '10.0.0.9:7000', client: silent });
    const refresh = new SlotMapRefresh(cluster, { minIntervalMs: 100, timeoutMs: 1000 }, () => {});
    refresh.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(silent.sendCommand).toHaveBeenCalledTimes(1);
    expect(refresh.counts).toEqual({ checks: 1, rediscoveries: 1 });
    expect(cluster._slots!.rediscover).toHaveBeenCalledWith(masters[1]!.client);
    refresh.close();
  });

  it('gives up a refresh that does not settle within the timeout', async () => {
    const { cluster } = fakeCluster([]);
    cluster._slots!.rediscover = () => new Promise<void>(() => {});
    const refresh = new SlotMapRefresh(cluster, { minIntervalMs: 100, timeoutMs: 500 }, () => {});
    refresh.request();
    await vi.advanceTimersByTimeAsync(400);
    refresh.request();
    await vi.advanceTimersByTimeAsync(50);
    expect(refresh.counts.checks).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(refresh.counts.checks).toBe(2);
    refresh.close();
  });

  it('does nothing once closed', async () => {
    const { cluster } = fakeCluster([]);
    const refresh = new SlotMapRefresh(cluster, { minIntervalMs: 100, timeoutMs: 500 }, () => {});
    refresh.request();
    await vi.advanceTimersByTimeAsync(10);
    refresh.request();
    refresh.close();
    await vi.advanceTimersByTimeAsync(1000);
    expect(refresh.counts.checks).toBe(1);
  });
});
