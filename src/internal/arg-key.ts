/**
 * Lossless, deterministic encoding of `wrap()` arguments into a cache-key suffix.
 *
 * Strings, finite numbers, booleans, `null`, arrays and plain objects keep their JSON form (so
 * `f(3, 'a')` is keyed `[3,"a"]`); values JSON would lose or merge get a `~` tag, which JSON output never
 * starts with outside a string: `~u` undefined, `~h` an array hole, `~NaN`, `~Inf`, `~-Inf`, `~-0`,
 * `~n<digits>` a BigInt, `~D<ms>` a Date, `~M[...]` a Map, `~S[...]` a Set, `~<Type>:<hex>` a typed
 * array, `DataView` or `Buffer`. Object keys, Map entries and Set items are sorted, so
 * `{ a, b }` and `{ b, a }` share a key. Anything else (functions, symbols, class instances, cycles,
 * symbol-keyed properties) is a {@link SerializationError} naming its path, never a shared key.
 */
import { SerializationError } from '../errors.js';

/**
 * Where the encoder is, kept cheap and formatted only for an error: a number is an array index, a string
 * an object key, a one-item array a ready-made segment (Map and Set members).
 */
type Path = Array<number | string | [string]>;

/** Encodes `args` as a key suffix; throws {@link SerializationError} for an argument it cannot encode. */
export function encodeArgs(args: readonly unknown[]): string {
  return encodeArray(args, [], []);
}

function encode(value: unknown, path: Path, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? '~-0' : String(value);
      return Number.isNaN(value) ? '~NaN' : value > 0 ? '~Inf' : '~-Inf';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return '~u';
    case 'bigint':
      return `~n${value}`;
    case 'object':
      return value === null ? 'null' : encodeObject(value, path, ancestors);
    default:
      throw unencodable(path, `a ${typeof value}`);
  }
}

function encodeObject(value: object, path: Path, ancestors: object[]): string {
  if (ancestors.includes(value)) throw unencodable(path, 'a cycle back to one of its containers');
  if (Array.isArray(value)) return encodeArray(value, path, ancestors);
  if (value instanceof Date) return `~D${value.getTime()}`;
  if (ArrayBuffer.isView(value)) return encodeView(value, path);
  ancestors.push(value);
  let out: string;
  if (value instanceof Map) {
    const entries: string[] = [];
    let i = 0;
    for (const [k, v] of value) {
      path.push([`.keys()[${i}]`]);
      const ek = encode(k, path, ancestors);
      path[path.length - 1] = [`.get(${ek})`];
      entries.push(`[${ek},${encode(v, path, ancestors)}]`);
      path.pop();
      i++;
    }
    out = `~M[${entries.sort().join(',')}]`;
  } else if (value instanceof Set) {
    const items: string[] = [];
    let i = 0;
    for (const item of value) {
      path.push([`.values()[${i++}]`]);
      items.push(encode(item, path, ancestors));
      path.pop();
    }
    out = `~S[${items.sort().join(',')}]`;
  } else {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value.constructor as { name?: unknown } | undefined)?.name;
      throw unencodable(path, `an instance of ${typeof name === 'string' && name !== '' ? name : 'a class'}`);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) throw unencodable(path, 'an object with symbol keys');
    const keys = Object.keys(value).sort();
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of keys) {
      path.push(k);
      parts.push(`${JSON.stringify(k)}:${encode(record[k], path, ancestors)}`);
      path.pop();
    }
    out = `{${parts.join(',')}}`;
  }
  ancestors.pop();
  return out;
}

function encodeArray(value: readonly unknown[], path: Path, ancestors: object[]): string {
  ancestors.push(value);
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    if (i > 0) out += ',';
    if (!(i in value)) {
      out += '~h';
      continue;
    }
    path.push(i);
    out += encode(value[i], path, ancestors);
    path.pop();
  }
  ancestors.pop();
  return `${out}]`;
}

/** A typed array, DataView or Buffer: its exact type and bytes. Subclasses are refused (unknown state). */
function encodeView(value: ArrayBufferView, path: Path): string {
  const ctor = value.constructor as { name?: unknown } | undefined;
  const name = ctor?.name;
  if (typeof name !== 'string' || (globalThis as Record<string, unknown>)[name] !== ctor)
    throw unencodable(path, 'an instance of a typed-array subclass');
  const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  let hex = '';
  for (const b of bytes) hex += b < 16 ? `0${b.toString(16)}` : b.toString(16);
  return `~${name}:${hex}`;
}

function unencodable(path: Path, what: string): SerializationError {
  let at = 'args';
  for (const p of path) {
    if (typeof p === 'number') at += `[${p}]`;
    else if (typeof p === 'string') at += /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
    else at += p[0];
  }
  return new SerializationError(
    `Cannot build a wrap() key: \`${at}\` is ${what}; expected a primitive, Date, Map, Set, ` +
      'array, plain object, typed array or Buffer (or pass `key` to wrap())',
  );
}
