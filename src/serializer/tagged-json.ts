import { DeserializationError, SerializationError } from '../errors.js';
import { parseJson } from './json.js';
import type { Serializer } from './serializer.js';
import { formatPath, makeView, objectKind, type Path, REPRESENTABLE, viewBytes } from './value-kind.js';

/**
 * The default serializer: JSON, with the values JSON loses written as one-key tag objects, so a value read
 * back from a remote tier equals the one the memory tier holds.
 *
 * | value | stored as |
 * |---|---|
 * | `Date` | `{"~D":<ms>}` (`null` for an invalid date) |
 * | `NaN`, `Infinity`, `-Infinity`, `-0` | `{"~N":"NaN"}`, `"Inf"`, `"-Inf"`, `"-0"` |
 * | `undefined` (a property, an item, the whole value) | `{"~U":0}` |
 * | an array hole | `{"~H":0}` |
 * | `BigInt` | `{"~B":"<digits>"}` |
 * | `Map` | `{"~M":[k1,v1,k2,v2,…]}` (insertion order) |
 * | `Set` | `{"~S":[…]}` |
 * | typed array, `DataView`, `Buffer` | `{"~T":["<Type>","<base64>"]}` |
 * | an object key starting with `~` | the key with one more `~` in front |
 *
 * A value without any of these is byte-for-byte `JSON.stringify(value)`, so other services can read it,
 * and the checking walk is the only cost over JSON. Functions, symbols, class instances, symbol-keyed
 * objects and cycles are a {@link SerializationError} naming the path (`value.tags[3]`). Decoding drops
 * `__proto__` keys (a null-prototype object comes back as a plain one) and refuses unknown tags and malformed tag payloads with a {@link DeserializationError}.
 */
export const taggedJsonSerializer: Serializer = Object.freeze({
  name: 'tagged-json',
  serialize(value: unknown): Uint8Array {
    const plain = inspect(value, [], []);
    let text: string;
    try {
      text = JSON.stringify(plain ? value : tag(value));
    } catch (err) {
      throw new SerializationError(`Cannot serialize value: ${(err as Error).message}`, err);
    }
    return encoder.encode(text);
  },
  check(value: unknown): void {
    inspect(value, [], []);
  },
  deserialize(bytes: Uint8Array): unknown {
    const { text, value: parsed } = parseJson(bytes);
    // Tags are strings that start with `~`. A search for `"~` stops at every quote of the JSON (~250 ns
    // for a 250-byte row); `~` alone is rare in real data, so looking for it first costs ~20 ns.
    if (!text.includes('~') || !text.includes('"~')) return parsed;
    try {
      return revive(parsed);
    } catch (err) {
      if (err instanceof DeserializationError) throw err;
      throw new DeserializationError(`Stored bytes cannot be decoded: ${(err as Error).message}`, err);
    }
  },
});

const encoder = new TextEncoder();
const TILDE = 0x7e;

function refuse(path: Path, what: string): SerializationError {
  return new SerializationError(
    `Cannot serialize \`${formatPath('value', path)}\`: it is ${what}; expected ${REPRESENTABLE} ` +
      '(convert it, or pass a `serializer` in the cache options)',
  );
}

/**
 * Walks `value`, throwing for what cannot be represented; true when plain JSON already says it all (no
 * tag needed), so `serialize` can hand the value to `JSON.stringify` untouched.
 */
function inspect(value: unknown, path: Path, ancestors: object[]): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'undefined':
    case 'bigint':
      return false;
    case 'object':
      return value === null || inspectObject(value, path, ancestors);
    default:
      throw refuse(path, `a ${typeof value}`);
  }
}

function inspectObject(value: object, path: Path, ancestors: object[]): boolean {
  const kind = objectKind(value);
  if (typeof kind === 'object') throw refuse(path, kind.refused);
  if (kind === 'date' || kind === 'view') return false;
  if (ancestors.includes(value)) throw refuse(path, 'a cycle back to one of its containers');
  ancestors.push(value);
  let plain = kind === 'array' || kind === 'object';
  if (kind === 'array') {
    const items = value as unknown[];
    for (let i = 0; i < items.length; i++) {
      path.push(i);
      if (!(i in items)) plain = false;
      else if (!inspect(items[i], path, ancestors)) plain = false;
      path.pop();
    }
  } else if (kind === 'object') {
    const record = value as Record<string, unknown>;
    for (const k in record) {
      if (!Object.hasOwn(record, k)) continue;
      path.push(k);
      if (k === '__proto__')
        throw refuse(
          path,
          'an own `__proto__` key, which decoders drop (it could pollute prototypes), so it would not come back',
        );
      if (k.charCodeAt(0) === TILDE || !inspect(record[k], path, ancestors)) plain = false;
      path.pop();
    }
  } else if (kind === 'map') {
    let i = 0;
    for (const [k, v] of value as Map<unknown, unknown>) {
      path.push([`.keys()[${i}]`]);
      inspect(k, path, ancestors);
      path[path.length - 1] = [`.values()[${i++}]`];
      inspect(v, path, ancestors);
      path.pop();
    }
  } else {
    let i = 0;
    for (const item of value as Set<unknown>) {
      path.push([`.values()[${i++}]`]);
      inspect(item, path, ancestors);
      path.pop();
    }
  }
  ancestors.pop();
  return plain;
}

