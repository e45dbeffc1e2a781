import type { DemoConfig } from './config.js';
import { duration, int, literal } from './format.js';

/** The lines that describe the run before it starts: the database, the clients, the cache's options. */
export function setupLines(c: DemoConfig, rows: number, bootSeconds: string): string[] {
  return [
    `   database  embedded Postgres (PGlite), ${int(rows)} products seeded with generate_series (${bootSeconds} s)`,
    `   clients   ${c.clients} concurrent loops, ${int(c.requests)} reads paced at ${int(c.rate)}/s,`,
    `             product ids from a Zipf(${c.zipf}) law, seed ${c.seed} (the same stream every run)`,
    '   cache     new Cache({',
    `               l1: { maxEntries: ${literal(c.products)} },`,
    `               ttl: ${literal(c.ttl)},                   // ${duration(c.ttl)} fresh,`,
    `               staleWhileRevalidate: ${literal(c.staleWhileRevalidate)},   // then ${duration(c.staleWhileRevalidate)} served at once while refreshed,`,
    `               grace: ${literal(c.grace)},               // and up to ${duration(c.grace)} as a fallback if the database fails`,
    '               earlyRefresh: { beta: 1 },      // XFetch: hot keys refresh before they expire',
    `               timeouts: { soft: ${c.softTimeout}, hard: ${literal(c.hardTimeout)} }, // a load slower than ${c.softTimeout} ms serves the stale value`,
    '             })',
    `   read      cache.getOrSet(\`product:\${id}\`, () => SELECT … WHERE id = $1, { tags: [\`product:\${id}\`] })`,
  ];
}
