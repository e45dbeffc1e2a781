import type { Command } from 'commander';
import { withCache } from '../connect.js';
import { type Globals, type Io, print, usage } from '../shared.js';

interface InvalidateOptions {
  tag?: string[];
  pattern?: string;
  key?: string[];
  namespace?: string;
}

interface InvalidateResult {
  tags?: string[];
  pattern?: { glob: string; removed: number };
  keys?: { keys: string[]; deleted: number };
  namespace?: string;
}

/**
 * Every invalidation goes through a `Cache` with `bus: true` on the same prefix, so it is the exact
 * operation an application would run: L2 changes and the bus message makes each live instance's L1
 * drop its copy (tags and namespaces are O(1) markers, patterns SCAN, keys are deleted).
 */
async function invalidate(g: Globals, io: Io, o: InvalidateOptions): Promise<InvalidateResult> {
  return withCache(g, io, async (cache) => {
    const result: InvalidateResult = {};
    if (o.tag !== undefined) {
      await cache.invalidateTags(o.tag);
      result.tags = o.tag;
    }
    if (o.pattern !== undefined) {
      result.pattern = { glob: o.pattern, removed: await cache.invalidatePattern(o.pattern) };
    }
    if (o.key !== undefined) result.keys = { keys: o.key, deleted: await cache.deleteMany(o.key) };
    if (o.namespace !== undefined) {
      await cache.namespace(o.namespace).clear();
      result.namespace = o.namespace;
    }
    return result;
  });
}

function describeResult(r: InvalidateResult): string {
  const lines: string[] = [];
  if (r.tags) lines.push(`invalidated tag(s) ${r.tags.join(', ')}`);
  if (r.pattern)
    lines.push(`invalidated pattern ${r.pattern.glob}: ${r.pattern.removed} key(s) removed from L2`);
  if (r.keys) lines.push(`deleted ${r.keys.deleted} of ${r.keys.keys.length} key(s) from L2`);
  if (r.namespace) lines.push(`cleared namespace ${r.namespace}`);
  return lines.join('\n');
}

/** `invalidate --tag/--pattern/--key/--namespace`, and the older `invalidate-tag <tags...>`. */
export function registerInvalidate(cmd: Command, g: () => Globals, io: Io): void {
  cmd
    .command('invalidate')
    .description('invalidate in every tier and, through the bus, in every live instance')
    .option('--tag <tags...>', 'entries carrying any of the tags')
    .option('--pattern <glob>', 'keys matching a glob (under the cache prefix)')
    .option('--key <keys...>', 'these keys')
    .option('--namespace <name>', 'everything in a namespace (cache.namespace(name).clear())')
    .action(async (opts: InvalidateOptions) => {
      if (!opts.tag && !opts.pattern && !opts.key && !opts.namespace)
        usage(io, 'invalidate needs at least one of --tag, --pattern, --key, --namespace');
      const result = await invalidate(g(), io, opts);
      print(io, g(), result, describeResult(result));
    });

  cmd
    .command('invalidate-tag <tags...>')
    .description('same as invalidate --tag <tags...> (kept for scripts)')
    .action(async (tags: string[]) => {
      await invalidate(g(), io, { tag: tags });
      print(io, g(), { tags }, `invalidated ${tags.join(', ')}`);
    });
}
