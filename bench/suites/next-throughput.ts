/**
 * Requests per second of a cached ISR page (/isr of the fixture app in test/integrations/next), one
 * `next start` at a time on loopback, same build, same run: Next's default cache (file system + its memory
 * cache) vs stratacache/next over a private Redis (tag times read per request, the default) and with
 * `STRATACACHE_TAG_SYNC_INTERVAL=1000` (tag times trusted for 1 s between bus messages).
 *
 * Load: 32 keep-alive connections from this process for 4 s per round, contenders in a new order each of
 * 5 rounds; the table shows medians. Server and load generator share the 2 cores (and the machine is shared
 * with other work): compare the ratios, not the absolute numbers. Run `npm run build` first.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { startRedis } from '../../test/helpers/servers.js';
import { buildFixture, startNext } from '../../test/integrations/next/next-app.js';
import { median, report } from '../lib/report.js';

const CONNECTIONS = 32;
const SECONDS = 4;
const ROUNDS = 5;

function get(agent: Agent, url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Requests per second and p99 latency (ms) of GET `url` under CONNECTIONS concurrent keep-alive loops. */
async function load(url: URL, seconds: number): Promise<{ rps: number; p99: number; errors: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const status = await get(agent, url).catch(() => 0);
        if (status !== 200) errors++;
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return {
    rps: latencies.length / elapsed,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
    errors,
  };
}

const app = await buildFixture();
const redis = await startRedis();
const contenders = [
  { name: "Next's default cache (file system)", env: { FIXTURE_CACHE: 'default' } },
  { name: 'stratacache/next (L1 + Redis)', env: { REDIS_URL: redis.url } },
  {
    name: 'stratacache/next, tagSyncInterval 1000',
    env: { REDIS_URL: redis.url, STRATACACHE_TAG_SYNC_INTERVAL: '1000' },
  },
];
const results = new Map<string, Array<{ rps: number; p99: number; errors: number }>>();
try {
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...contenders].sort(() => Math.random() - 0.5);
    for (const c of order) {
      const server = await startNext(app, `bench-${round}`, c.env);
      try {
        const url = new URL('/isr', server.url);
        await load(url, 1); // warm: the first request renders and caches the page
        const r = await load(url, SECONDS);
        results.set(c.name, [...(results.get(c.name) ?? []), r]);
      } finally {
        await server.stop();
      }
    }
  }
} finally {
  await redis.stop();
}
const base = median(results.get(contenders[0]!.name)!.map((r) => r.rps));
report('next-throughput', [
  {
    title: 'Cached ISR page: requests/s through `next start` (same build, same run)',
    note: `${CONNECTIONS} keep-alive connections, ${SECONDS} s per round, medians of ${ROUNDS} rounds in random order; load generator on the same 2 shared cores.`,
    columns: ['cache', 'requests/s', 'vs default', 'p99 ms', 'non-200'],
    rows: contenders.map((c) => {
      const rs = results.get(c.name)!;
      const rps = median(rs.map((r) => r.rps));
      return [
        c.name,
        rps,
        `${(rps / base).toFixed(2)}x`,
        median(rs.map((r) => r.p99)),
        rs.reduce((n, r) => n + r.errors, 0),
      ];
    }),
  },
]);
