/**
 * The default serializer against the candidates issue 11 names, on a typical database row (plain JSON
 * types only) and on a row holding the types JSON loses (Date, Map, Set, BigInt, Buffer): encode and
 * decode ops/s and bytes, each as a ratio to plain JSON. Every contender's round trip is checked first;
 * a contender that does not give the value back is listed with what it loses.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { deserialize as v8Decode, serialize as v8Encode } from 'node:v8';
import { Packr } from 'msgpackr';
import { jsonSerializer } from '../../src/serializer/json.js';
import { taggedJsonSerializer } from '../../src/serializer/tagged-json.js';
import { median, report, type Table } from '../lib/report.js';

const ROUNDS = 5;
const ROUND_MS = 300;

const plainRow = {
  id: 48213,
  email: 'ada.lovelace@example.com',
  name: 'Ada Lovelace',
  active: true,
  score: 97.25,
  roles: ['admin', 'editor'],
  address: { street: '12 St James Square', city: 'London', zip: 'SW1Y 4JH' },
  createdAt: '2024-05-01T10:20:30.000Z',
  lastLogin: null,
};
const richRow = {
  ...plainRow,
  createdAt: new Date('2024-05-01T10:20:30Z'),
  tags: new Set(['vip', 'beta']),
  limits: new Map([
    ['daily', 100],
    ['monthly', 2500],
  ]),
  balance: 1234567890123n,
  avatar: Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'),
};

const packr = new Packr({ structuredClone: true, moreTypes: true, useRecords: false });
const packrRecords = new Packr({ structuredClone: true, moreTypes: true, useRecords: true });

type Codec = [string, (v: unknown) => Uint8Array, (b: Uint8Array) => unknown];
const codecs: Codec[] = [
  ['JSON (jsonSerializer)', (v) => jsonSerializer.serialize(v), (b) => jsonSerializer.deserialize(b)],
  [
    'tagged JSON (default)',
    (v) => taggedJsonSerializer.serialize(v),
    (b) => taggedJsonSerializer.deserialize(b),
  ],
  ['msgpackr structuredClone', (v) => packr.pack(v), (b) => packr.unpack(b)],
  ['msgpackr + records', (v) => packrRecords.pack(v), (b) => packrRecords.unpack(b)],
  ['v8.serialize', (v) => v8Encode(v), (b) => v8Decode(b)],
];

let sink = 0;
function rate(fn: () => unknown): number {
  let n = 0;
  const end = performance.now() + ROUND_MS;
  while (performance.now() < end) {
    for (let j = 0; j < 500; j++) if (fn() !== undefined) sink++;
    n += 500;
  }
  return n / (ROUND_MS / 1000);
}

const tables: Table[] = [];
for (const [label, row] of [
  ['a plain row (JSON types only)', plainRow],
  ['a row with Date, Map, Set, BigInt, Buffer', richRow],
] as const) {
  const rows: Array<Array<string | number>> = [];
  let ref: [number, number, number] | undefined;
  for (const [name, enc, dec] of codecs) {
    let bytes: Uint8Array;
    try {
      bytes = enc(row);
    } catch (err) {
      rows.push([name, 'refuses', '', '', '', (err as Error).message.slice(0, 60)]);
      continue;
    }
    const back = dec(bytes);
    const same = isDeepStrictEqual(back, row);
    const e: number[] = [];
    const d: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      e.push(rate(() => enc(row)));
      d.push(rate(() => dec(bytes)));
    }
    const m: [number, number, number] = [median(e), median(d), bytes.byteLength];
    ref ??= m;
    rows.push([
      name,
      m[0],
      `${(m[0] / ref[0]).toFixed(2)}×`,
      m[1],
      `${(m[1] / ref[1]).toFixed(2)}×`,
      `${m[2]} (${(m[2] / ref[2]).toFixed(2)}×)${same ? '' : ' — value changes'}`,
    ]);
  }
  tables.push({
    title: `Serializers on ${label}`,
    note: `${ROUNDS} rounds of ${ROUND_MS} ms, medians; ratios to the first serializer that accepts the row (JSON refuses a BigInt). "value changes": the decoded value is not deep-equal to the original.`,
    columns: ['serializer', 'encode ops/s', 'vs JSON', 'decode ops/s', 'vs JSON', 'bytes'],
    rows,
  });
}
if (sink === 0) throw new Error('unreachable');
report('serializers', tables);
