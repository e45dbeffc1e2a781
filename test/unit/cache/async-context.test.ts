import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { type ReadSink, SETTLE_GET } from '../../../src/stores/settle-get.js';
import { chaosStore } from '../../../src/testing/chaos-store.js';
import { MapStore } from '../../../src/testing/map-store.js';

/**
 * A store whose reads of one moment are all settled by one timer, as one Redis reply settles a tick's
 * batch of reads (through the same {@link SETTLE_GET} hook the Redis stores use): whatever runs when the
 * answer arrives runs in the context of the first reader.
 */
class OneReplyStore extends MapStore {
  #waiting: Array<[string, ReadSink]> = [];

  [SETTLE_GET](key: string, sink: ReadSink): void {
    this.#waiting.push([key, sink]);
    if (this.#waiting.length > 1) return;
    setTimeout(() => {
      const all = this.#waiting;
      this.#waiting = [];
      void Promise.all(all.map(([k]) => this.get(k))).then(
        (values) => {
          for (const [i, [, sink]] of all.entries()) sink.resolve(values[i]);
        },
        (err: unknown) => {
          for (const [, sink] of all) sink.reject(err);
        },
      );
    }, 1);
  }
}

describe('async context', () => {
  const als = new AsyncLocalStorage<string>();
  /** A loader of `key` that notes, in `seen`, the context it ran in. */
  const noting = (seen: string[]) => (key: string) => async (): Promise<string> => {
    seen.push(`load ${key} in ${als.getStore()}`);
    return key;
  };

  it.each([
    ['L2 only', false as const],
    ['L1 + L2', { maxEntries: 100 }],
  ])(
    '%s: loaders and listeners run in their own caller’s context, not the reader’s that settled the read',
    async (_, l1) => {
      const l2 = new OneReplyStore();
      const writer = new Cache({ l2, l1: false });
      await writer.set('stored', 'v');
      const cache = new Cache({ l2, l1 });
      const seen: string[] = [];
      cache.on('miss', ({ key }) => seen.push(`miss ${key} in ${als.getStore()}`));
      cache.on('hit', ({ key }) => seen.push(`hit ${key} in ${als.getStore()}`));
      const loader = noting(seen);
      await Promise.all([
        als.run('A', () => cache.getOrSet('a', loader('a'))),
        als.run('B', () => cache.getOrSet('b', loader('b'))),
        als.run('C', () => cache.get('stored')),
        als.run('D', () => cache.getOrSet('d', loader('d'), { ttl: 5000 })),
      ]);
      expect(seen.sort()).toEqual([
        'hit stored in C',
        'load a in A',
        'load b in B',
        'load d in D',
        'miss a in A',
        'miss b in B',
        'miss d in D',
      ]);
    },
  );

  it('a read that times out continues in its caller’s context', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, l1: false, l2Timeout: 20 });
    controls.hang = true;
    const seen: string[] = [];
    const loader = noting(seen);
    await Promise.all([
      als.run('A', () => cache.getOrSet('a', loader('a'))),
      als.run('B', () => cache.getOrSet('b', loader('b'))),
    ]);
    expect(seen.sort()).toEqual(['load a in A', 'load b in B']);
  });

  it('timeouts are reported in the cache’s own context, never in that of the caller who armed the timer', async () => {
    const { store, controls } = chaosStore(new MapStore());
    const cache = new Cache({ l2: store, l1: false, l2Timeout: 20 });
    controls.hang = true;
    const reported: Array<string | undefined> = [];
    cache.on('error', () => reported.push(als.getStore()));
    // A arms the deadline timer; B's read starts while it runs and expires on a later sweep.
    const a = als.run('A', () => cache.getOrSet('a', async () => 'a'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const b = als.run('B', () => cache.getOrSet('b', async () => 'b'));
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(reported).toEqual([undefined, undefined]);
  });
});
