import { Command, CommanderError, Option } from 'commander';
import { version } from '../../package.json';
import { Cache } from '../cache.js';
import { readFleet } from '../observability/fleet/heartbeat.js';
import { RedisStore } from '../stores/redis/redis-store.js';
import { decodeEntry } from './inspect-entry.js';

/** Exit codes scripts can rely on. */
export const EXIT = { ok: 0, notFound: 1, usage: 2, unreachable: 3, unreadable: 4 } as const;

interface Globals {
  redis: string;
  prefix: string;
  storePrefix: string;
  json: boolean;
}

/** Where output goes (a test passes its own). */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

async function withStore<T>(g: Globals, io: Io, use: (store: RedisStore) => Promise<T>): Promise<T> {
  const store = new RedisStore({ url: g.redis }, { prefix: g.storePrefix });
  try {
    await store.ready({ timeoutMs: 3_000 });
  } catch (err) {
    await store.close();
    io.err(`cannot reach Redis at ${g.redis}: ${(err as Error).message}`);
    throw new Exit(EXIT.unreachable);
  }
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

/** Runs an invalidation through a `Cache` with the bus on, so every instance's L1 drops the entries too. */
async function withCache<T>(g: Globals, io: Io, use: (cache: Cache) => Promise<T>): Promise<T> {
  return withStore(g, io, async (store) => {
    const cache = new Cache({ l2: store, l1: false, prefix: g.prefix, bus: true });
    try {
      return await use(cache);
    } finally {
      await cache.close();
    }
  });
}

function print(io: Io, g: Globals, json: unknown, text: string): void {
  io.out(g.json ? JSON.stringify(json) : text);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => cell.padEnd(widths[c]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number): string => `${x.toFixed(3)}ms`;

/** The `stratacache` command; `run` parses `argv` (without node and the script) and resolves an exit code. */
export function program(io: Io): { run(argv: string[]): Promise<number> } {
  const cmd = new Command('stratacache')
    .description('Inspect and administer stratacache data in Redis')
    .version(version)
    .addOption(
      new Option('--redis <url>', 'Redis URL').env('STRATACACHE_REDIS_URL').default('redis://127.0.0.1:6379'),
    )
    .option('--prefix <prefix>', "the caches' key prefix (CacheOptions.prefix)", 'sc:')
    .option('--store-prefix <prefix>', "the RedisStore's own prefix (RedisStoreOptions.prefix)", '')
    .option('--json', 'print JSON instead of text', false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const g = (): Globals => cmd.opts<Globals>();

  cmd
    .command('fleet')
    .description('live instances publishing a heartbeat, and fleet totals')
    .option('--key-prefix <prefix>', 'the heartbeat key prefix', '__sc_fleet:')
    .action(async (opts: { keyPrefix: string }) => {
      const fleet = await withStore(g(), io, (s) => readFleet(s, { keyPrefix: opts.keyPrefix }));
      const rows = [
        ['ID', 'NAME', 'HOST', 'PID', 'VERSION', 'UPTIME', 'HITS', 'MISSES', 'HIT%', 'L1', 'BREAKER'],
      ];
      for (const i of fleet.instances) {
        const c = i.counters;
        const lookups = c.hits + c.misses;
        rows.push([
          i.id,
          i.name ?? '-',
          i.host,
          String(i.pid),
          i.version,
          `${Math.round(i.uptimeMs / 1000)}s`,
          String(c.hits),
          String(c.misses),
          pct(lookups === 0 ? 0 : c.hits / lookups),
          String(i.l1.entries),
          i.breakerOpen ? 'open' : 'closed',
        ]);
      }
      const t = fleet.totals;
      const summary = `${t.instances} instance(s), hit ratio ${pct(t.hitRatio)}, get p50 ${ms(t.latency.get.p50)} p99 ${ms(t.latency.get.p99)}`;
      print(io, g(), fleet, `${table(rows)}\n${summary}`);
    });

  const read = async (key: string): Promise<ReturnType<typeof decodeEntry>> => {
    const bytes = await withStore(g(), io, (s) => s.get(g().prefix + key));
    if (bytes === undefined) {
      io.err(`no entry under ${JSON.stringify(key)} (L2 key ${JSON.stringify(g().prefix + key)})`);
      throw new Exit(EXIT.notFound);
    }
    try {
      return decodeEntry(key, bytes, Date.now());
    } catch (err) {
      io.err(`the value under ${JSON.stringify(key)} is not a stratacache entry: ${(err as Error).message}`);
      throw new Exit(EXIT.unreadable);
    }
  };

  cmd
    .command('inspect <key>')
    .description(
      'decode the stored entry: size, created, expiry, stale deadline, tags, version (not the value)',
    )
    .action(async (key: string) => {
      const { report } = await read(key);
      const lines = Object.entries(report).map(([k, v]) => `${k}: ${Array.isArray(v) ? v.join(', ') : v}`);
      print(io, g(), report, lines.join('\n'));
    });

  cmd
    .command('get <key>')
    .description("print the stored value's bytes as UTF-8 (JSON for the default serializer)")
    .action(async (key: string) => {
      const { report, payload } = await read(key);
      const value = new TextDecoder().decode(payload);
      print(io, g(), { ...report, value }, value);
    });

  cmd
    .command('del <key>')
    .description('delete a key from L2 and, through the bus, from every L1')
    .action(async (key: string) => {
      const deleted = await withCache(g(), io, (c) => c.delete(key));
      print(io, g(), { key, deleted }, deleted ? `deleted ${key}` : `${key} was not in L2 (L1s told anyway)`);
      if (!deleted) throw new Exit(EXIT.notFound);
    });

  cmd
    .command('invalidate-tag <tags...>')
    .description('invalidate every entry carrying any of the tags, in every tier and instance')
    .action(async (tags: string[]) => {
      await withCache(g(), io, (c) => c.invalidateTags(tags));
      print(io, g(), { tags }, `invalidated ${tags.join(', ')}`);
    });

  return {
    async run(argv) {
      try {
        await cmd.parseAsync(argv, { from: 'user' });
        return EXIT.ok;
      } catch (err) {
        if (err instanceof Exit) return err.code;
        if (err instanceof CommanderError) return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
        io.err((err as Error).stack ?? String(err));
        return EXIT.unreachable;
      }
    },
  };
}