/** A JSON-ready copy of an already inspected value, with tags for what JSON would lose. */
function tag(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? { '~N': '-0' } : value;
      return { '~N': Number.isNaN(value) ? 'NaN' : value > 0 ? 'Inf' : '-Inf' };
    case 'undefined':
      return { '~U': 0 };
    case 'bigint':
      return { '~B': value.toString() };
    case 'object':
      return value === null ? null : tagObject(value);
    default:
      return value;
  }
}

function tagObject(value: object): unknown {
  switch (objectKind(value)) {
    case 'array': {
      const items = value as unknown[];
      const out = new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) out[i] = i in items ? tag(items[i]) : { '~H': 0 };
      return out;
    }
    case 'date': {
      const ms = (value as Date).getTime();
      return { '~D': Number.isNaN(ms) ? null : ms };
    }
    case 'view':
      return {
        '~T': [value.constructor.name, Buffer.from(viewBytes(value as ArrayBufferView)).toString('base64')],
      };
    case 'map': {
      const flat: unknown[] = [];
      for (const [k, v] of value as Map<unknown, unknown>) flat.push(tag(k), tag(v));
      return { '~M': flat };
    }
    case 'set':
      return { '~S': Array.from(value as Set<unknown>, tag) };
    default: {
      const out: Record<string, unknown> = {};
      const record = value as Record<string, unknown>;
      for (const k in record) {
        if (Object.hasOwn(record, k)) out[k.charCodeAt(0) === TILDE ? `~${k}` : k] = tag(record[k]);
      }
      return out;
    }
  }
}

/** A hole marker inside `revive`; never escapes it. */
const HOLE: unique symbol = Symbol('hole');

function foreign(what: string): DeserializationError {
  return new DeserializationError(`Stored bytes are not tagged JSON: ${what}`);
}

/** Undoes {@link tag} in place on freshly parsed JSON (which nobody else holds). */
function revive(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = revive(value[i]);
      if (item === HOLE) delete value[i];
      else value[i] = item;
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const only = keys.length === 1 ? (keys[0] as string) : '';
  if (only.length === 2 && only.charCodeAt(0) === TILDE && only.charCodeAt(1) !== TILDE) {
    return untag(only, record[only]);
  }
  let escaped = false;
  for (const k of keys) {
    if (k.charCodeAt(0) === TILDE) {
      if (k.charCodeAt(1) !== TILDE) throw foreign(`unknown tag \`${k}\``);
      escaped = true;
    }
    record[k] = revive(record[k]);
  }
  if (!escaped) return record;
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k.charCodeAt(0) === TILDE ? k.slice(1) : k] = record[k];
  return out;
}

const NUMBERS: Record<string, number> = { NaN: Number.NaN, Inf: Infinity, '-Inf': -Infinity, '-0': -0 };
const DIGITS = /^-?(0|[1-9]\d*)$/;

function untag(key: string, payload: unknown): unknown {
  switch (key) {
    case '~D':
      if (payload === null) return new Date(Number.NaN);
      if (typeof payload !== 'number') throw foreign('a date that is not a number');
      return new Date(payload);
    case '~N':
      if (typeof payload !== 'string' || !Object.hasOwn(NUMBERS, payload))
        throw foreign('an unknown number tag');
      return NUMBERS[payload];
    case '~U':
      return undefined;
    case '~H':
      return HOLE;
    case '~B':
      if (typeof payload !== 'string' || !DIGITS.test(payload)) throw foreign('a bigint that is not digits');
      return BigInt(payload);
    case '~M': {
      if (!Array.isArray(payload) || payload.length % 2 !== 0)
        throw foreign('a map that is not key/value pairs');
      const map = new Map<unknown, unknown>();
      for (let i = 0; i < payload.length; i += 2) map.set(revive(payload[i]), revive(payload[i + 1]));
      return map;
    }
    case '~S':
      if (!Array.isArray(payload)) throw foreign('a set that is not an array');
      return new Set(payload.map(revive));
    case '~T': {
      const [name, base64, extra] = Array.isArray(payload) ? (payload as unknown[]) : [];
      const view =
        typeof name === 'string' && typeof base64 === 'string' && extra === undefined
          ? makeView(name, Buffer.from(base64, 'base64'))
          : undefined;
      if (view === undefined) throw foreign('a malformed typed array');
      return view;
    }
    default:
      throw foreign(`unknown tag \`${key}\``);
  }
}
