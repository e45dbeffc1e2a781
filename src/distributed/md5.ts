/**
 * MD5 over short strings, in plain JavaScript, for ring lookups.
 *
 * `node:crypto`'s createHash costs an object, a native call and a Buffer per key (about 1 µs); ketama only
 * needs the 128-bit digest of a short key, which this computes in a few hundred ns with no allocation once
 * its scratch buffer is large enough. Verified against `node:crypto` in the unit tests. Not for security.
 */

const S = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
const K = new Int32Array(64);
for (let i = 0; i < 64; i++) K[i] = Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0;

const encoder = new TextEncoder();
let scratch = new Uint8Array(256);
const words = new Int32Array(16);
/** The digest of the last {@link md5} call as four little-endian 32-bit words (a, b, c, d). */
export const digestWords = new Int32Array(4);

/** The UTF-8 bytes of `s` in `scratch`; returns their length. */
function encode(s: string): number {
  const n = s.length;
  if (scratch.length < n * 3 + 72) scratch = new Uint8Array(n * 3 + 72);
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return encoder.encodeInto(s, scratch).written;
    scratch[i] = c;
  }
  return n;
}

function rotl(x: number, c: number): number {
  return (x << c) | (x >>> (32 - c));
}

function block(buf: Uint8Array, offset: number, h: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const j = offset + i * 4;
    words[i] = buf[j]! | (buf[j + 1]! << 8) | (buf[j + 2]! << 16) | (buf[j + 3]! << 24);
  }
  let a = h[0]!;
  let b = h[1]!;
  let c = h[2]!;
  let d = h[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    let g: number;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) & 15;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) & 15;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) & 15;
    }
    const t = d;
    d = c;
    c = b;
    b = (b + rotl((a + f + K[i]! + words[g]!) | 0, S[(i >> 4) * 4 + (i & 3)]!)) | 0;
    a = t;
  }
  h[0] = (h[0]! + a) | 0;
  h[1] = (h[1]! + b) | 0;
  h[2] = (h[2]! + c) | 0;
  h[3] = (h[3]! + d) | 0;
}

/**
 * Hashes the UTF-8 bytes of `s`; the digest lands in {@link digestWords}, and the first word (the ketama
 * point of a key: digest bytes 0..3 read little-endian) is returned as an unsigned 32-bit number.
 */
export function md5(s: string): number {
  const n = encode(s);
  const padded = ((n + 8) >> 6) * 64 + 64;
  scratch[n] = 0x80;
  scratch.fill(0, n + 1, padded - 8);
  const bits = n * 8;
  scratch[padded - 8] = bits & 0xff;
  scratch[padded - 7] = (bits >>> 8) & 0xff;
  scratch[padded - 6] = (bits >>> 16) & 0xff;
  scratch[padded - 5] = (bits >>> 24) & 0xff;
  const high = Math.floor(bits / 2 ** 32);
  scratch[padded - 4] = high & 0xff;
  scratch[padded - 3] = (high >>> 8) & 0xff;
  scratch[padded - 2] = (high >>> 16) & 0xff;
  scratch[padded - 1] = (high >>> 24) & 0xff;
  digestWords[0] = 0x67452301;
  digestWords[1] = 0xefcdab89 | 0;
  digestWords[2] = 0x98badcfe | 0;
  digestWords[3] = 0x10325476;
  for (let off = 0; off < padded; off += 64) block(scratch, off, digestWords);
  return digestWords[0]! >>> 0;
}
