import { describe, expect, it } from 'vitest';
import { encodeArgs } from '../../../src/internal/arg-key.js';

describe('encodeArgs', () => {
  it('keeps the JSON form of primitives, arrays and plain objects', () => {
    expect(encodeArgs([3, 'a', true, null, [1], { b: 1, a: 'x' }])).toBe(
      '[3,"a",true,null,[1],{"a":"x","b":1}]',
    );
  });

  it.each([
    ['a string that looks like a tag', ['~u'], [undefined]],
    ['an array hole and undefined', [new Array(2).fill(1, 1)], [[undefined, 1]]],
    ['a Buffer and a Uint8Array', [Buffer.from([1])], [new Uint8Array([1])]],
    ['a DataView and a Date', [new DataView(new ArrayBuffer(0))], [new Date(Number.NaN)]],
    ['a subarray and its whole buffer', [new Uint8Array([1, 2]).subarray(1)], [new Uint8Array([1, 2])]],
  ])('keeps %s apart', (_name, a, b) => {
    expect(encodeArgs(a)).not.toBe(encodeArgs(b));
  });

  it('encodes a shared, acyclic reference like two equal copies', () => {
    const shared = { a: 1 };
    expect(encodeArgs([shared, shared])).toBe(encodeArgs([{ a: 1 }, { a: 1 }]));
  });

  it('sorts Map entries with object keys deterministically', () => {
    const make = () =>
      new Map<unknown, unknown>([
        [{ k: 1 }, 'v'],
        ['a', [1n]],
      ]);
    const reversed = new Map([...make()].reverse());
    expect(encodeArgs([make()])).toBe(encodeArgs([reversed]));
  });
});
