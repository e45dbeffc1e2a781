import { tracingChannel } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { type CacheTraceContext, TRACE_CHANNELS, type TracedOperation } from '../../../src/tracing/index.js';

/** Every event published on the channels of `ops`, as [operation, event, context]. */
function record(ops: TracedOperation[]) {
  const events: Array<[TracedOperation, string, CacheTraceContext]> = [];
  const undo: Array<() => void> = [];
  for (const op of ops) {
    const ch = tracingChannel<unknown, CacheTraceContext>(TRACE_CHANNELS[op]);
    const on = (name: string) => (ctx: CacheTraceContext) => events.push([op, name, ctx]);
    const handlers = {
      start: on('start'),
      end: on('end'),
      asyncStart: on('asyncStart'),
      asyncEnd: on('asyncEnd'),
      error: on('error'),
    };
    ch.subscribe(handlers);
    undo.push(() => ch.unsubscribe(handlers));
  }
  return {
    events,
    ended: (op: TracedOperation) =>
      events.filter(([o, e]) => o === op && e === 'asyncEnd').map(([, , c]) => c),
    stop: () => {
      for (const u of undo) u();
    },
  };
}

let stop: (() => void) | undefined;
afterEach(() => {
  stop?.();
  stop = undefined;
});

describe('tracing channels', () => {
  it('publish start, end, asyncStart and asyncEnd with one context per call, filled by the read path', async () => {
    const cache = new Cache({ ttl: 60_000 });
    const r = record(['get', 'getOrSet', 'set', 'load']);
    stop = r.stop;
    await cache.set('a', 1, 5_000);
    expect(await cache.get('a')).toBe(1);
    expect(await cache.get('b')).toBeUndefined();
    expect(await cache.getOrSet('c', async () => 3)).toBe(3);
    expect(await cache.getOrSet('c', async () => 4)).toBe(3);
    const gets = r.ended('get');
    expect(gets.map((c) => [c.keys, c.hits, c.misses, c.tier])).toEqual([
      [['a'], 1, 0, 'l1'],
      [['b'], 0, 1, undefined],
    ]);
    expect(gets[0]!.result).toBe(1);
    const gos = r.ended('getOrSet');
    expect(gos.map((c) => [c.hits, c.misses])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(r.ended('load').map((c) => [c.keys, c.result])).toEqual([[['c'], 3]]);
    expect(r.ended('set').map((c) => [c.keys, c.ttl])).toEqual([[['a'], 5_000]]);
    const first = r.events.filter(([, , c]) => c === gets[0]).map(([, e]) => e);
    expect(first).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    await cache.close();
  });

  it('report a stale serve, an error, deletes and invalidations', async () => {
    const cache = new Cache({ ttl: 20, staleWhileRevalidate: 60_000 });
    const r = record(['getOrSet', 'get', 'delete', 'invalidate']);
    stop = r.stop;
    await cache.getOrSet('k', async () => 'v1');
    await new Promise((res) => setTimeout(res, 30));
    expect(await cache.getOrSet('k', async () => 'v2')).toBe('v1');
    expect(r.ended('getOrSet').at(-1)!.stale).toBe('swr');
    await expect(cache.get('')).rejects.toThrow();
    expect(r.events.some(([o, e, c]) => o === 'get' && e === 'error' && c.error instanceof Error)).toBe(true);
    await cache.deleteMany(['k', 'x']);
    await cache.invalidateTags(['t1', 't2']);
    await cache.namespace('ns').clear();
    expect(r.ended('delete').map((c) => c.keys)).toEqual([['k', 'x']]);
    expect(r.ended('invalidate').map((c) => [c.kind, c.targets])).toEqual([
      ['tags', ['t1', 't2']],
      ['namespace', undefined],
    ]);
    await cache.close();
  });

  it('nest: a get inside a loader is its own call, and its hit is not counted on the outer call', async () => {
    const cache = new Cache({ ttl: 60_000 });
    await cache.set('inner', 'i');
    const r = record(['get', 'getOrSet']);
    stop = r.stop;
    const v = await cache.getOrSet('outer', async () => `${await cache.get('inner')}!`);
    expect(v).toBe('i!');
    expect(r.ended('get').map((c) => [c.keys, c.hits])).toEqual([[['inner'], 1]]);
    expect(r.ended('getOrSet').map((c) => [c.keys, c.hits, c.misses])).toEqual([[['outer'], 0, 1]]);
    await cache.close();
  });

  it('publish nothing and change nothing without subscribers', async () => {
    const cache = new Cache({ ttl: 60_000 });
    const r = record(['get']);
    r.stop();
    await cache.set('a', 1);
    expect(await cache.get('a')).toBe(1);
    expect(r.events).toEqual([]);
    await cache.close();
  });
});
