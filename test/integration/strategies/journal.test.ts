/**
 * The durable write-behind journal against a private redis-server and a real database (PGlite, and
 * Postgres at DATABASE_URL when set): crash and replay in a child process, claims from a dead peer,
 * a journal server restarted without persistence, a poison entry, and the eviction-policy guard.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStreamJournal } from '../../../src/strategies/write-behind/redis-stream-journal.js';
import { writeBehind } from '../../../src/strategies/write-behind/write-behind-queue.js';
import { DATABASES, KvSource, type LogRow, type SqlDb } from '../../helpers/db.js';
import { reportFigure } from '../../helpers/figures.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';
import { MapCache } from '../../unit/strategies/map-cache.js';

type Row = { n: number; key: string };

const WRITER = fileURLToPath(new URL('./fixtures/journal-writer.ts', import.meta.url));

function expectAppliedOnce(log: readonly LogRow[]): void {
  const seen = new Set<string>();
  const last = new Map<string, number>();
  for (const row of log) {
    const id = `${row.key}@${row.version}`;
    expect(seen.has(id), `${id} applied twice`).toBe(false);
    seen.add(id);
    expect(row.version).toBeGreaterThan(last.get(row.key) ?? 0);
    last.set(row.key, row.version);
  }
}

async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let redis: ServerHandle;
let streamSeq = 0;
const nextStream = (): string => `wb:test:${process.pid}:${++streamSeq}`;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.stop();
});

describe.each(DATABASES)('write-behind journal on $name', ({ open }) => {
  let db: SqlDb;
  beforeAll(async () => {
    db = await open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('a writer SIGKILLed mid-flush loses no acknowledged write; the replay applies none twice', async () => {
    const source = await KvSource.create<Row>(db);
    const stream = nextStream();
    let child: ChildProcess | undefined;
    let saves = 0;
    const http: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const { entries, versions } = JSON.parse(body) as {
          entries: Array<[string, Row]>;
          versions: number[];
        };
        void source.saveMany(entries, { versions }).then(
          () => {
            // The third batch commits, then the writer dies before it can acknowledge it.
            if (++saves === 3) child?.kill('SIGKILL');
            else res.end('ok');
          },
          () => {
            res.statusCode = 500;
            res.end();
          },
        );
      });
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const sourceUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}/`;
    try {
      const acked = new Map<string, number>();
      let lastAck = -1;
      child = spawn(process.execPath, ['--import', 'tsx', WRITER, redis.url, stream, sourceUrl], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (c) => {
        stderr += c;
      });
      let buffered = '';
      child.stdout?.on('data', (chunk) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          const [, key, n] = line.split(' ');
          acked.set(key!, Number(n));
          lastAck = Math.max(lastAck, Number(n));
        }
      });
      const exit = new Promise<NodeJS.Signals | null>((r) => child?.on('exit', (_code, signal) => r(signal)));
      expect(await exit, stderr).toBe('SIGKILL');
      reportFigure('acknowledged writes before the kill', lastAck, 'writes');
      expect(lastAck).toBeGreaterThan(0);

      // A new process (this one) with the same consumer name replays the dead writer's entries.
      const journal = new RedisStreamJournal({ url: redis.url, stream, consumer: 'worker-1' });
      const wb = writeBehind<Row>(new MapCache(), {
        saveMany: (entries, info) => source.saveMany(entries, info),
        batchSize: 50,
        flushIntervalMs: 10,
        journal,
      });
      await wb.flush();
      const stats = wb.stats();
      await wb.close();
      reportFigure('entries replayed', stats.queued, 'entries');
      expect(stats.queued).toBeGreaterThan(0);

      const rows = await source.rows();
      // Writes are sequential: only write lastAck + 1 may have been journaled without being printed.
      const inFlightKey = `k${(lastAck + 1) % 10}`;
      for (const [key, n] of acked) {
        const got = rows.get(key)?.value.n;
        if (key === inFlightKey) expect([n, lastAck + 1], key).toContain(got);
        else expect(got, key).toBe(n);
      }
      expectAppliedOnce(await source.log());
      const raw = createClient({ url: redis.url });
      await raw.connect();
      const left = await raw.xLen(stream);
      reportFigure('stream entries left after the replay', left, 'entries');
      expect(left).toBe(0);
      await raw.close();
    } finally {
      child?.kill('SIGKILL');
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
      await source.drop();
    }
  });

  it("claims a dead peer's unacknowledged entries with XAUTOCLAIM", async () => {
    const source = await KvSource.create<Row>(db);
    const stream = nextStream();
    // Peer A reads its entries into its pending list, then hangs in the source call (as if dead).
    const journalA = new RedisStreamJournal({ url: redis.url, stream, consumer: 'a' });
    const a = writeBehind<Row>(new MapCache(), {
      saveMany: () => new Promise<void>(() => undefined),
      batchSize: 10,
      flushIntervalMs: 10,
      closeTimeoutMs: 50,
      journal: journalA,
    });
    for (let n = 0; n < 30; n++) await a.write(`k${n}`, { n, key: `k${n}` });
    await until('peer A to take its entries', () => a.stats().pending === 30 && a.stats().batches === 0);
    await a.close();

    const journalB = new RedisStreamJournal({
      url: redis.url,
      stream,
      consumer: 'b',
      claimIdleMs: 200,
      claimIntervalMs: 50,
    });
    const b = writeBehind<Row>(new MapCache(), {
      saveMany: (entries, info) => source.saveMany(entries, info),
      batchSize: 10,
      flushIntervalMs: 10,
      journal: journalB,
    });
    await until('peer B to claim and apply all 30', async () => (await source.rows()).size === 30);
    await b.flush();
    await b.close();
    expectAppliedOnce(await source.log());
    await source.drop();
  });

  it('dead-letters a poison entry after N attempts, acknowledges it, and applies the rest', async () => {
    const source = await KvSource.create<Row>(db);
    source.poison = (key) => key === 'k7';
    const stream = nextStream();
    const dead: string[] = [];
    const wb = writeBehind<Row>(new MapCache(), {
      saveMany: (entries, info) => source.saveMany(entries, info),
      batchSize: 16,
      flushIntervalMs: 10,
      retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
      onDeadLetter: (e) => {
        dead.push(e.key);
      },
      journal: new RedisStreamJournal({ url: redis.url, stream }),
    });
    for (let n = 0; n < 40; n++) await wb.write(`k${n}`, { n, key: `k${n}` });
    await wb.flush();
    await wb.close();
    expect(dead).toEqual(['k7']);
    expect((await source.rows()).size).toBe(39);
    const raw = createClient({ url: redis.url });
    await raw.connect();
    expect(await raw.xLen(stream)).toBe(0);
    await raw.close();
    await source.drop();
  });
});

describe('unreadable journal entries', () => {
  it('moves malformed and undecodable entries to <stream>:dead, acknowledges them, and applies the rest', async () => {
    const db = await DATABASES[0]!.open();
    const source = await KvSource.create<Row>(db);
    const stream = nextStream();
    const journal = new RedisStreamJournal({ url: redis.url, stream });
    await journal.open();
    const raw = createClient({ url: redis.url });
    await raw.connect();
    try {
      await raw.xAdd(stream, '*', { garbage: 'yes' });
      await raw.xAdd(stream, '*', { k: 'bad-json', o: 's', n: '1', v: '{not json' });
      const errors: string[] = [];
      const wb = writeBehind<Row>(new MapCache(), {
        saveMany: (entries, info) => source.saveMany(entries, info),
        batchSize: 16,
        flushIntervalMs: 10,
        journal,
      });
      wb.on('error', (err) => errors.push(String(err)));
      for (let n = 0; n < 5; n++) await wb.write(`k${n}`, { n, key: `k${n}` });
      await wb.flush();
      await until('the unreadable entries to leave the stream', async () => (await raw.xLen(stream)) === 0);
      await wb.close();
      expect((await source.rows()).size).toBe(5);
      const dead = (await raw.xRange(`${stream}:dead`, '-', '+')) ?? [];
      expect(dead.map((d) => d.message._reason).sort()).toEqual(['malformed', 'undecodable']);
      expect(dead.find((d) => d.message._reason === 'undecodable')?.message.v).toBe('{not json');
      expect(errors.length).toBeGreaterThanOrEqual(2);
    } finally {
      await raw.close();
      await source.drop();
    }
  });
});

describe('journal server', () => {
  it('refuses a Redis that may evict the stream unless allowEviction is set', async () => {
    const lru = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
    try {
      const refused = new RedisStreamJournal({ url: lru.url, stream: 's' });
      await expect(refused.open()).rejects.toThrow(/maxmemory-policy `allkeys-lru`/);
      await refused.close();
      const allowed = new RedisStreamJournal({ url: lru.url, stream: 's', allowEviction: true });
      await expect(allowed.open()).resolves.toBeUndefined();
      await allowed.close();
    } finally {
      await lru.stop();
    }
  });

  it('detects a journal lost to a restart without persistence, recreates the group, keeps writing', async () => {
    const server = await startRedis();
    const db = await DATABASES[0]!.open();
    const source = await KvSource.create<Row>(db);
    try {
      const stream = nextStream();
      const journal = new RedisStreamJournal({ url: server.url, stream, claimIntervalMs: 50 });
      const losses: string[] = [];
      const wb = writeBehind<Row>(new MapCache(), {
        saveMany: (entries, info) => source.saveMany(entries, info),
        batchSize: 20,
        flushIntervalMs: 10,
        journal,
      });
      wb.on('journal-lost', (loss) => losses.push(loss.reason));
      for (let n = 0; n < 50; n++) await wb.write(`k${n % 10}`, { n, key: `k${n % 10}` });
      await wb.flush();

      await server.restart();
      let n = 50;
      await until('writes to be accepted again', async () => {
        try {
          await wb.write(`k${n % 10}`, { n, key: `k${n % 10}` });
          n++;
          return true;
        } catch {
          return false;
        }
      });
      for (const end = n + 50; n < end; n++) await wb.write(`k${n % 10}`, { n, key: `k${n % 10}` });
      await until('the loss to be reported', () => losses.length > 0);
      await wb.flush();
      expect(wb.stats().journalLosses).toBeGreaterThanOrEqual(1);

      const rows = await source.rows();
      for (let k = 0; k < 10; k++) {
        const lastN = n - 1 - ((n - 1 - k) % 10);
        expect(rows.get(`k${k}`)?.value.n, `k${k}`).toBe(lastN);
      }
      const raw = createClient({ url: server.url });
      await raw.connect();
      const groups = await raw.xInfoGroups(stream);
      expect(groups.length).toBe(1);
      expect(await raw.xLen(stream)).toBe(0);
      await raw.close();
      await wb.close();
    } finally {
      await source.drop();
      await db.close();
      await server.stop();
    }
  });
});
