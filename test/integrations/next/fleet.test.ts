/**
 * stratacache/next in a real Next 16 fleet: the fixture app (built once, see next-app.ts) served by two
 * `next start` instances against the suite's private Redis, over real HTTP on loopback.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { Cache } from 'stratacache';
import { RedisStore } from 'stratacache/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { actionId, type BuiltApp, buildFixture, type NextInstance, startNext } from './next-app.js';

/** The latency bound documented in docs/integrations/next.md for requests during a Redis outage. */
const OUTAGE_BOUND_MS = 2_000;

let redis: ServerHandle;
let upstream: Server;
let upstreamHits = 0;
let app: BuiltApp;
let a: NextInstance;
let b: NextInstance;
const renderLog = join(tmpdir(), `stratacache-next-renders-${randomUUID()}.log`);

async function page(
  instance: NextInstance,
  path: string,
): Promise<{ status: number; render?: string; upstream?: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(instance.url + path);
  const html = await res.text();
  const ms = performance.now() - t0;
  const render = /id="render">([^<]+)</.exec(html)?.[1];
  if (render === undefined)
    throw new Error(
      `GET ${path} on ${instance.name}: ${res.status} without a render id: ${html.slice(0, 500)}`,
    );
  const up = /id="upstream">([^<]+)</.exec(html)?.[1];
  return {
    status: res.status,
    ms,
    ...(render === undefined ? {} : { render }),
    ...(up === undefined ? {} : { upstream: up }),
  };
}

async function cached(instance: NextInstance): Promise<{ id: string; at: number }> {
  const res = await fetch(`${instance.url}/cached`);
  expect(res.status).toBe(200);
  return (await res.json()) as { id: string; at: number };
}

async function revalidate(instance: NextInstance, tag: string, profile?: 'max'): Promise<void> {
  const res = await fetch(
    `${instance.url}/api/revalidate?tag=${tag}${profile === undefined ? '' : `&profile=${profile}`}`,
    {
      method: 'POST',
    },
  );
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

/** Renders noted by the `next start` instances (the build's own prerenders are not counted). */
function renders(what: string): number {
  let text = '';
  try {
    text = readFileSync(renderLog, 'utf8');
  } catch {
    return 0;
  }
  return text.split('\n').filter((l) => /^(A|B) /.test(l) && l.split(' ')[1] === what).length;
}

async function redisKeys(pattern: string): Promise<string[]> {
  const client = createClient({ url: redis.url });
  await client.connect();
  try {
    const keys: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: pattern, COUNT: 1000 })) keys.push(...batch);
    return keys;
  } finally {
    client.destroy();
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  const t0 = performance.now();
  redis = await startRedis();
  upstream = createServer((_req, res) => {
    upstreamHits++;
    res.end(`v${upstreamHits}`);
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  app = await buildFixture();
  const env = {
    REDIS_URL: redis.url,
    UPSTREAM_URL: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
    RENDER_LOG: renderLog,
  };
  [a, b] = await Promise.all([startNext(app, 'A', env), startNext(app, 'B', env)]);
  console.log(
    `next fixture: ${app.built ? `built in ${Math.round(app.buildMs)} ms` : 'cached build reused'}; set-up ${Math.round(performance.now() - t0)} ms`,
  );
}, 900_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await redis?.stop();
  await new Promise((r) => upstream?.close(r));
  rmSync(renderLog, { force: true });
});

