/**
 * Typed errors of stratacache.
 *
 * Every error carries a stable `code` so callers can recognise it even when two copies of the package are
 * installed (compare `err.code`, or use {@link isCacheError}, rather than `instanceof`).
 */

/** The stable codes of every {@link CacheError}. */
export type CacheErrorCode =
  | 'ERR_CACHE'
  | 'ERR_CACHE_INVALID_KEY'
  | 'ERR_CACHE_INVALID_OPTION'
  | 'ERR_CACHE_SERIALIZE'
  | 'ERR_CACHE_DESERIALIZE'
  | 'ERR_CACHE_LOADER_TIMEOUT'
  | 'ERR_CACHE_STORE'
  | 'ERR_CACHE_STORE_TIMEOUT'
  | 'ERR_CACHE_STORE_REPLY'
  | 'ERR_CACHE_STORE_NOT_READY'
  | 'ERR_CACHE_CIRCUIT_OPEN'
  | 'ERR_CACHE_VALUE_TOO_LARGE'
  | 'ERR_CACHE_CLOSED'
  | 'ERR_CACHE_PROTOCOL';

const BRAND = Symbol.for('stratacache.error');

/** Base class of every error this library throws on purpose. */
export class CacheError extends Error {
  readonly code: CacheErrorCode;
  readonly [BRAND] = true;

  constructor(message: string, options?: { cause?: unknown; code?: CacheErrorCode }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options?.code ?? 'ERR_CACHE';
  }
}

/** A key that is empty, not a string, or longer than the documented limit. */
export class InvalidKeyError extends CacheError {
  constructor(message: string) {
    super(message, { code: 'ERR_CACHE_INVALID_KEY' });
  }
}

/**
 * An option or per-call argument with an unusable value (a wrong type or an out-of-range number).
 * It is not `instanceof TypeError`/`RangeError`: it extends {@link CacheError}, and a class has one
 * parent; match on `code === 'ERR_CACHE_INVALID_OPTION'` instead.
 */
export class InvalidOptionError extends CacheError {
  constructor(message: string) {
    super(message, { code: 'ERR_CACHE_INVALID_OPTION' });
  }
}

/** A value the serializer cannot encode (functions, symbols, cycles, BigInt with JSON, ...). */
export class SerializationError extends CacheError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, code: 'ERR_CACHE_SERIALIZE' });
  }
}

/** Stored bytes that cannot be decoded; the cache treats them as a miss. */
export class DeserializationError extends CacheError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, code: 'ERR_CACHE_DESERIALIZE' });
  }
}

/** The loader passed its hard timeout and no stale value could be served. */
export class LoaderTimeoutError extends CacheError {
  readonly key: string;
  readonly timeoutMs: number;
  constructor(key: string, timeoutMs: number) {
    super(`Loader for key \`${key}\` did not settle within the hard timeout of ${timeoutMs} ms`, {
      code: 'ERR_CACHE_LOADER_TIMEOUT',
    });
    this.key = key;
    this.timeoutMs = timeoutMs;
  }
}

/** A remote store failed (connection lost, server error, garbage reply). */
export class StoreError extends CacheError {
  constructor(message: string, options?: { cause?: unknown; code?: CacheErrorCode }) {
    super(message, { cause: options?.cause, code: options?.code ?? 'ERR_CACHE_STORE' });
  }
}

/**
 * The server answered a command with an error about the command or its data (`WRONGTYPE`, a script
 * error): the connection is healthy, so it does not count against the circuit breaker. Replies that
 * say the server cannot serve (`READONLY` from a demoted master, `LOADING`, `CLUSTERDOWN`, …) are plain
 * `StoreError`s and do.
 */
export class StoreReplyError extends StoreError {
  constructor(message: string, cause?: unknown) {
    super(message, { cause, code: 'ERR_CACHE_STORE_REPLY' });
  }
}

/** A remote store did not answer within the per-operation timeout. */
export class StoreTimeoutError extends StoreError {
  /** `cause`: the store's last connection error, when it is not connected (then named in the message). */
  constructor(operation: string, timeoutMs: number, cause?: StoreError) {
    super(
      `Store operation \`${operation}\` did not answer within ${timeoutMs} ms` +
        (cause === undefined ? '' : `; not connected: ${cause.message}`),
      { code: 'ERR_CACHE_STORE_TIMEOUT', cause },
    );
  }
}

/** The circuit breaker of a store is open: the call was not attempted. */
export class CircuitOpenError extends StoreError {
  constructor(store: string) {
    super(`Circuit breaker of store \`${store}\` is open; call not attempted`, {
      code: 'ERR_CACHE_CIRCUIT_OPEN',
    });
  }
}

/** A value larger than a tier accepts (an L1 `maxEntryBytes`, memcached's item size limit). */
export class ValueTooLargeError extends CacheError {
  constructor(message: string) {
    super(message, { code: 'ERR_CACHE_VALUE_TOO_LARGE' });
  }
}

/** An operation on a cache or store after `close()`. */
export class ClosedError extends CacheError {
  constructor(what: string) {
    super(`${what} is closed`, { code: 'ERR_CACHE_CLOSED' });
  }
}

/** A server sent bytes that do not follow its protocol. */
export class ProtocolError extends StoreError {
  constructor(message: string) {
    super(message, { code: 'ERR_CACHE_PROTOCOL' });
  }
}

/** True for any stratacache error, also one thrown by another installed copy of the package. */
export function isCacheError(err: unknown): err is CacheError {
  return typeof err === 'object' && err !== null && (err as Record<symbol, unknown>)[BRAND] === true;
}

/** Every error class by name, for `instanceof` checks and docs. */
export const errors = Object.freeze({
  CacheError,
  InvalidKeyError,
  InvalidOptionError,
  SerializationError,
  DeserializationError,
  LoaderTimeoutError,
  StoreError,
  StoreReplyError,
  StoreTimeoutError,
  CircuitOpenError,
  ValueTooLargeError,
  ClosedError,
  ProtocolError,
});
