/**
 * The stratacache demo: a product catalog in an embedded Postgres (PGlite), read by concurrent clients
 * through a `Cache` on its embedded default (the memory tier, no server). With counted database queries
 * and measured latencies it shows: a cold-start burst coalesced into one query, the hit ratio on a Zipf
 * stream, a price update made visible by tag invalidation, stale values served while the database is
 * slow and then down, and the same traffic without a cache. Exits with 1 if an invariant fails.
 */
import { Cache } from 'stratacache';
import { CatalogDatabase, DatabaseDownError, type Product } from './catalog-database.js';
import { type DemoConfig, parseConfig, UsageError } from './config.js';
import { serveDashboard } from './dashboard-server.js';
import { writeDemoChart } from './demo-chart.js';
import { FastForwardClock } from './fast-forward-clock.js';
import { duration, int, ms, percent, table, times, wrap } from './format.js';
import { setupLines } from './intro.js';
import { type Check, hitRatio, latenciesIn, type Snapshot, snapshot } from './measures.js';
import { PriceChange } from './price-change.js';
import { ProgressBar } from './progress-bar.js';
import { StatsSampler } from './timeline.js';
import { type Phase, quantile, runTraffic } from './traffic.js';
import { zipfProductStream } from './zipf.js';

const out = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** Builds the cache, serves its live dashboard for the whole run, runs the demo, then closes the server. */
async function main(config: DemoConfig): Promise<number> {
  out('stratacache demo: a product catalog in Postgres, read through an in-process cache');
  const clock = new FastForwardClock();
  const cache = new Cache({
    l1: { maxEntries: config.products },
    ttl: config.ttl,
    staleWhileRevalidate: config.staleWhileRevalidate,
    grace: config.grace,
    earlyRefresh: { beta: 1 },
    timeouts: { soft: config.softTimeout, hard: config.hardTimeout },
    clock,
  });
  const dashboard = await serveDashboard(cache, config.port);
  out(`Dashboard: ${dashboard.url} (live while the demo runs)`);
  out();
  try {
    return await run(config, cache, clock);
  } finally {
    await dashboard.close();
  }
}

