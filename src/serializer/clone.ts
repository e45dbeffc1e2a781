import { SerializationError } from '../errors.js';
import { formatPath, makeView, objectKind, type Path, REPRESENTABLE, viewBytes } from './value-kind.js';

/**
 * A deep copy of `value` for a copying L1 (`l1: { clone: true }`), by the rules of the default serializer
 * (see value-kind.ts): the copy equals what a remote tier would hand back, so a value is the same
 * whichever tier answers. Dates, Maps, Sets, typed arrays and Buffers keep their class (a Buffer stays a
 * Buffer, which `structuredClone` would turn into a plain Uint8Array); array holes stay holes; an object
 * reached twice is copied twice, as a remote tier would. Functions, symbols, class instances,
 * symbol-keyed objects and cycles are a {@link SerializationError} naming the path.
 */
export function cloneValue(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? cloneObject(value, [], []) : checkPrimitive(value, []);
}

function checkPrimitive(value: unknown, path: Path): unknown {
  const type = typeof value;
  if (type === 'function' || type === 'symbol') throw uncopyable(path, `a ${type}`);
  return value;
}

function copy(value: unknown, path: Path, ancestors: object[]): unknown {
  return typeof value === 'object' && value !== null
    ? cloneObject(value, path, ancestors)
    : checkPrimitive(value, path);
}

function cloneObject(value: object, path: Path, ancestors: object[]): unknown {
  const kind = objectKind(value);
  if (typeof kind === 'object') throw uncopyable(path, kind.refused);
  if (kind === 'date') return new Date((value as Date).getTime());
  if (kind === 'view') {
    const view = value as ArrayBufferView;
    return makeView(view.constructor.name, viewBytes(view));
  }
  if (ancestors.includes(value)) throw uncopyable(path, 'a cycle back to one of its containers');
  ancestors.push(value);
  let out: unknown;
  if (kind === 'array') {
    const items = value as unknown[];
    const copied = new Array<unknown>(items.length);
    for (let i = 0; i < items.length; i++) {
      if (!(i in items)) continue; // a hole stays a hole
      path.push(i);
      copied[i] = copy(items[i], path, ancestors);
      path.pop();
    }
    out = copied;
  } else if (kind === 'object') {
    // A null-prototype object comes back from a remote tier as a plain one: so does its copy.
    const copied: Record<string, unknown> = {};
    const record = value as Record<string, unknown>;
    for (const k in record) {
      if (!Object.hasOwn(record, k)) continue;
      path.push(k);
      // A remote tier's decoder drops `__proto__` keys (prototype pollution): refused here as there.
      if (k === '__proto__')
        throw uncopyable(
          path,
          'an own `__proto__` key, which decoders drop (it could pollute prototypes), so it would not come back',
        );
      copied[k] = copy(record[k], path, ancestors);
      path.pop();
    }
    out = copied;
  } else if (kind === 'map') {
    const copied = new Map<unknown, unknown>();
    let i = 0;
    for (const [k, v] of value as Map<unknown, unknown>) {
      path.push([`.keys()[${i}]`]);
      const ck = copy(k, path, ancestors);
      path[path.length - 1] = [`.values()[${i++}]`];
      copied.set(ck, copy(v, path, ancestors));
      path.pop();
    }
    out = copied;
  } else {
    const copied = new Set<unknown>();
    let i = 0;
    for (const item of value as Set<unknown>) {
      path.push([`.values()[${i++}]`]);
      copied.add(copy(item, path, ancestors));
      path.pop();
    }
    out = copied;
  }
  ancestors.pop();
  return out;
}

function uncopyable(path: Path, what: string): SerializationError {
  return new SerializationError(
    `Cannot copy \`${formatPath('value', path)}\` into L1 (\`l1.clone\`): it is ${what}; expected ${REPRESENTABLE}`,
  );
}
