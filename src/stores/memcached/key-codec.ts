import { createHash } from 'node:crypto';
import { InvalidKeyError } from '../../errors.js';

/** The longest key memcached takes as text. */
const MAX_TEXT_KEY = 250;
/** The longest binary key whose base64 form (the `b` flag) stays within memcached's 250-byte token. */
export const MAX_BINARY_KEY = 186;
/** Bytes of a long key kept in front of its SHA-256 when it has to be shortened. */
const LONG_KEY_HEAD = MAX_BINARY_KEY - 32;

const encoder = new TextEncoder();

/**
 * The key token (and flags) to put on a meta command line for `key`.
 *
 * - Up to 250 printable ASCII bytes (0x21–0x7e): sent as is.
 * - Any other key up to 186 bytes (spaces, control characters, non-ASCII as UTF-8, raw bytes): sent in
 *   base64 with the `b` flag; memcached ≥ 1.6 decodes it and stores the binary key, so other meta-protocol
 *   clients using the same bytes see the same item.
 * - Longer keys: stored under their first 154 bytes followed by the SHA-256 of the whole key (186 bytes,
 *   base64); distinct keys stay distinct (collision resistance of SHA-256), but such keys are only
 *   readable by clients that shorten keys the same way.
 */
export function encodeKey(key: string | Uint8Array): string {
  if (typeof key === 'string') {
    if (key.length === 0) throw new InvalidKeyError('memcached keys must not be empty');
    if (key.length <= MAX_TEXT_KEY && isPrintableAscii(key)) return key;
    return encodeBinary(encoder.encode(key));
  }
  if (key.byteLength === 0) throw new InvalidKeyError('memcached keys must not be empty');
  return encodeBinary(key);
}

function isPrintableAscii(key: string): boolean {
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}

function encodeBinary(bytes: Uint8Array): string {
  let wire = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (wire.length > MAX_BINARY_KEY) {
    const digest = createHash('sha256').update(wire).digest();
    wire = Buffer.concat([wire.subarray(0, LONG_KEY_HEAD), digest]);
  }
  return `${wire.toString('base64')} b`;
}
