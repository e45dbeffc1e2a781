/**
 * The handlers of stratacache/next (the built package) without a Next server: two `NextCache`s stand for two
 * instances of a fleet over the suite's private Redis (standalone and Cluster).
 */
import { InvalidOptionError } from 'stratacache';
import {
  createIncrementalCacheHandler,
  createNextCache,
  createUseCacheHandler,
  type IncrementalValue,
  type NextCache,
  type UseCacheEntry,
} from 'stratacache/next';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterHandle,
  type ServerHandle,
  startRedis,
  startRedisCluster,
} from '../../helpers/servers.js';

const ctx = { serverDistDir: '/nonexistent/.next/server', revalidatedTags: [] };

function entry(bytes: Uint8Array, over: Partial<UseCacheEntry> = {}): UseCacheEntry {
  return {
    value: new ReadableStream({
      start(c) {
        c.enqueue(bytes);
        c.close();
      },
    }),
    tags: ['t1'],
    stale: 30,
    timestamp: Date.now(),
    expire: 60,
    revalidate: 10,
    ...over,
  };
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  return Buffer.from(await new Response(stream).arrayBuffer());
}

type Value = IncrementalValue & Record<string, unknown>;
const values: Record<string, Value> = {
  APP_PAGE: {
    kind: 'APP_PAGE',
    html: '<p>hi</p>',
    rscData: Buffer.from([0, 1, 255, 254]),
    headers: { 'x-next-cache-tags': 'page-tag,_N_T_/p', 'set-cookie': ['a=1', 'b=2'] },
    postponed: undefined,
    status: 200,
    segmentData: new Map([['/_tree', Buffer.from([9, 0, 9])]]),
  },
  PAGES: {
    kind: 'PAGES',
    html: '<p>p</p>',
    pageData: { props: { n: 1 } },
    headers: undefined,
    status: undefined,
  },
  APP_ROUTE: {
    kind: 'APP_ROUTE',
    body: Buffer.from([0xff, 0x00, 0x80]),
    status: 201,
    headers: { 'content-type': 'image/png' },
  },
  REDIRECT: { kind: 'REDIRECT', props: { destination: '/x' } },
  IMAGE: {
    kind: 'IMAGE',
    etag: 'e',
    upstreamEtag: 'u',
    buffer: Buffer.from([1, 2, 3, 0]),
    extension: 'webp',
    revalidate: 60,
  },
};
const fetchValue: Value = {
  kind: 'FETCH',
  data: { headers: { a: 'b' }, body: 'eyJ4IjoxfQ==', url: 'http://upstream/x', status: 200 },
  revalidate: 30,
  tags: ['f-tag'],
};

