import { DeserializationError, SerializationError } from '../errors.js';

/** Turns values into bytes for remote tiers and back. */
export interface Serializer {
  /** A short name, for error messages. */
  readonly name: string;
  /** Encodes a value; throws {@link SerializationError} for values it cannot represent. */
  serialize(value: unknown): Uint8Array;
  /** Decodes bytes written by `serialize`; throws {@link DeserializationError} on anything else. */
  deserialize(bytes: Uint8Array): unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function rejectUnrepresentable(this: unknown, key: string, value: unknown): unknown {
  const t = typeof value;
  if (t === 'function' || t === 'symbol') {
    throw new SerializationError(
      `Cannot serialize a ${t} at ${key === '' ? 'the top level' : `key \`${key}\``} as JSON; cache plain data (or configure another serializer)`,
    );
  }
  if (t === 'bigint') {
    throw new SerializationError(
      `Cannot serialize a bigint at ${key === '' ? 'the top level' : `key \`${key}\``} as JSON; convert it to a string or use the msgpack serializer`,
    );
  }
  return value;
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
  deserialize(bytes: Uint8Array): unknown {
    try {
      const text = decoder.decode(bytes);
      return text.includes('"__proto__"') ? JSON.parse(text, dropPrototypeKeys) : JSON.parse(text);
    } catch (err) {
      throw new DeserializationError(`Stored bytes are not valid JSON: ${(err as Error).message}`, err);
    }
  },
});

/** Checks the shape of a user-supplied serializer. */
export function isSerializer(value: unknown): value is Serializer {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Serializer).serialize === 'function' &&
    typeof (value as Serializer).deserialize === 'function'
  );
}
