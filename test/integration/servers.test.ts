import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { startMemcached, startRedis, startRedisCluster } from '../helpers/servers.js';

describe('test servers', () => {
  it('starts, kills and restarts a private redis-server', async () => {
    const redis = await startRedis();
    try {
      expect(
        execFileSync('redis-cli', ['-p', String(redis.port), 'ping'])
          .toString()
          .trim(),
      ).toBe('PONG');
      const first = redis.pid;
      await redis.restart();
      expect(redis.pid).not.toBe(first);
      expect(
        execFileSync('redis-cli', ['-p', String(redis.port), 'ping'])
          .toString()
          .trim(),
      ).toBe('PONG');
    } finally {
      await redis.stop();
    }
  });

  it('starts a private memcached', async () => {
    const mc = await startMemcached();
    try {
      expect(mc.pid).toBeGreaterThan(0);
    } finally {
      await mc.stop();
    }
  });

  it('starts a 3-master cluster', async () => {
    const cluster = await startRedisCluster();
    try {
      const info = execFileSync('redis-cli', [
        '-p',
        String(cluster.nodes[0]!.port),
        'cluster',
        'info',
      ]).toString();
      expect(info).toContain('cluster_known_nodes:3');
    } finally {
      await cluster.stop();
    }
  });
});
