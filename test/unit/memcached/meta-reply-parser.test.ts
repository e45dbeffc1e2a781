import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../../src/errors.js';
import { encodeKey, MAX_BINARY_KEY } from '../../../src/stores/memcached/key-codec.js';
import { type MetaReply, MetaReplyParser } from '../../../src/stores/memcached/meta-reply-parser.js';

function parseAll(chunks: Buffer[]): MetaReply[] {
  const out: MetaReply[] = [];
  const parser = new MetaReplyParser((r) => out.push(r));
  for (const chunk of chunks) parser.push(chunk);
  return out;
}

const tricky = Buffer.from('\r\nEND\r\nVA 3 O9\r\nabc\r\nMN\r\n');
const stream = Buffer.concat([
  Buffer.from('HD O1\r\nEN O2\r\n'),
  Buffer.from(`VA ${tricky.length} c42 t-1 O3\r\n`),
  tricky,
  Buffer.from('\r\nVA 0 O4 W\r\n\r\nNF O5\r\nSERVER_ERROR out of memory\r\nMN\r\n'),
]);

describe('MetaReplyParser', () => {
  it('parses codes, opaques, flags and values that look like framing', () => {
    const replies = parseAll([stream]);
    expect(replies.map((r) => [r.code, r.opaque])).toEqual([
      ['HD', 1],
      ['EN', 2],
      ['VA', 3],
      ['VA', 4],
      ['NF', 5],
      ['SERVER_ERROR', -1],
      ['MN', -1],
    ]);
    expect(replies[2]!.value!.equals(tricky)).toBe(true);
    expect(replies[2]!.flags).toEqual(['c42', 't-1']);
    expect(replies[3]!.value!.length).toBe(0);
    expect(replies[3]!.flags).toEqual(['W']);
    expect(replies[5]!.message).toBe('out of memory');
  });

  it('gives the same replies however the stream is split into chunks', () => {
    const whole = parseAll([stream]);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const chunks = points.slice(1).map((end, i) => stream.subarray(points[i]!, end));
          expect(parseAll(chunks)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
    expect(parseAll([...stream].map((b) => Buffer.from([b])))).toEqual(whole);
  });

  it('rejects garbage, bad sizes, unterminated blocks and endless lines with ProtocolError', () => {
    for (const bad of [
      'HELLO\r\n',
      'VA x O1\r\n',
      'VA 2 O1\r\nabcd\r\n',
      'HD O1\n',
      'HD Oxx\r\n',
      'END\r\n',
    ]) {
      expect(() => parseAll([Buffer.from(bad)]), bad).toThrow(ProtocolError);
    }
    expect(() => parseAll([Buffer.alloc(9000, 0x41)])).toThrow(/too long/);
  });

  it('reports an unfinished reply (a truncated stream)', () => {
    const parser = new MetaReplyParser(() => {});
    parser.push(Buffer.from('VA 10 O1\r\nabc'));
    expect(parser.midReply).toBe(true);
    const idle = new MetaReplyParser(() => {});
    idle.push(Buffer.from('HD O1\r\n'));
    expect(idle.midReply).toBe(false);
  });
});

describe('encodeKey', () => {
  it('sends printable ASCII as is and everything else as base64 with the b flag', () => {
    expect(encodeKey('user:42')).toBe('user:42');
    expect(encodeKey('a'.repeat(250))).toBe('a'.repeat(250));
    expect(encodeKey('a b')).toBe(`${Buffer.from('a b').toString('base64')} b`);
    expect(encodeKey('ключ')).toBe(`${Buffer.from('ключ').toString('base64')} b`);
    expect(encodeKey(new Uint8Array([0, 1, 2]))).toBe('AAEC b');
    expect(() => encodeKey('')).toThrow(/empty/);
  });

  it('shortens long keys to 186 bytes that stay distinct', () => {
    const long = (c: string): string => encodeKey(`${'p'.repeat(300)}${c}`);
    const a = long('a');
    expect(a.endsWith(' b')).toBe(true);
    expect(Buffer.from(a.slice(0, -2), 'base64').length).toBe(MAX_BINARY_KEY);
    expect(a.length - 2).toBeLessThanOrEqual(250);
    expect(long('b')).not.toBe(a);
    expect(long('a')).toBe(a);
  });
});
