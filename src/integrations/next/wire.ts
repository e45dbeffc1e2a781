/**
 * A JSON-safe form of the values Next.js hands its cache handlers, and back, exactly.
 *
 * The core's default serializer is JSON, which turns a `Buffer` into `{ type, data: [...] }`, a `Map` into
 * `{}` and `Infinity` into `null`. Next's values carry all three (RSC payloads, route bodies and images are
 * Buffers, `segmentData` is a `Map<string, Buffer>`), so the handlers store this form instead: binary as
 * base64, maps as pairs, non-finite numbers, -0 and `undefined` (Next's values have keys set to it) as markers. Objects whose own keys
 * could be mistaken for a marker (a key starting with NUL, or `__proto__`, which the core's safe parse drops)
 * are stored as pairs too, so any JSON-like value round-trips.
 *
 * This is the only place that knows about it: once the core serializer round-trips binary, the `$b` case
 * can go (the others stay as long as values may contain maps and non-finite numbers).
 */

const BYTES = '\u0000b';
const MAP = '\u0000m';
const OBJECT = '\u0000o';
const NUMBER = '\u0000n';
const UNDEFINED = '\u0000u';

/** The wire form of `value` (a tree of JSON values). */
export function toWire(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return { [NUMBER]: '-0' };
    return Number.isFinite(value) ? value : { [NUMBER]: String(value) };
  }
  if (value === undefined) return { [UNDEFINED]: 1 };
  if (ArrayBuffer.isView(value)) {
    return { [BYTES]: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
  }
  if (Array.isArray(value)) return value.map(toWire);
  if (value instanceof Map) return { [MAP]: [...value].map(([k, v]) => [toWire(k), toWire(v)]) };
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    const o = value as Record<string, unknown>;
    if (keys.some((k) => k.charCodeAt(0) === 0 || k === '__proto__')) {
      return { [OBJECT]: keys.map((k) => [k, toWire(o[k])]) };
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = toWire(o[k]);
    return out;
  }
  throw new TypeError(`Cannot store a ${typeof value} in the Next.js cache`);
}

/** Thrown by {@link fromWire} for anything {@link toWire} did not write. */
export class WireError extends Error {}

function pairs(x: unknown): Array<[unknown, unknown]> {
  if (!Array.isArray(x) || !x.every((p) => Array.isArray(p) && p.length === 2)) {
    throw new WireError('malformed pairs');
  }
  return x as Array<[unknown, unknown]>;
}

/** The value whose wire form is `wire`; throws {@link WireError} on a foreign or corrupt form. */
export function fromWire(wire: unknown): unknown {
  if (wire === null || typeof wire === 'string' || typeof wire === 'boolean' || typeof wire === 'number') {
    return wire;
  }
  if (Array.isArray(wire)) return wire.map(fromWire);
  if (typeof wire !== 'object') throw new WireError(`unexpected ${typeof wire}`);
  const o = wire as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0]!.charCodeAt(0) === 0) {
    const v = o[keys[0]!];
    switch (keys[0]) {
      case BYTES:
        if (typeof v !== 'string') throw new WireError('bytes are not base64');
        return Buffer.from(v, 'base64');
      case MAP:
        return new Map(pairs(v).map(([k, x]) => [fromWire(k), fromWire(x)]));
      case OBJECT: {
        const out: Record<string, unknown> = {};
        for (const [k, x] of pairs(v)) {
          if (typeof k !== 'string') throw new WireError('object key is not a string');
          Object.defineProperty(out, k, {
            value: fromWire(x),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return out;
      }
      case NUMBER:
        if (v !== 'Infinity' && v !== '-Infinity' && v !== 'NaN' && v !== '-0')
          throw new WireError('bad number');
        return Number(v);
      case UNDEFINED:
        return undefined;
      default:
        throw new WireError('unknown marker');
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = fromWire(o[k]);
  return out;
}
