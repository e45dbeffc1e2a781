/**
 * A Cache over Redis in a child process, driven by JSON lines on stdin and answering JSON lines on
 * stdout: the other instance in multi-process tests (stampede, bus).
 */
import { createInterface } from 'node:readline';
import { Cache } from '../../../src/cache.js';
import { RedisStore } from '../../../src/stores/redis/redis-store.js';

const url = process.argv[2]!;
const lease = Number(process.argv[3] ?? 5000);
const cache = new Cache({
  l2: new RedisStore({ url }),
  l1: { maxEntries: 1000 },
  bus: true,
  stampede: { distributed: true, lease, wait: 3000, poll: 50 },
  ttl: 60_000,
});
let loads = 0;
cache.on('error', (e) => process.stderr.write(`worker error ${e.operation}: ${e.error.message}\n`));
let unhandled = 0;
process.on('unhandledRejection', () => unhandled++);
const reply = (o: unknown): void => {
  process.stdout.write(`${JSON.stringify(o)}\n`);
};

type Command =
  | { cmd: 'stampede'; key: string; n: number; loaderMs: number }
  | { cmd: 'get'; key: string }
  | { cmd: 'set'; key: string; value: unknown; tags?: string[] }
  | { cmd: 'waitFor'; key: string; value: unknown; timeoutMs: number }
  | { cmd: 'blockedLoad'; key: string; blockMs: number; value: string }
  | { cmd: 'l1size' }
  | { cmd: 'exit' };

async function handle(c: Command): Promise<unknown> {
  switch (c.cmd) {
    case 'stampede': {
      const t0 = performance.now();
      const times: number[] = [];
      const values = await Promise.all(
        Array.from({ length: c.n }, async () => {
          const s = performance.now();
          const v = await cache.getOrSet(c.key, async () => {
            loads++;
            await new Promise((r) => setTimeout(r, c.loaderMs));
            return { from: process.pid };
          });
          times.push(performance.now() - s);
          return v;
        }),
      );
      const distinct = new Set(values.map((v) => JSON.stringify(v))).size;
      return {
        loads,
        maxMs: Math.max(...times),
        totalMs: performance.now() - t0,
        distinct,
        lockWaits: cache.stats().loads.lockWaits,
      };
    }
    case 'get':
      return { value: (await cache.get(c.key)) ?? null };
    case 'set':
      await cache.set(c.key, c.value, c.tags === undefined ? undefined : { tags: c.tags });
      return { ok: true };
    case 'waitFor': {
      const t0 = performance.now();
      for (;;) {
        const v = (await cache.get(c.key)) ?? null;
        if (JSON.stringify(v) === JSON.stringify(c.value)) return { ok: true, ms: performance.now() - t0 };
        if (performance.now() - t0 > c.timeoutMs) return { ok: false, last: v };
        await new Promise((r) => setTimeout(r, 2));
      }
    }
    case 'blockedLoad': {
      // A holder that stops dead (a long GC pause, a blocked event loop) while holding the lease: no
      // timer runs, so the lease cannot be extended and expires under it.
      const v = await cache.getOrSet(c.key, async () => {
        const until = Date.now() + c.blockMs;
        while (Date.now() < until) {}
        return c.value;
      });
      return { value: v, stored: (await cache.get(c.key)) ?? null };
    }
    case 'l1size':
      return { size: cache.stats().entries, unhandled };
    case 'exit':
      await cache.close();
      reply({ bye: true, unhandled });
      process.exit(0);
  }
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  handle(JSON.parse(line) as Command).then(reply, (err: unknown) => reply({ error: String(err) }));
});
// Warm the connections, scripts and code paths (a cold key, not a cold process, is what is measured),
// and wait for the bus subscription, before declaring readiness.
async function warmUp(): Promise<void> {
  for (let i = 0; i < 3; i++) await cache.getOrSet(`warmup:${process.pid}:${i}`, async () => i);
  await new Promise((r) => setTimeout(r, 200));
  loads = 0;
  reply({ ready: true });
}
void warmUp();
