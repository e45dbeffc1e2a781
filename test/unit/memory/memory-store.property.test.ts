import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../../bench/lib/traces.js';
import { MemoryStore } from '../../../src/stores/memory/memory-store.js';

type Op =
  | { kind: 'set'; key: string; value: string; ttl: number | undefined }
  | { kind: 'get' | 'peek' | 'delete'; key: string }
  | { kind: 'advance'; ms: number };

const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g', 'h');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('set' as const),
    key: keyArb,
    value: fc.string({ maxLength: 12 }),
    ttl: fc.option(fc.integer({ min: 1, max: 5000 }), { nil: undefined }),
  }),
  fc.record({ kind: fc.constantFrom('get' as const, 'peek' as const, 'delete' as const), key: keyArb }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
);

interface ModelEntry {
  value: string;
  expiresAt: number;
}

function run(ops: Op[], maxEntries: number, maxBytes: number | undefined, policy: 'tinylfu' | 'lru') {
  const clock = { t: 1_000_000, now: () => clock.t };
  const store = new MemoryStore<string>({
    maxEntries,
    ...(maxBytes === undefined ? {} : { maxBytes, sizeOf: (v: string) => v.length + 1 }),
    clock,
    policy,
    random: createRandom(11),
  });
  const model = new Map<string, ModelEntry>();
  const pressure = maxEntries < 8 || maxBytes !== undefined;
  const live = (key: string) => {
    const entry = model.get(key);
    return entry !== undefined && entry.expiresAt > clock.t ? entry : undefined;
  };
  for (const op of ops) {
    switch (op.kind) {
      case 'set':
        store.set(op.key, op.value, op.ttl);
        model.set(op.key, { value: op.value, expiresAt: op.ttl === undefined ? Infinity : clock.t + op.ttl });
        break;
      case 'advance':
        clock.t += op.ms;
        break;
      case 'delete':
        store.delete(op.key);
        model.delete(op.key);
        expect(store.get(op.key)).toBeUndefined();
        break;
      default: {
        const got = op.kind === 'get' ? store.get(op.key) : store.peek(op.key);
        const expected = live(op.key);
        // Never a wrong, deleted or expired value; without pressure, exactly the model.
        if (got !== undefined) expect(got).toBe(expected?.value);
        if (!pressure) expect(got).toBe(expected?.value);
      }
    }
    expect(store.size).toBeLessThanOrEqual(maxEntries);
    if (maxBytes !== undefined) expect(store.bytes).toBeLessThanOrEqual(maxBytes);
    for (const key of store.keys()) expect(live(key)).toBeDefined();
  }
}

describe('MemoryStore against a model', () => {
  it('behaves exactly like a map with expiry when nothing has to be evicted', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), fc.constantFrom('tinylfu', 'lru'), (ops, policy) =>
        run(ops, 8, undefined, policy),
      ),
      { numRuns: 300 },
    );
  });

  it('stays within the entry bound and never returns a wrong, deleted or expired value', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 150 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom('tinylfu', 'lru'),
        (ops, maxEntries, policy) => run(ops, maxEntries, undefined, policy),
      ),
      { numRuns: 300 },
    );
  });

  it('stays within the byte bound', () => {
    fc.assert(
      fc.property(
        fc.array(opArb, { maxLength: 150 }),
        fc.integer({ min: 13, max: 40 }),
        fc.constantFrom('tinylfu', 'lru'),
        (ops, maxBytes, policy) => run(ops, 8, maxBytes, policy),
      ),
      { numRuns: 300 },
    );
  });
});
