import { describe, expect, it } from 'vitest';
import { SerializationError } from '../../../src/errors.js';
import { cloneValue } from '../../../src/serializer/clone.js';
import { taggedJsonSerializer } from '../../../src/serializer/tagged-json.js';

const roundTrip = (v: unknown): unknown =>
  taggedJsonSerializer.deserialize(taggedJsonSerializer.serialize(v));

describe('cloneValue (the l1.clone copier)', () => {
  const sample = () => ({
    when: new Date(0),
    bad: new Date(Number.NaN),
    tags: new Set(['x', 'y']),
    m: new Map<unknown, unknown>([
      ['k', 1],
      [2, { deep: [1, 2] }],
    ]),
    n: Number.NaN,
    inf: Number.POSITIVE_INFINITY,
    ninf: Number.NEGATIVE_INFINITY,
    negZero: -0,
    big: 10n ** 30n,
    items: [1, undefined, null, 'a'],
    u8: new Uint8Array([1, 2, 3]),
    f64: new Float64Array([1.5, -2]),
    dv: new DataView(new Uint8Array([9, 8]).buffer),
    buf: Buffer.from('hello'),
    nested: { a: { b: { c: 'd' } } },
    undef: undefined,
  });

  it('equals the value and what the default serializer round-trips, sharing no object with it', () => {
    const v = sample();
    const c = cloneValue(v) as ReturnType<typeof sample>;
    expect(c).toEqual(v);
    expect(c).toEqual(roundTrip(v));
    expect(Object.is(c.negZero, -0)).toBe(true);
    expect(c.nested.a).not.toBe(v.nested.a);
    expect(c.m).not.toBe(v.m);
    expect(c.m.get(2)).not.toBe(v.m.get(2));
    expect(c.u8.buffer).not.toBe(v.u8.buffer);
    expect(c.when).not.toBe(v.when);
  });

  it('keeps a Buffer a Buffer (structuredClone would give a plain Uint8Array)', () => {
    const buf = Buffer.from('abc');
    const c = cloneValue({ buf }) as { buf: Buffer };
    expect(Buffer.isBuffer(c.buf)).toBe(true);
    expect(c.buf.toString()).toBe('abc');
    expect(Buffer.isBuffer(structuredClone(buf))).toBe(false);
  });

  it('keeps array holes, and copies an object reached twice twice (as a remote tier would)', () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    const holes = [1, , 3];
    const c = cloneValue(holes) as unknown[];
    expect(1 in c).toBe(false);
    expect(c).toHaveLength(3);
    const shared = { a: 1 };
    const pair = cloneValue([shared, shared]) as unknown[];
    expect(pair[0]).toEqual(shared);
    expect(pair[0]).not.toBe(pair[1]);
  });

  it('refuses an own __proto__ key, as the serializer does (a decoder would drop it)', () => {
    const v = JSON.parse('{"a":{"__proto__":{"polluted":true}}}') as Record<string, unknown>;
    expect(() => cloneValue(v)).toThrow(SerializationError);
    expect(() => cloneValue(v)).toThrow(/`value\.a\.__proto__` into L1 .*: it is an own `__proto__` key/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each([
    ['a function', { f: () => 1 }, /`value.f`.*a function/],
    ['a class instance', { at: [new (class Decimal {})()] }, /`value.at\[0\]`.*an instance of Decimal/],
    ['a symbol', new Set([Symbol('s')]), /`value.values\(\)\[0\]`.*a symbol/],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
      /`value.self`.*a cycle/,
    ],
  ])('refuses %s with a SerializationError naming the path', (_name, value, message) => {
    expect(() => cloneValue(value)).toThrow(SerializationError);
    expect(() => cloneValue(value)).toThrow(message);
  });
});