describe('stratacache/next with two next start instances', () => {
  let first: string;

  it('renders an ISR page once and serves it from the cache on both instances', async () => {
    const fromA = await page(a, '/isr');
    expect(fromA.status).toBe(200);
    first = fromA.render!;
    expect(fromA.upstream).toBe('v1');
    for (const inst of [b, a, b]) expect((await page(inst, '/isr')).render).toBe(first);
    expect(renders('isr')).toBe(1);
    expect(upstreamHits).toBe(1);
  });

  it('revalidateTag on A: B serves fresh content on its next request', async () => {
    await revalidate(a, 'upstream');
    const fromB = await page(b, '/isr');
    expect(fromB.render).not.toBe(first);
    expect(fromB.upstream).toBe('v2');
    expect((await page(a, '/isr')).render).toBe(fromB.render);
    expect(renders('isr')).toBe(2);
    first = fromB.render!;
  });

  it('a server action calling updateTag on B expires the tag for A', async () => {
    const res = await fetch(`${b.url}/actions`, {
      method: 'POST',
      headers: { 'Next-Action': actionId(app, 'expireTag'), 'Content-Type': 'text/plain;charset=UTF-8' },
      body: JSON.stringify(['upstream']),
    });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const fromA = await page(a, '/isr');
    expect(fromA.render).not.toBe(first);
    expect(fromA.upstream).toBe('v3');
    expect((await page(b, '/isr')).render).toBe(fromA.render);
    first = fromA.render!;
  });

  it('revalidateTag with a profile serves the old page once while it is regenerated for both', async () => {
    const before = renders('isr');
    await revalidate(b, 'upstream', 'max');
    expect((await page(a, '/isr')).render).toBe(first);
    // Both instances may have started a background regeneration from their stale hit (Next renders per
    // instance); the fleet must converge on one regenerated page, the last one written to the shared tier.
    await until('both instances to serve the same regenerated page', async () => {
      const fromA = (await page(a, '/isr')).render;
      const fromB = (await page(b, '/isr')).render;
      return fromA !== first && fromA === fromB ? fromA : undefined;
    });
    const regenerations = renders('isr') - before;
    expect(regenerations).toBeGreaterThanOrEqual(1);
    expect(regenerations).toBeLessThanOrEqual(2);
  });

  it("shares 'use cache' entries and expires them per their cacheLife profile", async () => {
    const one = await cached(a);
    expect((await cached(b)).id).toBe(one.id);
    const [key] = await redisKeys('next:e:u:*');
    expect(key).toBeDefined();
    const client = createClient({ url: redis.url });
    await client.connect();
    const pttl = await client.pTTL(key!);
    client.destroy();
    // Profile `short` expires after 4 s: that is the Redis TTL (never a missing or infinite one).
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(4_000);
    const next = await until('a new value after the profile expired', async () => {
      const v = await cached(b);
      return v.id !== one.id ? v : undefined;
    });
    expect(next.at).toBeGreaterThanOrEqual(one.at + 2_000);
    expect((await cached(a)).id).toBe(next.id);
  });

  it('revalidateTag of a cacheTag tag expires the shared entry', async () => {
    const before = await cached(a);
    await revalidate(b, 'cached');
    const after = await cached(a);
    expect(after.id).not.toBe(before.id);
    expect((await cached(b)).id).toBe(after.id);
  });

  it('a corrupt or foreign value under a handler key is a miss, never a 500', async () => {
    const [isrKey] = await redisKeys('next:e:r:*/isr');
    expect(isrKey).toBeDefined();
    // Another stratacache user writing a foreign value under the key (its bus drops every instance's L1 copy).
    const other = new Cache({
      l2: new RedisStore({ url: redis.url }, { prefix: 'next:' }),
      prefix: 'e:',
      bus: true,
    });
    try {
      const logical = isrKey!.slice('next:e:'.length);
      expect(await other.set(logical, { kind: 'APP_PAGE', html: 42 })).toBe(true);
      const afterForeign = await until('a page after the foreign write', async () => {
        const r = await page(a, '/isr');
        expect(r.status).toBe(200);
        return r.render !== first ? r : undefined;
      });
      first = afterForeign.render!;
      // Raw garbage: the bus message of a second foreign write drops the L1 copies, then garbage replaces it.
      await other.set(logical, 'x');
      const client = createClient({ url: redis.url });
      await client.connect();
      await client.set(isrKey!, Buffer.from([0x53, 0x43, 0xff, 0x00, 0x7b, 0x22]));
      client.destroy();
      const afterGarbage = await page(b, '/isr');
      expect(afterGarbage.status).toBe(200);
      expect(afterGarbage.render).not.toBe(first);
    } finally {
      await other.close();
    }
  });

  it('Redis SIGKILLed mid-traffic: every request answered within the bound, sharing resumes after the restart', async () => {
    const latencies: number[] = [];
    const failures: string[] = [];
    let running = true;
    const paths = ['/isr', '/cached'];
    const loop = async (inst: NextInstance, n: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const path = paths[(i + n) % paths.length]!;
        const t0 = performance.now();
        try {
          const res = await fetch(inst.url + path, { signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          if (res.status !== 200) failures.push(`${inst.name} ${path} ${res.status}`);
        } catch (err) {
          failures.push(`${inst.name} ${path} ${String(err)}`);
        }
        latencies.push(performance.now() - t0);
      }
    };
    const loops = [loop(a, 0), loop(a, 1), loop(b, 0), loop(b, 1)];
    await new Promise((r) => setTimeout(r, 1_000));
    const duringFrom = latencies.length;
    await redis.kill();
    // Revalidations and new renders while Redis is gone stay per instance, answered all the same.
    await revalidate(a, 'upstream');
    await new Promise((r) => setTimeout(r, 5_000));
    const during = latencies.slice(duringFrom);
    await redis.restart();
    const restartedAt = performance.now();
    const resumed = await until(
      'A and B sharing a fresh render again',
      async () => {
        await revalidate(a, 'upstream');
        const fromA = await page(a, '/isr');
        const fromB = await page(b, '/isr');
        return fromA.render === fromB.render ? performance.now() - restartedAt : undefined;
      },
      30_000,
    );
    running = false;
    await Promise.all(loops);
    const worst = Math.max(...during);
    console.log(
      `redis outage: ${during.length} requests while down, worst ${Math.round(worst)} ms, ${failures.length} failed; sharing resumed ${Math.round(resumed)} ms after the restart`,
    );
    expect(failures).toEqual([]);
    expect(during.length).toBeGreaterThan(10);
    expect(worst).toBeLessThan(OUTAGE_BOUND_MS);
  });
});
