import { createHash } from 'node:crypto';
import fc from 'fast-check';
import HashRingOracle from 'hashring';
import { describe, expect, it } from 'vitest';
import { HashRing } from '../../../src/distributed/hash-ring.js';
import { digestWords, md5 } from '../../../src/distributed/md5.js';

const KEYS = 100_000;
const key = (i: number): string => `key:${i}:${(i * 2654435761) >>> 0}`;
const servers = (n: number, base = '10.0.0'): string[] =>
  Array.from({ length: n }, (_, i) => `${base}.${i + 1}:11211`);

function disagreements(ours: HashRing, oracle: HashRingOracle): number {
  let diff = 0;
  for (let i = 0; i < KEYS; i++) if (ours.getNode(key(i)) !== oracle.get(key(i))) diff++;
  return diff;
}

describe('md5', () => {
  it('matches node:crypto on ASCII, UTF-8 and block-boundary lengths', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'grapheme', maxLength: 80 })),
        (s) => {
          const want = createHash('md5').update(s).digest();
          md5(s);
          expect(Buffer.from(digestWords.buffer).equals(want)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
    for (const n of [55, 56, 63, 64, 65, 119, 120]) {
      md5('y'.repeat(n));
      expect(Buffer.from(digestWords.buffer).equals(createHash('md5').update('y'.repeat(n)).digest())).toBe(
        true,
      );
    }
  });
});

describe('HashRing vs the `hashring` oracle (100k keys)', () => {
  for (const n of [3, 4, 10, 11]) {
    it(`routes 100% of keys like hashring with ${n} servers`, () => {
      const names = servers(n);
      const ours = new HashRing(names);
      expect(ours.size).toBe(160 * n);
      expect(disagreements(ours, new HashRingOracle(names))).toBe(0);
    });
  }

  it('matches with weights', () => {
    const weights = { '10.0.0.1:11211': 3, '10.0.0.2:11211': 1, '10.0.0.3:11211': 2 };
    const ours = new HashRing(Object.keys(weights), { weights });
    expect(disagreements(ours, new HashRingOracle(weights))).toBe(0);
  });

  it('matches twemproxy naming (host alone on port 11211) against hashring "default port"', () => {
    const names = ['cache-a:11211', 'cache-b:11212', 'cache-c:11211'];
    const ours = new HashRing(names, { mode: 'twemproxy' });
    expect(disagreements(ours, new HashRingOracle(names, 'md5', { 'default port': 11211 }))).toBe(0);
  });

  it('keeps libketama float maths where hashring uses doubles (7 servers: 40 digests, not 39)', () => {
    const names = servers(7);
    const ours = new HashRing(names);
    expect(ours.pointsOf(names[0]!)).toBe(160);
    // hashring computes floor(1/7 * 40 * 7) = 39 in doubles; forcing 40 vnodes per server (it only honours a
    // per-server count that differs from its default) makes it libketama again.
    expect(new HashRingOracle(names).points(names)[names[0]!]).toHaveLength(156);
    const forced = Object.fromEntries(names.map((s) => [s, { vnodes: 40 }]));
    expect(disagreements(ours, new HashRingOracle(forced, 'md5', { 'vnode count': 41 }))).toBe(0);
  });
});

describe('HashRing golden vectors', () => {
  const keys = ['', 'a', 'user:42', 'session:7f3a', 'ключ', 'key with spaces', 'x'.repeat(300), '🔑'];
  keys.push('product:1', 'product:2', 'product:3', 'order:99');

  it('ketama, 3 servers', () => {
    const ring = new HashRing(servers(3));
    expect(keys.map((k) => ring.getNode(k))).toEqual([
      '10.0.0.2:11211',
      '10.0.0.3:11211',
      '10.0.0.1:11211',
      '10.0.0.3:11211',
      '10.0.0.2:11211',
      '10.0.0.1:11211',
      '10.0.0.3:11211',
      '10.0.0.2:11211',
      '10.0.0.2:11211',
      '10.0.0.2:11211',
      '10.0.0.1:11211',
      '10.0.0.1:11211',
    ]);
  });

  it('twemproxy, mixed ports', () => {
    const ring = new HashRing(['cache-a:11211', 'cache-b:11212', 'cache-c:11211'], { mode: 'twemproxy' });
    expect(keys.map((k) => ring.getNode(k))).toEqual([
      'cache-a:11211',
      'cache-b:11212',
      'cache-b:11212',
      'cache-c:11211',
      'cache-a:11211',
      'cache-b:11212',
      'cache-a:11211',
      'cache-a:11211',
      'cache-b:11212',
      'cache-c:11211',
      'cache-b:11212',
      'cache-b:11212',
    ]);
  });

  it('ketama, 7 servers', () => {
    const ring = new HashRing(servers(7, '10.0.1').map((s) => s.replace(/\.(\d+):/, (_, d) => `.${d - 1}:`)));
    expect(keys.map((k) => ring.getNode(k))).toEqual([
      '10.0.1.4:11211',
      '10.0.1.6:11211',
      '10.0.1.6:11211',
      '10.0.1.5:11211',
      '10.0.1.5:11211',
      '10.0.1.2:11211',
      '10.0.1.4:11211',
      '10.0.1.0:11211',
      '10.0.1.4:11211',
      '10.0.1.4:11211',
      '10.0.1.1:11211',
      '10.0.1.3:11211',
    ]);
  });

  it('digests per server follow 32-bit float rounding (values from gcc on the C expressions)', () => {
    const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `h${i}:1`);
    // libketama: floorf(pct * 40.0 * (float)n); 61 and 122 servers round down to 39 digests.
    expect(new HashRing(names(61)).pointsOf('h0:1')).toBe(156);
    expect(new HashRing(names(60)).pointsOf('h0:1')).toBe(160);
    // twemproxy: floorf((float)(pct * 160 / 4 * n + 1e-10)) * 4; 25 servers give 156 points.
    expect(new HashRing(names(25), { mode: 'twemproxy' }).pointsOf('h0:1')).toBe(156);
    expect(new HashRing(names(24), { mode: 'twemproxy' }).pointsOf('h0:1')).toBe(160);
    const weighted = new HashRing(names(3), { weights: { 'h0:1': 3, 'h1:1': 1, 'h2:1': 2 } });
    expect(['h0:1', 'h1:1', 'h2:1'].map((s) => weighted.pointsOf(s))).toEqual([240, 80, 160]);
  });
});

