import { type Command, Option } from 'commander';
import { HashRing, type HashRingMode } from '../../distributed/hash-ring.js';
import { isCacheError } from '../../errors.js';
import { type Globals, type Io, parseServers, pct, positiveInt, print, table, usage } from '../shared.js';

interface RingOptions {
  servers: string;
  mode: HashRingMode;
  points?: number;
  add?: string;
  remove?: string;
  sample: number;
}

interface Movement {
  change: 'add' | 'remove';
  node: string;
  sample: number;
  moved: number;
  share: number;
  /** The share consistent hashing promises: the changed node's part of the total weight. */
  expectedShare: number;
  /** Keys per node before and after, over the sample. */
  before: Record<string, number>;
  after: Record<string, number>;
}

function spread(ring: HashRing, keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ring.nodes.map((n) => [n, 0]));
  for (const k of keys) counts[ring.getNode(k)!]!++;
  return counts;
}

/**
 * `ring`: where the sharded store's ring (the same HashRing, mode and points) puts a key, and how
 * many keys of a synthetic sample change node when a server is added or removed. Pure: no server.
 */
export function registerRing(cmd: Command, g: () => Globals, io: Io): void {
  cmd
    .command('ring [key]')
    .description('which node a key maps to on a consistent-hash ring, and what moves if a node is added')
    .requiredOption('--servers <list>', 'comma-separated host:port[=weight], as given to the sharded store')
    .addOption(new Option('--mode <mode>', 'ring flavour').choices(['ketama', 'twemproxy']).default('ketama'))
    .addOption(
      new Option('--points <n>', 'points per server (multiple of 4)').argParser(positiveInt('--points')),
    )
    .option('--add <host:port>', 'report the keys that would move if this node joined')
    .option('--remove <host:port>', 'report the keys that would move if this node left')
    .addOption(
      new Option('--sample <n>', 'sample size for --add/--remove')
        .default(10_000)
        .argParser(positiveInt('--sample')),
    )
    .action((key: string | undefined, opts: RingOptions) => {
      if (key === undefined && opts.add === undefined && opts.remove === undefined)
        usage(io, 'ring needs a key, --add or --remove');
      const { names, weights } = parseServers(io, '--servers', opts.servers);
      const ringOptions = {
        mode: opts.mode,
        weights,
        ...(opts.points ? { pointsPerServer: opts.points } : {}),
      };
      let ring: HashRing;
      try {
        ring = new HashRing(names, ringOptions);
      } catch (err) {
        if (isCacheError(err)) usage(io, err.message);
        throw err;
      }
      const prefix = g().prefix;
      const report: {
        key?: string;
        storedKey?: string;
        node?: string;
        nodes: readonly string[];
        movement?: Movement;
      } = {
        nodes: ring.nodes,
      };
      const lines: string[] = [];
      if (key !== undefined) {
        // The sharded store hashes the key it is given: the cache's full key, prefix included.
        const storedKey = prefix + key;
        const node = ring.getNode(storedKey)!;
        Object.assign(report, { key, storedKey, node });
        lines.push(`${key} (stored as ${storedKey}) → ${node}`);
      }
      const change = opts.add !== undefined ? 'add' : opts.remove !== undefined ? 'remove' : undefined;
      if (change !== undefined) {
        const node = (opts.add ?? opts.remove)!;
        if (change === 'remove' && !ring.has(node)) usage(io, `${node} is not in --servers`);
        if (change === 'add' && ring.has(node)) usage(io, `${node} is already in --servers`);
        const keys = Array.from({ length: opts.sample }, (_, i) => `${prefix}sample:${i}`);
        const before = keys.map((k) => ring.getNode(k)!);
        const beforeCounts = spread(ring, keys);
        const next = new HashRing(
          change === 'add' ? [...names, node] : names.filter((n) => n !== node),
          ringOptions,
        );
        let moved = 0;
        for (let i = 0; i < keys.length; i++) if (next.getNode(keys[i]!) !== before[i]) moved++;
        const weightOf = (n: string): number => weights[n] ?? 1;
        const total = [...names, ...(change === 'add' ? [node] : [])].reduce((s, n) => s + weightOf(n), 0);
        report.movement = {
          change,
          node,
          sample: keys.length,
          moved,
          share: moved / keys.length,
          expectedShare: weightOf(node) / total,
          before: beforeCounts,
          after: spread(next, keys),
        };
        const m = report.movement;
        const all = [...new Set([...Object.keys(m.before), ...Object.keys(m.after)])];
        lines.push(
          table([
            ['NODE', 'BEFORE', 'AFTER'],
            ...all.map((n) => [n, String(m.before[n] ?? 0), String(m.after[n] ?? 0)]),
          ]),
          `${change === 'add' ? 'adding' : 'removing'} ${node} moves ${moved} of ${keys.length} sample keys (${pct(m.share)}; ideal ${pct(m.expectedShare)})`,
        );
      }
      print(io, g(), report, lines.join('\n'));
    });
}
