import type { RedisClientType } from '@redis/client';
import { type Command, Option } from 'commander';
import { withClient } from '../connect.js';
import { EXIT, Exit, type Globals, type Io, positiveInt, print, table } from '../shared.js';

/** RedisStreamJournal's default consumer group. */
const DEFAULT_GROUP = 'stratacache-write-behind';
const DEAD_SUFFIX = ':dead';
/** Fields the journal adds when it moves an entry to `<stream>:dead`; the rest is the original entry. */
const DEAD_FIELDS = new Set(['_id', '_reason']);

interface JournalReport {
  stream: string;
  /** Entries in the stream: appended and not yet acknowledged (acknowledged entries are deleted). */
  length: number;
  group: {
    name: string;
    consumers: number;
    /** Delivered to a consumer, not acknowledged yet (being applied, or retried after a failure). */
    pending: number;
    lastDeliveredId: string;
    /** Entries not delivered to any consumer yet (Redis ≥ 7; null when unknown). */
    lag: number | null;
    /** Age of the oldest pending entry, from its stream id (ms), or null when nothing is pending. */
    oldestPendingMs: number | null;
  } | null;
  consumers: Array<{ name: string; pending: number; idleMs: number }>;
  dead: {
    stream: string;
    count: number;
    recent: Array<{ id: string; originalId: string; reason: string; key: string | null }>;
  };
}

const idTime = (id: string): number => Number(id.split('-')[0]);

async function report(
  client: RedisClientType,
  stream: string,
  group: string,
  recent: number,
): Promise<JournalReport> {
  const dead = `${stream}${DEAD_SUFFIX}`;
  const length = await client.xLen(stream);
  const deadCount = await client.xLen(dead);
  const out: JournalReport = {
    stream,
    length,
    group: null,
    consumers: [],
    dead: { stream: dead, count: deadCount, recent: [] },
  };
  if ((await client.exists(stream)) === 1) {
    const groups = await client.xInfoGroups(stream);
    const info = groups.find((x) => String(x.name) === group);
    if (info !== undefined) {
      const pending = await client.xPending(stream, group);
      const first = pending.firstId === null ? null : String(pending.firstId);
      const lag = info.lag as unknown;
      out.group = {
        name: group,
        consumers: Number(info.consumers),
        pending: Number(info.pending),
        lastDeliveredId: String(info['last-delivered-id']),
        lag: typeof lag === 'number' ? lag : null,
        oldestPendingMs: first === null ? null : Math.max(0, Date.now() - idTime(first)),
      };
      const consumers = await client.xInfoConsumers(stream, group);
      out.consumers = consumers.map((c) => ({
        name: String(c.name),
        pending: Number(c.pending),
        idleMs: Number(c.idle),
      }));
    }
  }
  if (deadCount > 0) {
    const last = (await client.xRevRange(dead, '+', '-', { COUNT: recent })) ?? [];
    out.dead.recent = last.map((e) => ({
      id: e.id,
      originalId: e.message._id ?? '',
      reason: e.message._reason ?? '',
      key: e.message.k ?? null,
    }));
  }
  return out;
}

function render(r: JournalReport): string {
  const lines = [`stream ${r.stream}: ${r.length} entr${r.length === 1 ? 'y' : 'ies'} not yet applied`];
  if (r.group === null) lines.push(`no consumer group yet (no writer has opened the journal)`);
  else {
    const gr = r.group;
    const age =
      gr.oldestPendingMs === null ? '' : `, oldest pending ${(gr.oldestPendingMs / 1000).toFixed(1)}s old`;
    lines.push(
      `group ${gr.name}: ${gr.pending} pending${age}, lag ${gr.lag ?? 'unknown'}, last delivered ${gr.lastDeliveredId}`,
    );
    if (r.consumers.length > 0)
      lines.push(
        table([
          ['CONSUMER', 'PENDING', 'IDLE'],
          ...r.consumers.map((c) => [c.name, String(c.pending), `${(c.idleMs / 1000).toFixed(1)}s`]),
        ]),
      );
  }
  lines.push(`dead letters (${r.dead.stream}): ${r.dead.count}`);
  if (r.dead.recent.length > 0)
    lines.push(
      table([
        ['DEAD ID', 'ORIGINAL ID', 'REASON', 'KEY'],
        ...r.dead.recent.map((d) => [d.id, d.originalId, d.reason, d.key ?? '-']),
      ]),
    );
  return lines.join('\n');
}

/**
 * Moves dead letters back into the stream as new entries (same fields, without the journal's `_id` and
 * `_reason`), oldest first, each in one MULTI: XADD to the stream and XDEL from the dead stream, so an
 * entry is never in both or in neither. Appliers pick them up like any new write.
 */
async function replayDead(client: RedisClientType, stream: string, max: number): Promise<string[]> {
  const dead = `${stream}${DEAD_SUFFIX}`;
  const replayed: string[] = [];
  while (replayed.length < max) {
    const page = (await client.xRange(dead, '-', '+', { COUNT: Math.min(100, max - replayed.length) })) ?? [];
    if (page.length === 0) break;
    for (const e of page) {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(e.message))
        if (!DEAD_FIELDS.has(k) && v !== undefined) fields[k] = v;
      const [id] = (await client.multi().xAdd(stream, '*', fields).xDel(dead, e.id).exec()) as unknown as [
        string,
      ];
      replayed.push(String(id));
    }
  }
  return replayed;
}

/** `journal <stream>` and `journal replay-dead <stream>`: the write-behind journal's Redis stream. */
export function registerJournal(cmd: Command, g: () => Globals, io: Io): void {
  const groupOption = (): Option => new Option('--group <name>', 'the consumer group').default(DEFAULT_GROUP);
  const journal = cmd
    .command('journal')
    .description('the write-behind journal (RedisStreamJournal): pending, consumers, lag, dead letters')
    .argument('[stream]', 'the stream key given to RedisStreamJournal')
    .addOption(groupOption())
    .addOption(
      new Option('--recent <n>', 'dead letters to list').default(10).argParser(positiveInt('--recent')),
    )
    .action(async (stream: string | undefined, opts: { group: string; recent: number }) => {
      if (stream === undefined) {
        journal.outputHelp({ error: true });
        throw new Exit(EXIT.usage);
      }
      const r = await withClient(g(), io, (c) => report(c, stream, opts.group, opts.recent));
      if (r.length === 0 && r.group === null && r.dead.count === 0) {
        io.err(`no journal stream ${JSON.stringify(stream)} (nor ${JSON.stringify(r.dead.stream)})`);
        throw new Exit(EXIT.notFound);
      }
      print(io, g(), r, render(r));
    });

  journal
    .command('replay-dead <stream>')
    .description('move dead letters back into the stream so the appliers try them again')
    .addOption(
      new Option('--count <n>', 'at most n entries (default: all)').argParser(positiveInt('--count')),
    )
    .action(async (stream: string, opts: { count?: number }) => {
      const ids = await withClient(g(), io, (c) =>
        replayDead(c, stream, opts.count ?? Number.POSITIVE_INFINITY),
      );
      print(
        io,
        g(),
        { stream, replayed: ids.length, ids },
        `moved ${ids.length} dead letter(s) back into ${stream}`,
      );
    });
}
