import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Cache,
  DeserializationError,
  isCacheError,
  SerializationError,
  taggedJsonSerializer,
} from '../../../src/index.js';
import { MapStore } from '../../../src/testing/map-store.js';

const s = taggedJsonSerializer;
const roundTrip = (v: unknown): unknown => s.deserialize(s.serialize(v));
const text = (v: unknown): string => new TextDecoder().decode(s.serialize(v));

/** Values a database row or an API object holds, nested. */
const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date({ noInvalidDate: false }),
  fc.uint8Array().map((b) => Buffer.from(b)),
  fc.float64Array(),
  fc.int32Array(),
);
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj'), tie('map'), tie('set')),
  arr: fc.array(tie('v'), { maxLength: 4 }),
  // An own `__proto__` key is refused (the decoder would drop it): tested with the refusals below.
  obj: fc.dictionary(
    fc.string().filter((k) => k !== '__proto__'),
    tie('v'),
    { maxKeys: 4, noNullPrototype: true },
  ),
  map: fc.array(fc.tuple(tie('v'), tie('v')), { maxLength: 3 }).map((e) => new Map(e)),
  set: fc.array(tie('v'), { maxLength: 3 }).map((e) => new Set(e)),
})).v;

describe('taggedJsonSerializer', () => {
  it('round-trips every value it accepts, type for type (property)', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(roundTrip(v)).toStrictEqual(v);
      }),
      { numRuns: 400 },
    );
  });

  it('keeps the exact types that JSON loses', () => {
    const holey: unknown[] = [1, undefined];
    holey[3] = 3; // index 2 is a hole
    const v = {
      when: new Date(0),
      bad: new Date(Number.NaN),
      tags: new Set(['x']),
      m: new Map<unknown, unknown>([
        ['k', 1],
        [{ a: 1 }, [2]],
      ]),
      n: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      ninf: Number.NEGATIVE_INFINITY,
      negZero: -0,
      big: 12345678901234567890n,
      u: undefined,
      arr: holey,
      buf: Buffer.from('hi'),
      f64: new Float64Array([1.5, -2]),
      view: new DataView(new Uint8Array([1, 2, 3]).buffer, 1, 2),
      '~tilde': 1,
      '~~two': 2,
    };
    const back = roundTrip(v) as typeof v;
    expect(back).toStrictEqual(v);
    expect(Object.is(back.negZero, -0)).toBe(true);
    expect(1 in back.arr).toBe(true);
    expect(2 in back.arr).toBe(false);
    expect(Buffer.isBuffer(back.buf)).toBe(true);
    expect(back.view).toBeInstanceOf(DataView);
    expect(Object.keys(back)).toEqual(Object.keys(v));
  });

  it('writes plain JSON when nothing needs a tag, so other services can read it', () => {
    const row = { id: 1, name: 'Ada', roles: ['admin'], meta: { a: null, b: true } };
    expect(text(row)).toBe(JSON.stringify(row));
  });

  it('refuses what it cannot represent, naming the path', () => {
    class Decimal {}
    const cases: Array<[unknown, RegExp]> = [
      [{ tags: ['a', 'b', 'c', () => 1] }, /`value\.tags\[3\]`: it is a function/],
      [{ price: new Decimal() }, /`value\.price`: it is an instance of Decimal/],
      [{ m: new Map([['k', Symbol('s')]]) }, /`value\.m\.values\(\)\[0\]`: it is a symbol/],
      [{ [Symbol('s')]: 1 }, /it is an object with symbol keys/],
      [{ 'a b': new WeakMap() }, /`value\["a b"\]`: it is an instance of WeakMap/],
      // Found by the round-trip property: the decoder drops `__proto__` keys, so the value would change.
      [{ '': JSON.parse('{"__proto__":null}') }, /`value\[""\]\.__proto__`: it is an own `__proto__` key/],
    ];
    for (const [v, message] of cases) {
      expect(() => s.serialize(v)).toThrow(SerializationError);
      expect(() => s.serialize(v)).toThrow(message);
      expect(() => s.check?.(v)).toThrow(message);
    }
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => s.serialize(cyclic)).toThrow(/`value\.self`: it is a cycle/);
  });

  it('decodes untrusted bytes safely: no prototype pollution, foreign tags refused', () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    const polluted = s.deserialize(enc('{"__proto__":{"polluted":1},"a":{"~D":0}}')) as Record<
      string,
      unknown
    >;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(polluted)).toBe(Object.prototype);
    expect(polluted.a).toStrictEqual(new Date(0));
    for (const bad of [
      '{"~Q":1}',
      '{"~B":"12x"}',
      '{"~M":[1]}',
      '{"~T":["Function","AA=="]}',
      '{"~T":["Float64Array","AAA="]}',
      '{"~x":1,"y":2}',
      '{"~N":"Zero"}',
      'not json',
    ]) {
      let err: unknown;
      try {
        s.deserialize(enc(bad));
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(DeserializationError);
      expect(isCacheError(err)).toBe(true);
    }
  });

  it('is the default: a second instance reading from L2 gets the value the writer holds in L1', async () => {
    const store = new MapStore();
    const writer = new Cache({ l2: store });
    const reader = new Cache({ l2: store });
    const v = {
      when: new Date(0),
      tags: new Set(['x']),
      m: new Map([['k', 1]]),
      n: Number.NaN,
      inf: Infinity,
    };
    await writer.set('obj', v);
    expect(await writer.get('obj')).toStrictEqual(v);
    expect(await reader.get('obj')).toStrictEqual(v);
    const l1Only = new Cache();
    await l1Only.set('obj', v);
    expect(await l1Only.get('obj')).toStrictEqual(await reader.get('obj'));
    await expect(l1Only.set('f', { f: () => 1 })).rejects.toThrow(/`value\.f`: it is a function/);
    await Promise.all([writer.close(), reader.close(), l1Only.close()]);
  });
});
