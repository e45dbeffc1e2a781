import { DeserializationError } from '../errors.js';
import type { Serializer } from '../serializer/serializer.js';
import type { Entry } from './entry.js';

/**
 * The compact, versioned binary form of an {@link Entry} in remote tiers:
 *
 * ```
 * 'S' 'C' format(1) flags  createdAt:f64 expiresAt:f64 staleUntil:f64 delta:f32
 * [sliding: sliding:f64 maxAgeAt:f64] [version: len:u16 utf8] [tags: count:u16 (len:u16 utf8)*]  payload
 * ```
 * Anything that does not parse (foreign bytes, truncation, another format) throws
 * {@link DeserializationError}; the cache counts it as a miss.
 */
const MAGIC0 = 0x53;
const MAGIC1 = 0x43;
const FORMAT = 1;
const F_SLIDING = 1;
const F_VERSION = 2;
const F_TAGS = 4;
const FIXED = 4 + 8 * 3 + 4;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);

export function encodeEnvelope(entry: Entry, payload: Uint8Array): Uint8Array {
  const version = entry.version === undefined ? undefined : encoder.encode(entry.version);
  const tags = entry.tags?.map((t) => encoder.encode(t));
  let size = FIXED + payload.byteLength;
  if (entry.sliding > 0) size += 16;
  if (version !== undefined) size += 2 + version.byteLength;
  if (tags !== undefined) size += 2 + tags.reduce((n, t) => n + 2 + t.byteLength, 0);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = FORMAT;
  out[3] = (entry.sliding > 0 ? F_SLIDING : 0) | (version ? F_VERSION : 0) | (tags ? F_TAGS : 0);
  view.setFloat64(4, entry.createdAt);
  view.setFloat64(12, entry.expiresAt);
  view.setFloat64(20, entry.staleUntil);
  view.setFloat32(28, entry.delta);
  let at = FIXED;
  if (entry.sliding > 0) {
    view.setFloat64(at, entry.sliding);
    view.setFloat64(at + 8, entry.maxAgeAt);
    at += 16;
  }
  if (version !== undefined) at = writeChunk(out, view, at, version);
  if (tags !== undefined) {
    view.setUint16(at, tags.length);
    at += 2;
    for (const t of tags) at = writeChunk(out, view, at, t);
  }
  out.set(payload, at);
  return out;
}

function writeChunk(out: Uint8Array, view: DataView, at: number, chunk: Uint8Array): number {
  if (chunk.byteLength > 0xffff) throw new RangeError('Expected a tag or version of at most 65535 bytes');
  view.setUint16(at, chunk.byteLength);
  out.set(chunk, at + 2);
  return at + 2 + chunk.byteLength;
}

/** Reads the big-endian float64 at `at` (no view allocated per decode). */
function f64(bytes: Uint8Array, at: number): number {
  for (let i = 0; i < 8; i++) scratchBytes[i] = bytes[at + i]!;
  return scratch.getFloat64(0);
}

function f32(bytes: Uint8Array, at: number): number {
  for (let i = 0; i < 4; i++) scratchBytes[i] = bytes[at + i]!;
  return scratch.getFloat32(0);
}

function u16(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 8) | bytes[at + 1]!;
}

function need(bytes: Uint8Array, end: number): void {
  if (end > bytes.byteLength) throw new DeserializationError('Envelope is truncated');
}

/** Decodes the length-prefixed UTF-8 string at `at`; returns it with the offset after it. */
function chunk(bytes: Uint8Array, at: number): [string, number] {
  need(bytes, at + 2);
  const end = at + 2 + u16(bytes, at);
  need(bytes, end);
  return [decoder.decode(bytes.subarray(at + 2, end)), end];
}

export function decodeEnvelope(bytes: Uint8Array, serializer: Serializer): Entry {
  if (bytes.byteLength < FIXED || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) {
    throw new DeserializationError('Stored bytes are not a stratacache envelope');
  }
  if (bytes[2] !== FORMAT) throw new DeserializationError(`Unknown envelope format ${bytes[2]}`);
  const flags = bytes[3]!;
  const createdAt = f64(bytes, 4);
  const expiresAt = f64(bytes, 12);
  const staleUntil = f64(bytes, 20);
  const delta = f32(bytes, 28);
  if (
    Number.isNaN(createdAt) ||
    Number.isNaN(expiresAt) ||
    Number.isNaN(staleUntil) ||
    Number.isNaN(delta) ||
    staleUntil < expiresAt
  ) {
    throw new DeserializationError('Envelope header holds impossible times');
  }
  let at = FIXED;
  let sliding = 0;
  let maxAgeAt = Number.POSITIVE_INFINITY;
  try {
    if (flags & F_SLIDING) {
      need(bytes, at + 16);
      sliding = f64(bytes, at);
      maxAgeAt = f64(bytes, at + 8);
      at += 16;
    }
    let version: string | undefined;
    if (flags & F_VERSION) [version, at] = chunk(bytes, at);
    let tags: string[] | undefined;
    if (flags & F_TAGS) {
      need(bytes, at + 2);
      const count = u16(bytes, at);
      at += 2;
      tags = [];
      for (let i = 0; i < count; i++) {
        let tag: string;
        [tag, at] = chunk(bytes, at);
        tags.push(tag);
      }
    }
    const value = serializer.deserialize(bytes.subarray(at));
    return {
      value,
      createdAt,
      expiresAt,
      staleUntil,
      delta,
      sliding,
      maxAgeAt,
      tags,
      version,
      settled: undefined,
    };
  } catch (err) {
    if (err instanceof DeserializationError) throw err;
    throw new DeserializationError(`Envelope is corrupt: ${(err as Error).message}`, err);
  }
}
