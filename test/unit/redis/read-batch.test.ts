import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../src/errors.js';
import { MultiGetSink, ReadBatcher, type ReplySink } from '../../../src/stores/redis/read-batch.js';

function recorder(): ReplySink & { values: unknown[]; errors: unknown[] } {
  const values: unknown[] = [];
  const errors: unknown[] = [];
  return { values, errors, resolve: (v) => values.push(v), reject: (e) => errors.push(e) };
}

describe('ReadBatcher', () => {
  it('hands over every read of a tick at once, in call order, and starts a new batch after', async () => {
    const batches: string[][] = [];
    const batcher = new ReadBatcher((keys) => batches.push(keys));
    batcher.add('a', recorder());
    await Promise.resolve();
    batcher.add('b', recorder());
    batcher.add('a', recorder());
    expect(batches).toEqual([]);
    await new Promise<void>((resolve) => process.nextTick(resolve));
    expect(batches).toEqual([['a', 'b', 'a']]);
    batcher.add('c', recorder());
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(batches).toEqual([['a', 'b', 'a'], ['c']]);
  });
});

describe('MultiGetSink', () => {
  it('gives reply i to sink i, a nil reply as undefined', () => {
    const sinks = [recorder(), recorder(), recorder()];
    new MultiGetSink(sinks, 'redis').resolve([Buffer.from('x'), null, Buffer.from('z')]);
    expect(
      sinks.map((s) => s.values.map((v) => (v === undefined ? v : Buffer.from(v as Buffer).toString()))),
    ).toEqual([['x'], [undefined], ['z']]);
  });

  it.each([
    ['not an array', 'OK'],
    ['too short', [Buffer.from('x')]],
    ['too long', [null, null, null, null]],
  ])('rejects every read when the reply is %s', (_, reply) => {
    const sinks = [recorder(), recorder(), recorder()];
    new MultiGetSink(sinks, 'redis').resolve(reply);
    for (const s of sinks) {
      expect(s.values).toEqual([]);
      expect(s.errors[0]).toBeInstanceOf(StoreError);
      expect((s.errors[0] as Error).message).toMatch(/MGET of 3 keys got a reply of another shape/);
    }
  });

  it('passes one error to every read', () => {
    const sinks = [recorder(), recorder()];
    const err = new StoreError('down');
    new MultiGetSink(sinks, 'redis').reject(err);
    expect(sinks.map((s) => s.errors)).toEqual([[err], [err]]);
  });
});
