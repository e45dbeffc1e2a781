import { DeserializationError, SerializationError } from '../errors.js';
import type { Serializer } from './serializer.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The error for a value JSON cannot represent, or undefined when `value` is fine at this level. */
function unrepresentable(value: unknown, key: string): SerializationError | undefined {
  const t = typeof value;
  const at = key === '' ? 'the top level' : `key \`${key}\``;
  if (t === 'function' || t === 'symbol') {
    return new SerializationError(
      `Cannot serialize a ${t} at ${at} as JSON; cache plain data (or configure another serializer)`,
    );
  }
  if (t === 'bigint') {
    return new SerializationError(
      `Cannot serialize a bigint at ${at} as JSON; convert it to a string (or a number), or pass a custom \`serializer\` in the cache options`,
    );
  }
  return undefined;
}

function rejectUnrepresentable(this: unknown, key: string, value: unknown): unknown {
  const err = unrepresentable(value, key);
  if (err !== undefined) throw err;
  return value;
}

/** Walks a value the way JSON.stringify does and throws what `jsonSerializer.serialize` would. */
function checkJson(value: unknown, key: string, ancestors: object[]): void {
  if (typeof value !== 'object' || value === null) {
    const err = unrepresentable(value, key);
    if (err !== undefined) throw err;
    return;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return;
  if (ancestors.includes(value)) {
    throw new SerializationError('Cannot serialize value as JSON: it contains a circular reference');
  }
  ancestors.push(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) checkJson(value[i], String(i), ancestors);
  } else {
    for (const k of Object.keys(value)) {
      if (k === '__proto__') {
        throw new SerializationError(
          'Cannot serialize an own `__proto__` key as JSON: decoders drop it (it could pollute prototypes), so it would not come back',
        );
      }
      checkJson((value as Record<string, unknown>)[k], k, ancestors);
    }
  }
  ancestors.pop();
}

function dropPrototypeKeys(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

/**
 * JSON with strict rules: functions, symbols and bigints are errors instead of silently dropped, cycles
 * are errors, and parsing drops `__proto__` keys so stored data cannot pollute prototypes.
 */
export const jsonSerializer: Serializer = Object.freeze({
  name: 'json',
  serialize(value: unknown): Uint8Array {
    let text: string | undefined;
    try {
      text = JSON.stringify(value, rejectUnrepresentable);
    } catch (err) {
      if (err instanceof SerializationError) throw err;
      throw new SerializationError(`Cannot serialize value as JSON: ${(err as Error).message}`, err);
    }
    if (text === undefined) throw new SerializationError('Cannot serialize `undefined` as JSON');
    return encoder.encode(text);
  },
  check(value: unknown): void {
    if (value === undefined) throw new SerializationError('Cannot serialize `undefined` as JSON');
    checkJson(value, '', []);
  },
  deserialize(bytes: Uint8Array): unknown {
    return parseJson(bytes).value;
  },
});

/**
 * Parses UTF-8 JSON bytes without `__proto__` keys (stored data cannot pollute prototypes); the text
 * comes back too, for callers that scan it. Throws {@link DeserializationError} on anything else.
 */
export function parseJson(bytes: Uint8Array): { text: string; value: unknown } {
  try {
    const text = decoder.decode(bytes);
    // A search for `"__proto__"` starts at every quote of the JSON; `__proto__` (a superset) is ~10x
    // cheaper, and the rare false positive only takes the slower reviver path.
    return {
      text,
      value: text.includes('__proto__') ? JSON.parse(text, dropPrototypeKeys) : JSON.parse(text),
    };
  } catch (err) {
    throw new DeserializationError(`Stored bytes are not valid JSON: ${(err as Error).message}`, err);
  }
}
