import { Command, CommanderError, Option } from 'commander';
import { version } from '../../package.json';
import { registerInvalidate } from './commands/invalidate.js';
import { registerJournal } from './commands/journal.js';
import { registerKeys } from './commands/keys.js';
import { registerRing } from './commands/ring.js';
import { registerStats } from './commands/stats.js';
import { withCache, withStore } from './connect.js';
import { decodeEntry } from './inspect-entry.js';
import { EXIT, Exit, type Globals, type Io, print } from './shared.js';

export { EXIT, type Io } from './shared.js';

/** The `stratacache` command; `run` parses `argv` (without node and the script) and resolves an exit code. */
export function program(io: Io): { run(argv: string[]): Promise<number> } {
  const cmd = new Command('stratacache')
    .description('Inspect and administer stratacache data in Redis, a Redis Cluster or memcached')
    .version(version)
    .addOption(
      new Option('--redis <url>', 'Redis URL').env('STRATACACHE_REDIS_URL').default('redis://127.0.0.1:6379'),
    )
    .addOption(
      new Option('--cluster <urls>', 'Redis Cluster seed node URLs, comma-separated (instead of --redis)')
        .env('STRATACACHE_REDIS_CLUSTER')
        .conflicts('redis'),
    )
    .addOption(
      new Option(
        '--memcached <servers>',
        'memcached servers, host:port[=weight] comma-separated (sharded by ketama)',
      )
        .env('STRATACACHE_MEMCACHED')
        .conflicts(['redis', 'cluster']),
    )
    .option('--prefix <prefix>', "the caches' key prefix (CacheOptions.prefix)", 'sc:')
    .option('--store-prefix <prefix>', "the RedisStore's own prefix (RedisStoreOptions.prefix)", '')
    .option('--json', 'print JSON instead of text', false)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });
  const g = (): Globals => cmd.opts<Globals>();

  registerStats(cmd, g, io);

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

  registerKeys(cmd, g, io);

  cmd
    .command('del <key>')
    .description('delete a key from L2 and, through the bus, from every L1')
    .action(async (key: string) => {
      const deleted = await withCache(g(), io, (c) => c.delete(key));
      // Over memcached no bus tells the L1s: a copy there lasts until its L1 TTL (docs/observability.md).
      const told = g().memcached ? "other instances' L1 copies last until their L1 TTL" : 'L1s told';
      print(
        io,
        g(),
        { key, deleted },
        deleted ? `deleted ${key} (${told})` : `${key} was not in L2 (${told} anyway)`,
      );
      if (!deleted) throw new Exit(EXIT.notFound);
    });

  registerInvalidate(cmd, g, io);
  registerRing(cmd, g, io);
  registerJournal(cmd, g, io);

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