async function run(config: DemoConfig, cache: Cache, clock: FastForwardClock): Promise<number> {
  const checks: Check[] = [];
  const c = config;
  // ── set-up ──────────────────────────────────────────────────────────────────────────────────────
  const bootStart = performance.now();
  const db = await CatalogDatabase.open(config.products, config.slowMs);
  const rows = await db.count();
  const bootSeconds = ((performance.now() - bootStart) / 1000).toFixed(1);
  const { ids, byPopularity } = zipfProductStream(config.requests, config.products, config.zipf, config.seed);
  for (const line of setupLines(config, rows, bootSeconds)) out(line);
  out();

  /** Products the cache holds a value of (a load succeeded; not evicted or invalidated since). */
  const held = new Set<number>();
  cache.on('evict', ({ key }) => held.delete(Number(key.slice('product:'.length))));
  const callOptions = new Map<number, { tags: string[] }>();
  const readProduct = (id: number): Promise<Product> => {
    let options = callOptions.get(id);
    if (options === undefined) {
      options = { tags: [`product:${id}`] };
      callOptions.set(id, options);
    }
    return cache.getOrSet(
      `product:${id}`,
      async () => {
        const product = await db.findProduct(id);
        if (product === null) throw new Error(`No product ${id}`);
        held.add(id);
        return product;
      },
      options,
    );
  };

  // ── 1. cold-start burst ─────────────────────────────────────────────────────────────────────────
  const hottest = byPopularity[0]!;
  out(`1. Cold start: ${config.burst} concurrent requests for product #${hottest}, nothing cached yet`);
  const queriesBeforeBurst = db.queries;
  const burst = await Promise.all(Array.from({ length: config.burst }, () => readProduct(hottest)));
  const burstQueries = db.queries - queriesBeforeBurst;
  const burstJoined = cache.stats().loads.coalesced;
  const sameAnswer = burst.every((p) => p.id === hottest && p.priceCents === burst[0]!.priceCents);
  checks.push({
    name: 'cold-start burst coalesced',
    ok: burstQueries === 1 && sameAnswer,
    detail: `${config.burst} concurrent requests → ${burstQueries} database ${burstQueries === 1 ? 'query' : 'queries'}`,
  });
  out(`   → ${burstQueries} database query; ${int(burstJoined)} callers joined the in-flight load`);
  out();

  // ── 2. traffic through the cache ────────────────────────────────────────────────────────────────
  const n = config.requests;
  const firstJump = config.ttl + 10_000;
  const secondJump = config.staleWhileRevalidate;
  out(`2. Traffic through the cache: ${int(n)} requests in five phases`);
  out(
    [
      `   When the database turns slow, the demo moves the cache's clock ${duration(firstJump)} ahead (option`,
      `   \`clock\`) so every cached product is past its TTL; when it goes down, ${duration(secondJump)} more, past`,
      '   the stale-while-revalidate window too. Database time and latencies stay real.',
    ].join('\n'),
  );
  const snapshots: Snapshot[] = [];
  const enter = (change: () => void) => (): void => {
    snapshots.push(snapshot(cache, db));
    change();
  };
  const phases: Phase[] = [
    { name: 'warm-up (empty cache)', from: 0, enter: enter(() => {}) },
    { name: 'steady traffic', from: Math.floor(n * 0.2), enter: enter(() => {}) },
    {
      name: `database slow (+${config.slowMs} ms/query)`,
      from: Math.floor(n * 0.5),
      enter: enter(() => {
        clock.advance(firstJump);
        db.health = 'slow';
      }),
    },
    {
      name: 'database down',
      from: Math.floor(n * 0.65),
      enter: enter(() => {
        clock.advance(secondJump);
        db.health = 'down';
      }),
    },
    {
      name: 'database recovered',
      from: Math.floor(n * 0.8),
      enter: enter(() => {
        db.health = 'healthy';
      }),
    },
  ];
  const [STEADY, SLOW, DOWN, RECOVERED] = [1, 2, 3, 4] as const;

  const priceChange = new PriceChange(hottest, {
    cache,
    db,
    read: readProduct,
    forget: (id) => held.delete(id),
  });
  let heldButFailed = 0;
  // The picture's time series: the counters every 100 ms (the phase snapshots give its bands).
  const sampler = new StatsSampler(cache, 100);
  sampler.start();
  const cached = await runTraffic(
    {
      ids,
      requests: n,
      clients: config.clients,
      rate: config.rate,
      phases,
      milestones: [{ at: Math.floor(n * 0.35), run: () => priceChange.run() }],
      progress: new ProgressBar(n),
    },
    async (id, startedAt) => {
      const wasHeld = held.has(id);
      let product: Product;
      try {
        product = await readProduct(id);
      } catch (error) {
        if (wasHeld) heldButFailed++;
        throw error;
      }
      priceChange.observe(id, startedAt, product);
    },
  );
  const samples = sampler.stop();
  // close() waits for background refreshes, so their queries are counted too.
  await cache.close();
  snapshots.push(snapshot(cache, db));

  for (const line of priceChange.lines()) out(line);
  checks.push(priceChange.check());
  out();

  // ── 3. the same traffic without a cache ─────────────────────────────────────────────────────────
  const nb = config.baselineRequests;
  const sample = nb === n ? '' : `the first ${int(nb)} of the same stream, `;
  out(`3. The same traffic without a cache (${sample}same clients and pace, healthy database)`);
  const queriesBeforeBaseline = db.queries;
  const baseline = await runTraffic(
    {
      ids,
      requests: nb,
      clients: config.clients,
      rate: config.rate,
      phases: [{ name: 'every request queries Postgres', from: 0 }],
      progress: new ProgressBar(nb),
    },
    async (id) => {
      if ((await db.findProduct(id)) === null) throw new Error(`No product ${id}`);
    },
  );
  const baselineQueries = db.queries - queriesBeforeBaseline;
  await db.close();
  out();

  // ── results ─────────────────────────────────────────────────────────────────────────────────────
  const failuresIn = (phase: number): number =>
    cached.failures.filter((f) => cached.phaseOf[f.index] === phase).length;
  out('Per phase, with the cache');
  out(
    table(
      ['phase', 'requests', 'hit ratio', 'db queries', 'stale served', 'failed', 'p50', 'p99'],
      phases.map((p, i) => {
        const a = snapshots[i]!;
        const b = snapshots[i + 1]!;
        const lat = latenciesIn(cached, [i]);
        const refused = b.refused - a.refused;
        return [
          p.name,
          int(lat.length),
          percent(hitRatio(a.stats, b.stats)),
          int(b.queries - a.queries) + (refused > 0 ? ` + ${int(refused)} refused` : ''),
          int(b.stats.stale.total - a.stats.stale.total),
          int(failuresIn(i)),
          ms(quantile(lat, 0.5)),
          ms(quantile(lat, 0.99)),
        ];
      }),
    ),
  );
  out();

  const first = snapshots[0]!;
  const last = snapshots[snapshots.length - 1]!;
  const runQueries = last.queries - first.queries;
  const coalesced = last.stats.loads.coalesced - first.stats.loads.coalesced;
  const incidentFrom = snapshots[SLOW]!.stats.stale;
  const incidentTo = snapshots[RECOVERED]!.stats.stale;
  const stale = {
    total: incidentTo.total - incidentFrom.total,
    swr: incidentTo.swr - incidentFrom.swr,
    failSafe: incidentTo.failSafe - incidentFrom.failSafe,
    softTimeout: incidentTo.softTimeout - incidentFrom.softTimeout,
  };
  // Without a cache every request is one query: the count measured on the replay, scaled to the run.
  const withoutQueries = Math.round((baselineQueries / nb) * n);
  const healthyCached = latenciesIn(cached, [STEADY, RECOVERED]);
  const failedDown = cached.failures.filter((f) => f.error instanceof DatabaseDownError).length;
  const otherFailures = cached.failures.length - failedDown;
  const downRequests = latenciesIn(cached, [DOWN]).length;

  const staleReasons = (
    [
      ['swr', stale.swr],
      ['fail-safe', stale.failSafe],
      ['soft timeout', stale.softTimeout],
    ] as const
  )
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason} ${int(count)}`)
    .join(', ');
  out('Summary');
  out(
    table(
      ['', 'without cache', 'with stratacache'],
      [
        ['requests', int(n), int(n)],
        [
          'database queries',
          nb === n ? int(withoutQueries) : `${int(withoutQueries)} *`,
          `${int(runQueries)}  (${times(withoutQueries / Math.max(1, runQueries))} fewer)`,
        ],
        [
          'hit ratio (whole run / once warm)',
          '—',
          `${percent(hitRatio(first.stats, last.stats))} / ${percent(hitRatio(snapshots[STEADY]!.stats, snapshots[SLOW]!.stats))}`,
        ],
        [
          'p50 latency, healthy database ‡',
          ms(quantile(baseline.latencies, 0.5)),
          ms(quantile(healthyCached, 0.5)),
        ],
        [
          'p99 latency, healthy database ‡',
          ms(quantile(baseline.latencies, 0.99)),
          ms(quantile(healthyCached, 0.99)),
        ],
        ['-'],
        [
          `cold start: ${config.burst} requests for one product`,
          `${config.burst} queries`,
          `${burstQueries} query`,
        ],
        ['loader calls saved by coalescing', '—', int(burstJoined + coalesced)],
        ['stale served while slow or down', '—', `${int(stale.total)} (${staleReasons})`],
        ['failed requests while down', `${int(downRequests)} (all) †`, int(failedDown)],
        ['price update seen after invalidateTags', '—', priceChange.seenAtOnce ? 'yes, at once' : 'NO'],
      ],
    ),
  );
  if (nb !== n)
    out(`   * measured: ${int(baselineQueries)} queries for ${int(nb)} requests, scaled to ${int(n)}`);
  out(`   † not replayed: without a cache every read goes to the database, which refuses all of them`);
  out(
    `   ‡ with the cache: the steady and recovered phases (warm cache); the warm-up is in the table above.`,
  );
  out(
    `     ${percent(1 - hitRatio(snapshots[STEADY]!.stats, snapshots[SLOW]!.stats))} of warm reads still miss, ` +
      'so p99 is a database read in both columns.',
  );
  out(`   With the cache, reads fail only for products it never held; it kept serving the others.`);
  out(`   Hit ratio counts fresh hits; stale answers (served at once) are counted apart.`);
  out();
  const answeredWhileDown = (downRequests - failedDown) / Math.max(1, downRequests);
  out(
    wrap(
      `In short: ${times(withoutQueries / Math.max(1, runQueries))} fewer database queries; ` +
        `median read ${ms(quantile(healthyCached, 0.5))} instead of ${ms(quantile(baseline.latencies, 0.5))}; ` +
        `${c.burst} simultaneous cold requests → ${burstQueries} query; a price change visible on the next read ` +
        `after invalidateTags; ${percent(answeredWhileDown)} of reads still answered while the database was down.`,
      100,
    ),
  );
  out();

  // ── invariants ──────────────────────────────────────────────────────────────────────────────────
  checks.push({
    name: 'fail-safe kept cached products available',
    ok: heldButFailed === 0 && otherFailures === 0,
    detail:
      `${int(heldButFailed)} failed reads of products the cache held, ` +
      `${int(otherFailures)} failures other than "database down"`,
  });
  checks.push({
    name: 'stale values served during the incident',
    ok: stale.total > 0,
    detail: `${int(stale.total)} reads answered from expired values while the database was slow or down`,
  });
  checks.push({
    name: 'fewer database queries with the cache',
    ok: runQueries < withoutQueries,
    detail: `${int(runQueries)} with, ${int(withoutQueries)} without`,
  });
  checks.push({
    name: 'without the cache every request queried the database',
    ok: baselineQueries === nb && baseline.failures.length === 0,
    detail: `${int(baselineQueries)} queries for ${int(nb)} requests, ${baseline.failures.length} failures`,
  });
  const invalidatedAt = priceChange.invalidatedAt;
  const picture = writeDemoChart(config.outDir, {
    subtitle:
      `${int(n)} requests from ${c.clients} clients paced at ${int(c.rate)}/s, Zipf(${c.zipf}), seed ${c.seed}; ` +
      `memory tier + PGlite; hit ratio ${percent(hitRatio(first.stats, last.stats))} over the run`,
    samples,
    phases: phases.map((p, i) => ({ name: p.name, start: snapshots[i]!, end: snapshots[i + 1]! })),
    t0: first.at,
    markers:
      invalidatedAt === undefined
        ? []
        : [{ at: invalidatedAt, label: `price change of #${hottest} + invalidateTags` }],
  });

  out('Checks');
  for (const check of checks) out(`   ${check.ok ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  const failed = checks.filter((check) => !check.ok).length;
  out();
  out(failed === 0 ? 'All checks passed.' : `${failed} check(s) FAILED.`);
  out(`Picture: ${picture} (hit ratio, requests/s by outcome, get/load latency per phase)`);
  return failed === 0 ? 0 : 1;
}

let config: DemoConfig;
try {
  config = parseConfig(process.argv.slice(2), process.env);
} catch (err) {
  if (!(err instanceof UsageError)) throw err;
  if (err.message !== '') process.stderr.write(`${err.message}\n`);
  process.stderr.write(`${err.usage}\n`);
  process.exit(err.message === '' ? 0 : 2);
}
main(config).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
