import { type Command, Option } from 'commander';
import { readFleet } from '../../observability/fleet/heartbeat.js';
import type { FleetView, WriteBehindSummary } from '../../observability/fleet/snapshot.js';
import type { Store } from '../../stores/store.js';
import { withStore } from '../connect.js';
import { type Globals, type Io, ms, pct, positiveInt, print, table } from '../shared.js';

const DEFAULT_WATCH_MS = 2_000;

function render(fleet: FleetView): string {
  const rows = [
    [
      'ID',
      'NAME',
      'HOST',
      'PID',
      'VERSION',
      'UPTIME',
      'HITS',
      'MISSES',
      'HIT%',
      'L1',
      'BREAKER',
      'NODES',
      'WB',
    ],
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
      i.nodes === undefined ? '-' : `${i.nodes.total - i.nodes.open}/${i.nodes.total} up`,
      i.writeBehind === undefined ? '-' : writeBehindCell(i.writeBehind),
    ]);
  }
  const t = fleet.totals;
  const summary =
    `${t.instances} instance(s), hit ratio ${pct(t.hitRatio)}, ` +
    `get p50 ${ms(t.latency.get.p50)} p99 ${ms(t.latency.get.p99)}, ` +
    `L2 errors ${t.counters.l2Errors}, breakers open ${t.breakersOpen}` +
    (t.writeBehind === undefined ? '' : `, write-behind ${writeBehindCell(t.writeBehind)}`);
  return `${table(rows)}\n${summary}`;
}

/** Write-behind depth, dead letters and lag in one cell: `12 pending, 0 dead, lag 40 ms`. */
function writeBehindCell(w: WriteBehindSummary): string {
  return `${w.pending} pending, ${w.deadLettered} dead, lag ${ms(w.lagMs)}`;
}

/**
 * Redraws until SIGINT/SIGTERM, on one connection. A terminal gets the screen cleared between frames;
 * a pipe gets frames one after another (one JSON line each with --json), so it can be logged or parsed.
 */
async function watch(g: Globals, io: Io, store: Store, keyPrefix: string, everyMs: number): Promise<void> {
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = (): void => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const tty = process.stdout.isTTY === true && !g.json;
  try {
    for (;;) {
      const fleet = await readFleet(store, { keyPrefix });
      const frame = g.json ? JSON.stringify({ at: new Date().toISOString(), ...fleet }) : render(fleet);
      io.out(tty ? `\x1b[2J\x1b[H${frame}` : g.json ? frame : `${frame}\n`);
      let timer: NodeJS.Timeout | undefined;
      const tick = new Promise<'tick'>((r) => (timer = setTimeout(() => r('tick'), everyMs)));
      const why = await Promise.race([tick, stopped.then(() => 'stop' as const)]);
      clearTimeout(timer);
      if (why === 'stop') return;
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** `stats` (alias `fleet`): fleet totals and per-instance rows from the heartbeats. */
export function registerStats(cmd: Command, g: () => Globals, io: Io): void {
  cmd
    .command('stats')
    .alias('fleet')
    .description('fleet totals and per-instance stats from the heartbeats (startHeartbeat)')
    .option('--key-prefix <prefix>', 'the heartbeat key prefix', '__sc_fleet:')
    .addOption(
      new Option('--watch [ms]', `redraw every ms (default ${DEFAULT_WATCH_MS}) until interrupted`).argParser(
        positiveInt('--watch'),
      ),
    )
    .action(async (opts: { keyPrefix: string; watch?: number | true }) => {
      if (opts.watch !== undefined) {
        const everyMs = opts.watch === true ? DEFAULT_WATCH_MS : opts.watch;
        await withStore(g(), io, (s) => watch(g(), io, s, opts.keyPrefix, everyMs), 'stats');
        return;
      }
      const fleet = await withStore(g(), io, (s) => readFleet(s, { keyPrefix: opts.keyPrefix }), 'stats');
      print(io, g(), fleet, render(fleet));
    });
}
