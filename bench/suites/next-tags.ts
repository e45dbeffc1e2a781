/**
 * Tag revalidation cost of a Next.js cache handler against the number of cached entries (1k, 10k, 100k),
 * on one private Redis in one process run: stratacache/next (the built package; run `npm run build` first)
 * and @fortedigital/nextjs-cache-handler's Redis strings handler (its default Redis handler).
 *
 * Each entry carries two tags: one of 100 group tags and one shared by all. A round revalidates one group
 * tag not revalidated before (so ~1 % of the entries); the table shows the median of 7 rounds, the Redis
 * commands the revalidation sent (from INFO commandstats) and the Redis memory used by the entries.
 * The machine is shared with other work: absolute times are noisy, the growth with N is the result.
 */
import { performance } from 'node:perf_hooks';
import createRedisStringsHandler from '@fortedigital/nextjs-cache-handler/redis-strings';
import { createClient, type RedisClientType } from '@redis/client';
import { createIncrementalCacheHandler, createNextCache, type IncrementalValue } from 'stratacache/next';
import { startRedis } from '../../test/helpers/servers.js';
import { median, report, type Table } from '../lib/report.js';

const SIZES = [1_000, 10_000, 100_000];
const ROUNDS = 7;
const GROUPS = 100;
const html = '<html><body>'.padEnd(400, 'x');

interface Contender {
  name: string;
  fill(n: number): Promise<void>;
  revalidate(tag: string): Promise<void>;
  close(): Promise<void>;
}

function tagsOf(i: number): string[] {
  return [`g${i % GROUPS}`, 'all'];
}

async function inBatches(n: number, write: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const batch: Array<Promise<unknown>> = [];
    for (let j = i; j < Math.min(n, i + 500); j++) batch.push(write(j));
    await Promise.all(batch);
  }
}

function ours(url: string): Contender {
  const nc = createNextCache({ redis: url, prefix: 'ours:', l1: { maxEntries: 1_000 } });
  const handler = new (createIncrementalCacheHandler(nc))({ serverDistDir: '/bench/.next/server' });
  return {
    name: 'stratacache/next',
    fill: (n) =>
      inBatches(n, (i) =>
        handler.set(
          `/p/${i}`,
          {
            kind: 'APP_PAGE',
            html,
            headers: { 'x-next-cache-tags': tagsOf(i).join(',') },
            status: 200,
          } as IncrementalValue,
          { cacheControl: { revalidate: 3600, expire: 86_400 } },
        ),
      ),
    revalidate: (tag) => handler.revalidateTag(tag),
    close: () => nc.close(),
  };
}

async function forte(url: string): Promise<Contender> {
  const client = createClient({ url }) as RedisClientType;
  await client.connect();
  const handler = createRedisStringsHandler({ client, keyPrefix: 'forte:', timeoutMs: 60_000 });
  const now = Date.now();
  return {
    name: '@fortedigital/nextjs-cache-handler (redis-strings)',
    fill: (n) =>
      inBatches(n, (i) =>
        handler.set(`/p/${i}`, {
          lastModified: now,
          tags: tagsOf(i),
          value: { kind: 'APP_PAGE', html, headers: {}, status: 200 },
          lifespan: {
            lastModifiedAt: now / 1000,
            staleAt: now / 1000 + 3600,
            expireAt: Math.floor(now / 1000) + 86_400,
            staleAge: 3600,
            expireAge: 86_400,
            revalidate: 3600,
          },
        } as never),
      ),
    revalidate: (tag) => handler.revalidateTag(tag),
    close: async () => {
      client.destroy();
    },
  };
}

async function commandsSent(admin: RedisClientType): Promise<number> {
  const info = await admin.info('commandstats');
  let n = 0;
  for (const m of info.matchAll(/calls=(\d+)/g)) n += Number(m[1]);
  return n;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const admin = createClient({ url: redis.url }) as RedisClientType;
  await admin.connect();
  const rows: Table['rows'] = [];
  try {
    for (const n of SIZES) {
      for (const make of [() => Promise.resolve(ours(redis.url)), () => forte(redis.url)]) {
        await admin.flushAll();
        const c = await make();
        const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
        await c.fill(n);
        const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1]);
        const times: number[] = [];
        const commands: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          await admin.configResetStat();
          const t0 = performance.now();
          await c.revalidate(`g${r}`);
          times.push(performance.now() - t0);
          // INFO itself counts once.
          commands.push((await commandsSent(admin)) - 1);
        }
        rows.push([c.name, n, median(times), median(commands), (after - before) / n]);
        await c.close();
      }
    }
  } finally {
    admin.destroy();
    await redis.stop();
  }
  const ourRows = rows.filter((r) => r[0] === 'stratacache/next');
  const growth = (rs: Table['rows']): string =>
    `${((rs.at(-1)![2] as number) / (rs[0]![2] as number)).toFixed(1)}x`;
  report('next-tags', [
    {
      title: 'revalidateTag cost vs cached entries (one private Redis, same run)',
      note: `Median of ${ROUNDS} rounds, each revalidating a tag carried by 1 % of the entries. Growth 1k -> 100k: stratacache/next ${growth(ourRows)}, fortedigital ${growth(rows.filter((r) => r[0] !== 'stratacache/next'))}. Shared noisy 2-core machine.`,
      columns: ['handler', 'entries', 'revalidateTag ms', 'Redis commands', 'Redis bytes / entry'],
      rows,
    },
  ]);
}

await main();
