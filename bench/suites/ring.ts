/**
 * Ring lookups per second: stratacache's `HashRing` (libketama-exact, JS MD5 + binary search, a memo of up
 * to 8,192 recent answers) against the
 * `hashring` package (node:crypto MD5, with its built-in 5,000-entry LRU of recent lookups), both with
 * 10 servers × 160 points. Two key streams: 100k distinct keys in turn (neither memo helps) and 1,000 hot
 * keys (every lookup is a memo hit after warm-up). Every answer of ours is checked against the
 * oracle once before timing.
 */
import { performance } from 'node:perf_hooks';
import HashRingOracle from 'hashring';
import { HashRing } from '../../src/distributed/hash-ring.js';
import { median, report, type Table } from '../lib/report.js';

const ROUNDS = 5;
const ROUND_MS = 400;
const servers = Array.from({ length: 10 }, (_, i) => `10.0.0.${i + 1}:11211`);
const ours = new HashRing(servers);
const oracle = new HashRingOracle(servers);

const distinct = Array.from({ length: 100_000 }, (_, i) => `user:${i}:profile`);
const hot = distinct.slice(0, 1_000);
for (const key of distinct) {
  if (ours.getNode(key) !== oracle.get(key)) throw new Error(`ring disagrees with hashring on ${key}`);
}

let sink = 0;
function rate(lookup: (key: string) => string | undefined, keys: readonly string[]): number {
  let n = 0;
  let i = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    for (let j = 0; j < 1000; j++) {
      sink += lookup(keys[i]!)!.length;
      i = i + 1 === keys.length ? 0 : i + 1;
    }
    n += 1000;
  }
  return n / (ROUND_MS / 1000);
}

const contenders: Array<[string, (key: string) => string | undefined]> = [
  ['stratacache HashRing', (k) => ours.getNode(k)],
  ['hashring 3.2', (k) => oracle.get(k)],
];

const tables: Table[] = [];
for (const [streamName, keys] of [
  ['100k distinct keys', distinct],
  ['1,000 hot keys', hot],
] as const) {
  const samples = contenders.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    contenders.forEach(([, fn], c) => {
      samples[c]!.push(rate(fn, keys));
    });
  }
  const ref = median(samples[1]!);
  tables.push({
    title: `Ring lookups/s, 10 servers × 160 points, ${streamName}`,
    note: `${ROUNDS} rounds of ${ROUND_MS} ms; ratio of medians to hashring. Target ≥ 3×.`,
    columns: ['contender', 'lookups/s (median)', 'min', 'max', 'ratio vs hashring'],
    rows: contenders.map(([name], c) => {
      const s = samples[c]!;
      return [name, median(s), Math.min(...s), Math.max(...s), `${(median(s) / ref).toFixed(2)}×`];
    }),
  });
}
if (sink === 0) throw new Error('unreachable');
report('ring', tables);