function suite(name: string, url: () => string) {
  describe(`stratacache/next handlers on ${name}`, () => {
    let one: NextCache;
    let two: NextCache;
    beforeAll(() => {
      one = createNextCache({ redis: url(), prefix: `t-${name}:` });
      two = createNextCache({ redis: url(), prefix: `t-${name}:` });
    });
    afterAll(async () => {
      await one.close();
      await two.close();
    });

    it('gives back every incremental value kind in the exact shape it was given, on the other instance', async () => {
      const A = new (createIncrementalCacheHandler(one))(ctx);
      const B = new (createIncrementalCacheHandler(two))(ctx);
      const cacheControl = { revalidate: 60, expire: Number.POSITIVE_INFINITY };
      for (const [kind, value] of Object.entries(values)) {
        await A.set(`/k/${kind}`, value, { cacheControl });
        const got = await B.get(`/k/${kind}`, {
          kind: kind === 'REDIRECT' ? 'APP_PAGE' : kind,
          isFallback: false,
        });
        expect(got?.value, kind).toStrictEqual(value);
        expect(got?.cacheControl).toEqual(cacheControl);
      }
      await A.set('fetch-key', fetchValue, { fetchCache: true, tags: ['f-tag'] });
      const f = await B.get('fetch-key', { kind: 'FETCH', tags: ['f-tag'], softTags: [] });
      expect(f?.value).toStrictEqual(fetchValue);
      // A page lookup never gets a fetch entry, nor the reverse (Next would throw an invariant error).
      expect(await B.get('fetch-key', { kind: 'APP_PAGE', isFallback: false })).toBeNull();
    });

    it('revalidateTag on one instance: the other misses at once (no durations) or serves stale (durations)', async () => {
      const A = new (createIncrementalCacheHandler(one))(ctx);
      const B = new (createIncrementalCacheHandler(two))(ctx);
      const page = { ...values.APP_PAGE!, headers: { 'x-next-cache-tags': 'rv-tag' } };
      const cc = { revalidate: 60, expire: 3600 };
      await A.set('/rv', page, { cacheControl: cc });
      expect(await B.get('/rv', { kind: 'APP_PAGE', isFallback: false })).not.toBeNull();
      await new Promise((r) => setTimeout(r, 2));
      await A.revalidateTag('rv-tag', { expire: 3600 });
      const stale = await B.get('/rv', { kind: 'APP_PAGE', isFallback: false });
      expect(stale).not.toBeNull();
      // Older than its revalidate time, younger than its expire time: Next serves it and regenerates it.
      expect(Date.now() - stale!.lastModified).toBeGreaterThan(60_000);
      expect(Date.now() - stale!.lastModified).toBeLessThan(3_600_000);
      await A.revalidateTag(['rv-tag']);
      expect(await B.get('/rv', { kind: 'APP_PAGE', isFallback: false })).toBeNull();
      await new Promise((r) => setTimeout(r, 2));
      await B.set('/rv', page, { cacheControl: cc });
      expect(await A.get('/rv', { kind: 'APP_PAGE', isFallback: false })).not.toBeNull();
    });

    it("'use cache': a get waits for a set whose stream is still being written", async () => {
      const h = createUseCacheHandler(one);
      let push: ((c: ReadableStreamDefaultController<Uint8Array>) => void) | undefined;
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          push = (x) => x.enqueue(new Uint8Array([1, 2]));
          push(c);
          setTimeout(() => {
            c.enqueue(new Uint8Array([3, 0, 255]));
            c.close();
          }, 50);
        },
      });
      const setting = h.set('slow', Promise.resolve({ ...entry(new Uint8Array()), value: stream }));
      const got = await h.get('slow', []);
      expect(got).toBeDefined();
      expect([...(await bytesOf(got!.value))]).toEqual([1, 2, 3, 0, 255]);
      await setting;
    });

    it("'use cache': shared between instances, each get a new stream; tags expire and mark stale", async () => {
      const A = createUseCacheHandler(one);
      const B = createUseCacheHandler(two);
      const t0 = Date.now() - 5;
      await A.set(
        'k1',
        Promise.resolve(entry(new Uint8Array([7, 0, 7]), { timestamp: t0, tags: ['u-tag'] })),
      );
      const g1 = await B.get('k1', []);
      const g2 = await B.get('k1', []);
      expect(g1!.value).not.toBe(g2!.value);
      expect([...(await bytesOf(g1!.value))]).toEqual([7, 0, 7]);
      expect({ ...g1, value: undefined }).toEqual({
        ...entry(new Uint8Array()),
        timestamp: t0,
        tags: ['u-tag'],
        value: undefined,
      });
      expect(await B.getExpiration(['u-tag'])).toBe(0);
      await A.updateTags(['u-tag'], { expire: 3600 });
      expect((await B.get('k1', []))!.revalidate).toBe(-1);
      expect(await B.getExpiration(['u-tag'])).toBe(0);
      await A.updateTags(['u-tag']);
      expect(await B.get('k1', [])).toBeUndefined();
      expect(await B.getExpiration(['u-tag'])).toBeGreaterThanOrEqual(t0);
      // Soft (implicit path) tags count too.
      await A.set('k2', Promise.resolve(entry(new Uint8Array([1]), { tags: [] })));
      await new Promise((r) => setTimeout(r, 2));
      await B.updateTags(['_N_T_/blog']);
      expect(await A.get('k2', ['_N_T_/blog'])).toBeUndefined();
      expect(await A.get('k2', ['_N_T_/other'])).toBeDefined();
    });

    it("'use cache': Infinity expire is stored with a finite TTL; an errored stream stores nothing", async () => {
      const h = createUseCacheHandler(one);
      await h.set(
        'inf',
        Promise.resolve(entry(new Uint8Array([1]), { expire: Number.POSITIVE_INFINITY, tags: [] })),
      );
      expect((await h.get('inf', []))!.expire).toBe(Number.POSITIVE_INFINITY);
      const broken = new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new Uint8Array([1]));
          c.error(new Error('render failed'));
        },
      });
      await h.set('broken', Promise.resolve({ ...entry(new Uint8Array()), value: broken }));
      expect(await h.get('broken', [])).toBeUndefined();
    });
  });
}

let redis: ServerHandle;
let cluster: ClusterHandle;
beforeAll(async () => {
  [redis, cluster] = await Promise.all([startRedis(), startRedisCluster()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([redis?.stop(), cluster?.stop()]);
});

suite('Redis', () => redis.url);
suite('Redis Cluster', () => cluster.nodes.map((n) => n.url).join(','));

describe('stratacache/next options', () => {
  it('reject bad options with a clear error', () => {
    expect(() => createNextCache({ maxTtl: -1, redis: false })).toThrow(InvalidOptionError);
    expect(() => createNextCache({ maxTtl: 30 * 86_400_000, redis: false })).toThrow(/at most 20 days/);
    expect(() => createNextCache({ tagSyncInterval: Number.NaN, redis: false })).toThrow(/tagSyncInterval/);
    expect(() => createNextCache({ redis: 42 as never })).toThrow(/Expected `redis`/);
    expect(() => createNextCache({ nope: 1 } as never)).toThrow(/Unknown option `nope`/);
  });

  it('work per instance without Redis', async () => {
    const nc = createNextCache({ redis: false });
    const h = new (createIncrementalCacheHandler(nc))(ctx);
    await h.set('/x', values.APP_ROUTE!, {});
    expect((await h.get('/x', { kind: 'APP_ROUTE', isFallback: false }))?.value).toStrictEqual(
      values.APP_ROUTE,
    );
    await nc.close();
  });
});
