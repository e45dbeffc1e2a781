/**
 * What the default serializer, `wrap()` keys and the L1 clone agree a cached value may hold, decided in
 * one place so the three never drift: the same value is accepted (or refused, with the same words) by
 * every tier and every key.
 */

/**
 * Where a walk is, kept cheap and formatted only for an error: a number is an array index, a string an
 * object key, a one-item array a ready-made segment (Map and Set members).
 */
export type Path = Array<number | string | [string]>;

/** The kinds of object a value may hold; everything else is refused. */
export type ObjectKind = 'array' | 'object' | 'date' | 'map' | 'set' | 'view';

/** What the error messages list as representable. */
export const REPRESENTABLE = 'a primitive, Date, Map, Set, array, plain object, typed array or Buffer';

/**
 * The kind of `value`, or a description of why it cannot be cached (`an instance of Decimal`). Plain
 * objects are those whose prototype is `Object.prototype` or `null`; class instances are refused because
 * a copy read back from a remote tier would lose the class.
 */
export function objectKind(value: object): ObjectKind | { refused: string } {
  if (Array.isArray(value)) return 'array';
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return Object.getOwnPropertySymbols(value).length > 0
      ? { refused: 'an object with symbol keys' }
      : 'object';
  }
  if (value instanceof Date) return 'date';
  if (value instanceof Map)
    return proto === Map.prototype ? 'map' : { refused: 'an instance of a Map subclass' };
  if (value instanceof Set)
    return proto === Set.prototype ? 'set' : { refused: 'an instance of a Set subclass' };
  if (ArrayBuffer.isView(value)) {
    return viewConstructor(value.constructor.name) === value.constructor
      ? 'view'
      : { refused: 'an instance of a typed-array subclass' };
  }
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  return { refused: `an instance of ${typeof name === 'string' && name !== '' ? name : 'a class'}` };
}

/** The built-in view types a value may hold, by constructor name. */
const VIEWS: Record<string, new (bytes: ArrayBuffer, offset: number, length: number) => ArrayBufferView> = {
  Int8Array,
  Uint8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
  DataView,
};

/** The built-in constructor named `name` (`Buffer` included), or undefined. */
export function viewConstructor(
  name: string,
): (abstract new (...args: never[]) => ArrayBufferView) | undefined {
  if (name === 'Buffer') return Buffer;
  return Object.hasOwn(VIEWS, name) ? VIEWS[name] : undefined;
}

/** A copy of `bytes` as a view of type `name` (a name {@link viewConstructor} knows). */
export function makeView(name: string, bytes: Uint8Array): ArrayBufferView | undefined {
  if (name === 'Buffer') return Buffer.from(bytes);
  if (!Object.hasOwn(VIEWS, name)) return undefined;
  const Ctor = VIEWS[name] as (typeof VIEWS)[string] & { BYTES_PER_ELEMENT?: number };
  const width = Ctor.BYTES_PER_ELEMENT ?? 1;
  if (bytes.byteLength % width !== 0) return undefined;
  const copy = new Uint8Array(bytes).buffer; // exactly these bytes (a Buffer slice would share its pool)
  return new Ctor(copy, 0, name === 'DataView' ? bytes.byteLength : bytes.byteLength / width);
}

/** The bytes a view covers (no copy). */
export function viewBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** `root.a[3].get("k")`: a path for an error message. */
export function formatPath(root: string, path: Path): string {
  let at = root;
  for (const p of path) {
    if (typeof p === 'number') at += `[${p}]`;
    else if (typeof p === 'string') at += /^[A-Za-z_$][\w$]*$/.test(p) ? `.${p}` : `[${JSON.stringify(p)}]`;
    else at += p[0];
  }
  return at;
}
