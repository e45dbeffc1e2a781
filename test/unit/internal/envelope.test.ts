import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeserializationError } from '../../../src/errors.js';
import type { Entry } from '../../../src/internal/entry.js';
import { decodeEnvelope, encodeEnvelope } from '../../../src/internal/envelope.js';
import { jsonSerializer } from '../../../src/serializer/json.js';

const entryArb = fc.record({
  value: fc.jsonValue(),
  createdAt: fc.double({ min: 0, max: 4e12, noNaN: true }),
  expiresAt: fc.double({ min: 0, max: 4e12, noNaN: true }),
  grace: fc.double({ min: 0, max: 1e9, noNaN: true }),
  delta: fc.integer({ min: 0, max: 100_000 }),
  sliding: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1e9 })),
  tags: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 5 }), {
    nil: undefined,
  }),
  version: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }),
});

describe('envelope', () => {
  it('round-trips every entry', () => {
    fc.assert(
      fc.property(entryArb, (r) => {
        const e: Entry = {
          value: r.value,
          createdAt: r.createdAt,
          expiresAt: r.expiresAt,
          staleUntil: r.expiresAt + r.grace,
          delta: r.delta,
          sliding: r.sliding,
          maxAgeAt: r.sliding > 0 ? r.createdAt + 1e9 : Number.POSITIVE_INFINITY,
          tags: r.tags,
          version: r.version,
          settled: undefined,
        };
        const back = decodeEnvelope(encodeEnvelope(e, jsonSerializer.serialize(e.value)), jsonSerializer);
        // The value goes through the serializer (which drops `__proto__` keys); the header must be exact.
        expect(back).toEqual({ ...e, value: jsonSerializer.deserialize(jsonSerializer.serialize(e.value)) });
      }),
    );
  });

  it('rejects every truncation and random bytes with DeserializationError, never another error', () => {
    const e: Entry = {
      value: { a: [1, 2, 3] },
      createdAt: 1,
      expiresAt: 2,
      staleUntil: 3,
      delta: 4,
      sliding: 5,
      maxAgeAt: 6,
      tags: ['x', 'yy'],
      version: 'v1',
      settled: undefined,
    };
    const bytes = encodeEnvelope(e, jsonSerializer.serialize(e.value));
    for (let n = 0; n < bytes.byteLength; n++) {
      expect(() => decodeEnvelope(bytes.subarray(0, n), jsonSerializer)).toThrow(DeserializationError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (raw) => {
        try {
          decodeEnvelope(raw, jsonSerializer);
        } catch (err) {
          expect(err).toBeInstanceOf(DeserializationError);
        }
      }),
    );
  });
});
