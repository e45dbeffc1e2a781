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
import { formatPath, objectKind, type Path, REPRESENTABLE, viewBytes } from '../serializer/value-kind.js';

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
  const kind = objectKind(value);
  if (typeof kind === 'object') throw unencodable(path, kind.refused);
  if (kind === 'array') return encodeArray(value as unknown[], path, ancestors);
  if (kind === 'date') return `~D${(value as Date).getTime()}`;
  if (kind === 'view') return encodeView(value as ArrayBufferView);
  ancestors.push(value);
  let out: string;
  if (kind === 'map') {
    const entries: string[] = [];
    let i = 0;
    for (const [k, v] of value as Map<unknown, unknown>) {
      path.push([`.keys()[${i}]`]);
      const ek = encode(k, path, ancestors);
      path[path.length - 1] = [`.get(${ek})`];
      entries.push(`[${ek},${encode(v, path, ancestors)}]`);
      path.pop();
      i++;
    }
    out = `~M[${entries.sort().join(',')}]`;
  } else if (kind === 'set') {
    const items: string[] = [];
    let i = 0;
    for (const item of value as Set<unknown>) {
      path.push([`.values()[${i++}]`]);
      items.push(encode(item, path, ancestors));
      path.pop();
    }
    out = `~S[${items.sort().join(',')}]`;
  } else {
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

/** A typed array, DataView or Buffer: its exact type and bytes. */
function encodeView(value: ArrayBufferView): string {
  let hex = '';
  for (const b of viewBytes(value)) hex += b < 16 ? `0${b.toString(16)}` : b.toString(16);
  return `~${value.constructor.name}:${hex}`;
}

function unencodable(path: Path, what: string): SerializationError {
  return new SerializationError(
    `Cannot build a wrap() key: \`${formatPath('args', path)}\` is ${what}; expected ${REPRESENTABLE} ` +
      '(or pass `key` to wrap())',
  );
}
