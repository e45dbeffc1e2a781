import { DeserializationError, SerializationError } from '../errors.js';
import { isSerializer, type Serializer } from '../serializer/serializer.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Strings stored as their UTF-8 bytes, without JSON quotes (readable by other clients as they are);
 * bytes that are not valid UTF-8 fail to decode.
 */
export const plainStringSerializer: Serializer = Object.freeze({
  name: 'plain-string',
  serialize(value: unknown): Uint8Array {
    if (typeof value !== 'string') throw new TypeError(`expected a string, got a ${typeof value}`);
    return encoder.encode(value);
  },
  deserialize: (bytes: Uint8Array): unknown => decoder.decode(bytes),
});

/**
 * Finite numbers stored as Redis numbers (so HINCRBY, HINCRBYFLOAT or Lua can work on them too); bytes
 * that do not spell a finite number fail to decode.
 */
export const plainNumberSerializer: Serializer = Object.freeze({
  name: 'plain-number',
  serialize(value: unknown): Uint8Array {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(
        `expected a finite number, got ${typeof value === 'number' ? value : `a ${typeof value}`}`,
      );
    }
    return encoder.encode(String(value));
  },
  deserialize(bytes: Uint8Array): unknown {
    const text = decoder.decode(bytes);
    const n = text.trim() === '' ? Number.NaN : Number(text);
    if (!Number.isFinite(n)) throw new TypeError(`${JSON.stringify(text.slice(0, 40))} is not a number`);
    return n;
  },
});

/** Serializes `value` to a Buffer (no copy); any failure becomes a {@link SerializationError} naming `what`. */
export function encodeWith(serializer: Serializer, value: unknown, what: string): Buffer {
  let bytes: unknown;
  try {
    bytes = serializer.serialize(value);
  } catch (err) {
    throw new SerializationError(
      `Cannot serialize ${what} with \`${serializer.name}\`: ${messageOf(err)}`,
      err,
    );
  }
  if (!(bytes instanceof Uint8Array)) {
    throw new SerializationError(`Cannot serialize ${what}: \`${serializer.name}\` did not return bytes`);
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Deserializes stored bytes; any failure becomes a {@link DeserializationError} naming `what`. */
export function decodeWith(serializer: Serializer, bytes: Uint8Array, what: string): unknown {
  try {
    return serializer.deserialize(bytes);
  } catch (err) {
    throw new DeserializationError(
      `Cannot decode ${what} with \`${serializer.name}\`: ${messageOf(err)}`,
      err,
    );
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Validates a `serializer` option. */
export function assertSerializer(name: string, value: unknown): Serializer {
  if (!isSerializer(value)) {
    throw new TypeError(
      `Expected \`${name}\` to be a serializer with serialize() and deserialize() functions`,
    );
  }
  return value;
}
