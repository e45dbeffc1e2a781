import { type Command, Option } from 'commander';
import { escapeGlob } from '../../internal/glob.js';
import { withStore } from '../connect.js';
import { type Globals, type Io, positiveInt, print, table } from '../shared.js';

const DEFAULT_LIMIT = 1000;

/** Groups keys by their first `:` segment (usually the entity or namespace), to show where keys go. */
function countByGroup(keys: readonly string[]): Array<{ group: string; count: number }> {
  const counts = new Map<string, number>();
  for (const k of keys) {
    const colon = k.indexOf(':');
    const group = colon < 0 ? '(none)' : `${k.slice(0, colon)}:`;
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return [...counts].map(([group, count]) => ({ group, count })).sort((a, b) => b.count - a.count);
}

/**
 * `keys <glob>`: SCAN with MATCH under the cache prefix, stopped after `--limit` keys so a large
 * keyspace cannot flood the terminal or keep Redis busy; the output says when it stopped early.
 */
export function registerKeys(cmd: Command, g: () => Globals, io: Io): void {
  cmd
    .command('keys <glob>')
    .description('list cache keys matching a glob (SCAN, bounded), with counts per first segment')
    .addOption(
      new Option('--limit <n>', 'stop after n keys').default(DEFAULT_LIMIT).argParser(positiveInt('--limit')),
    )
    .option('--count-only', 'print only the counts', false)
    .action(async (glob: string, opts: { limit: number; countOnly: boolean }) => {
      const prefix = g().prefix;
      const { keys, truncated } = await withStore(
        g(),
        io,
        async (store) => {
          const found: string[] = [];
          // withStore refused a store without SCAN; the cache prefix is literal (it may hold glob
          // characters), the rest is the user's glob.
          for await (const k of store.scan?.(escapeGlob(prefix) + glob) ?? []) {
            if (found.length === opts.limit) return { keys: found, truncated: true };
            found.push(k.slice(prefix.length));
          }
          return { keys: found, truncated: false };
        },
        'keys',
      );
      keys.sort();
      const groups = countByGroup(keys);
      const summary = `${keys.length}${truncated ? '+' : ''} key(s) matching ${JSON.stringify(glob)} under prefix ${JSON.stringify(prefix)}${truncated ? ` (stopped at --limit ${opts.limit}; narrow the glob or raise the limit)` : ''}`;
      const lines: string[] = [];
      if (!opts.countOnly) lines.push(...keys);
      if (groups.length > 0)
        lines.push(table([['GROUP', 'KEYS'], ...groups.map((x) => [x.group, String(x.count)])]));
      lines.push(summary);
      const json = {
        glob,
        prefix,
        count: keys.length,
        truncated,
        limit: opts.limit,
        groups,
        ...(opts.countOnly ? {} : { keys }),
      };
      print(io, g(), json, lines.join('\n'));
    });
}