describe('HashRing distribution', () => {
  function loads(ring: HashRing): Map<string, number> {
    const counts = new Map<string, number>();
    for (let i = 0; i < KEYS; i++) {
      const node = ring.getNode(key(i))!;
      counts.set(node, (counts.get(node) ?? 0) + 1);
    }
    return counts;
  }

  for (const n of [3, 10]) {
    it(`moves at most 1.1× the ideal 1/(n+1) of keys when a node joins ${n} (and only to it)`, () => {
      const ring = new HashRing(servers(n));
      const before = Array.from({ length: KEYS }, (_, i) => ring.getNode(key(i)));
      const added = `10.0.9.9:11211`;
      ring.addNode(added);
      let moved = 0;
      for (let i = 0; i < KEYS; i++) {
        const now = ring.getNode(key(i));
        if (now !== before[i]) {
          moved++;
          expect(now).toBe(added);
        }
      }
      expect(moved / KEYS).toBeLessThanOrEqual(1.1 / (n + 1));
      ring.removeNode(added);
      for (let i = 0; i < KEYS; i += 97) expect(ring.getNode(key(i))).toBe(before[i]);
    });
  }

  it('keeps max/mean load ≤ 1.15 with 160 points per server', () => {
    for (const n of [3, 5, 10]) {
      const counts = [...loads(new HashRing(servers(n))).values()];
      const mean = KEYS / n;
      expect(Math.max(...counts) / mean).toBeLessThanOrEqual(1.15);
    }
  });

  it('gives weighted servers a proportional share', () => {
    const weights = { 'a:1': 1, 'b:1': 2, 'c:1': 4 };
    const counts = loads(new HashRing(Object.keys(weights), { weights }));
    const share = (s: string): number => (counts.get(s) ?? 0) / KEYS;
    expect(share('a:1')).toBeGreaterThan(0.1);
    expect(share('a:1')).toBeLessThan(0.19);
    expect(share('b:1')).toBeGreaterThan(0.22);
    expect(share('b:1')).toBeLessThan(0.35);
    expect(share('c:1')).toBeGreaterThan(0.5);
    expect(share('c:1')).toBeLessThan(0.65);
  });
});

describe('HashRing properties', () => {
  const nodeSet = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 8 });

  it('is independent of node order and always returns a ring member', () => {
    fc.assert(
      fc.property(nodeSet, fc.array(fc.string(), { maxLength: 30 }), (nodes, keys) => {
        const a = new HashRing(nodes);
        const b = new HashRing([...nodes].reverse());
        for (const k of keys) {
          expect(a.getNode(k)).toBe(b.getNode(k));
          expect(nodes).toContain(a.getNode(k));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('removing a node moves only that node’s keys', () => {
    fc.assert(
      fc.property(
        nodeSet.filter((n) => n.length >= 2),
        fc.array(fc.string(), { maxLength: 50 }),
        (nodes, keys) => {
          const ring = new HashRing(nodes);
          const before = keys.map((k) => ring.getNode(k));
          ring.removeNode(nodes[0]!);
          keys.forEach((k, i) => {
            if (before[i] !== nodes[0]) expect(ring.getNode(k)).toBe(before[i]);
            else expect(ring.getNode(k)).not.toBe(nodes[0]);
          });
        },
      ),
      { numRuns: 100 },
    );
  });

  it('an empty ring has no node; bad options are rejected with a message', () => {
    expect(new HashRing([]).getNode('x')).toBeUndefined();
    expect(() => new HashRing(['a'], { pointsPerServer: 10 })).toThrow(/multiple of 4/);
    expect(() => new HashRing(['a'], { mode: 'modulo' as never })).toThrow(/'ketama' or 'twemproxy'/);
    expect(() => new HashRing(['a'], { weights: { a: -1 } })).toThrow(/positive number/);
    expect(() => new HashRing(['a'], { tll: 1 } as never)).toThrow(/Unknown option/);
    expect(new HashRing(['a', 'b'], { pointsPerServer: 400 }).size).toBe(800);
  });
});
