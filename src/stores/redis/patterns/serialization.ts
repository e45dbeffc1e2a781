import { DeserializationError, isCacheError, SerializationError } from '../../../errors.js';

/**
 * Turns values into the strings Redis stores and back.
 *
 * `encode` throws for a value it cannot represent faithfully; `decode` throws for bytes it cannot read.
 * The patterns wrap those throws into `SerializationError` / `DeserializationError`.
 */
export interface Codec<T> {
  encode(value: T): string;
  decode(raw: string): T;
}

function rejectLossy(_key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'function':
    case 'symbol':
    case 'bigint':
      throw new TypeError(`a ${typeof value} cannot be represented in JSON`);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be represented in JSON`);
      return value;
    default:
      return value;
  }
}

function dropProto(key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

/**
 * JSON, strict both ways: functions, symbols, BigInts, non-finite numbers, cycles and a top-level
 * `undefined` are rejected instead of silently dropped or turned into `null`; `__proto__` keys in stored
 * JSON are dropped on decode (no prototype pollution when the result is merged into other objects).
 * Object properties whose value is `undefined` are omitted, as `JSON.stringify` does.
 */
export const jsonCodec: Codec<unknown> = Object.freeze({
  encode(value: unknown): string {
    const text = JSON.stringify(value, rejectLossy);
    if (text === undefined) throw new TypeError(`${describeTop(value)} cannot be represented in JSON`);
    return text;
  },
  decode(raw: string): unknown {
    return raw.includes('"__proto__"') ? JSON.parse(raw, dropProto) : JSON.parse(raw);
  },
});

/** Strings stored as they are (no quotes); decoding never fails. */
export const stringCodec: Codec<string> = Object.freeze({
  encode(value: string): string {
    if (typeof value !== 'string') throw new TypeError(`expected a string, got a ${typeof value}`);
    return value;
  },
  decode: (raw: string): string => raw,
});

/**
 * Finite numbers stored as Redis numbers (so HINCRBYFLOAT, INCRBY or Lua can work on them too); decoding
 * anything that is not a number fails.
 */
export const numberCodec: Codec<number> = Object.freeze({
  encode(value: number): string {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new TypeError(
        `expected a finite number, got ${typeof value === 'number' ? value : typeof value}`,
      );
    }
    return String(value);
  },
  decode(raw: string): number {
    const n = raw.trim() === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(n)) throw new TypeError(`${JSON.stringify(raw.slice(0, 40))} is not a number`);
    return n;
  },
});

function describeTop(value: unknown): string {
  return value === undefined ? '`undefined`' : `a ${typeof value}`;
}

/** Encodes with `codec`, turning any throw into a {@link SerializationError} that names `what`. */
export function encodeWith<T>(codec: Codec<T>, value: T, what: string): string {
  let raw: unknown;
  try {
    raw = codec.encode(value);
  } catch (err) {
    if (isCacheError(err)) throw err;
    throw new SerializationError(`Cannot serialize ${what}: ${messageOf(err)}`, err);
  }
  if (typeof raw !== 'string') {
    throw new SerializationError(
      `Cannot serialize ${what}: the codec returned a ${typeof raw}, not a string`,
    );
  }
  return raw;
}

/** Decodes with `codec`, turning any throw into a {@link DeserializationError} that names `what`. */
export function decodeWith<T>(codec: Codec<T>, raw: string, what: string): T {
  try {
    return codec.decode(raw);
  } catch (err) {
    if (isCacheError(err)) throw err;
    throw new DeserializationError(`Cannot decode ${what}: ${messageOf(err)}`, err);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Validates a `codec` option. */
export function assertCodec<T>(name: string, value: unknown): Codec<T> {
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Codec<T>).encode !== 'function' ||
    typeof (value as Codec<T>).decode !== 'function'
  ) {
    throw new TypeError(`Expected \`${name}\` to be a codec with encode() and decode() functions`);
  }
  return value as Codec<T>;
}
