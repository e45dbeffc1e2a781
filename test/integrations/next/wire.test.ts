import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { passedExpiration, revalidated, tagVerdict } from '../../../src/integrations/next/tag-manifest.js';
import { fromWire, toWire, WireError } from '../../../src/integrations/next/wire.js';

/** Values like Next's: JSON-ish trees with Buffers, Maps of Buffers, non-finite numbers and odd keys. */
const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array().map((a) => Buffer.from(a)),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN),
);
const value = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object'), tie('map')),
  array: fc.array(fc.oneof(tie('tree'), fc.constant(undefined)), { maxLength: 4 }),
  object: fc.dictionary(
    fc.oneof(
      fc.string().filter((k) => k !== '__proto__'),
      fc.constantFrom('\u0000b', '\u0000m', 'kind'),
    ),
    tie('tree'),
    {
      maxKeys: 4,
      noNullPrototype: true,
    },
  ),
  map: fc.array(fc.tuple(fc.string(), tie('tree')), { maxLength: 3 }).map((pairs) => new Map(pairs)),
})).tree;

describe('the wire form of Next values', () => {
  it('round-trips through JSON exactly (binary stays binary)', () => {
    fc.assert(
      fc.property(value, (v) => {
        const back = fromWire(JSON.parse(JSON.stringify(toWire(v))));
        expect(back).toStrictEqual(v);
      }),
    );
  });

  it('gives back Buffers for Buffers and Maps for Maps', () => {
    const v = { rscData: Buffer.from([0, 255, 1]), segmentData: new Map([['/a', Buffer.from('x')]]) };
    const back = fromWire(JSON.parse(JSON.stringify(toWire(v)))) as typeof v;
    expect(Buffer.isBuffer(back.rscData)).toBe(true);
    expect(back.segmentData).toBeInstanceOf(Map);
    expect(Buffer.isBuffer(back.segmentData.get('/a'))).toBe(true);
  });

  it('keeps an own `__proto__` key as data', () => {
    const v = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as Record<string, unknown>;
    const back = fromWire(JSON.parse(JSON.stringify(toWire(v)))) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: true });
  });

  it('rejects forms it did not write', () => {
    for (const bad of [
      { '\u0000b': 1 },
      { '\u0000m': [[1]] },
      { '\u0000n': '3' },
      { '\u0000x': 1 },
      { '\u0000o': [[1, 2]] },
    ]) {
      expect(() => fromWire(bad)).toThrow(WireError);
    }
  });
});

describe('tag times', () => {
  it('expire an entry made before an expiry that has passed, and only then', () => {
    const t = { stale: 0, expired: 100 };
    expect(tagVerdict([t], 50, 200)).toBe('expired');
    expect(tagVerdict([t], 150, 200)).toBe('fresh');
    expect(tagVerdict([t], 50, 99)).toBe('fresh');
  });

  it('mark an entry made before a stale time stale; expired wins over stale', () => {
    expect(tagVerdict([{ stale: 100, expired: 0 }], 50, 200)).toBe('stale');
    expect(
      tagVerdict(
        [
          { stale: 100, expired: 0 },
          { stale: 0, expired: 120 },
        ],
        50,
        200,
      ),
    ).toBe('expired');
  });

  it("follow Next's rules for revalidations with and without durations", () => {
    expect(revalidated({ stale: 5, expired: 0 }, 1_000, undefined)).toEqual({ stale: 5, expired: 1_000 });
    expect(revalidated({ stale: 0, expired: 7 }, 1_000, {})).toEqual({ stale: 1_000, expired: 7 });
    expect(revalidated({ stale: 0, expired: 0 }, 1_000, { expire: 2 })).toEqual({
      stale: 1_000,
      expired: 3_000,
    });
    expect(revalidated({ stale: 0, expired: 0 }, 1_000, { expire: Number.POSITIVE_INFINITY })).toEqual({
      stale: 1_000,
      expired: 0,
    });
  });

  it('report the latest expiry that has passed (0 when none)', () => {
    expect(passedExpiration([], 10)).toBe(0);
    expect(
      passedExpiration(
        [
          { stale: 0, expired: 5 },
          { stale: 0, expired: 8 },
          { stale: 0, expired: 50 },
        ],
        10,
      ),
    ).toBe(8);
  });
});
