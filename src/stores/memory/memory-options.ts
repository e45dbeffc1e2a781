import { InvalidOptionError } from '../../errors.js';
import { assertKnownKeys, assertPositiveInt, describe } from '../../internal/asserts.js';
import { type Clock, systemClock } from '../../ttl/clock.js';

/** Why an entry left the memory tier without a `delete()`. */
export type EvictionReason = 'capacity' | 'expired';

/** How the memory tier chooses what to evict when it is full. */
export type EvictionPolicy = 'tinylfu' | 'lru';

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions<V = unknown> {
  /**
   * Most entries held at once; `Infinity` leaves only `maxBytes` as the bound (with neither bound the
   * store warns once with code `STRATACACHE_UNBOUNDED`).
   * @default 10_000
   */
  maxEntries?: number;
  /** Most bytes held at once, as measured by `sizeOf`. @default unbounded */
  maxBytes?: number;
  /** Largest single entry in bytes; a larger `set` throws {@link ValueTooLargeError}. @default maxBytes */
  maxEntryBytes?: number;
  /** Size of a value in bytes. @default `estimateSize` (2 bytes per string unit, 8 per number, ...) */
  sizeOf?: (value: V, key: string) => number;
  /**
   * Called for each entry evicted for capacity or found expired, once the operation that removed it has
   * finished (so the listener may use the store).
   */
  onEvict?: (key: string, value: V, reason: EvictionReason) => void;
  /** Time source. @default Date.now */
  clock?: Clock;
  /**
   * Eviction policy: adaptive W-TinyLFU (admission by recent frequency, higher hit ratio on skewed and
   * scan-polluted workloads) or plain LRU.
   * @default 'tinylfu'
   */
  policy?: EvictionPolicy;
  /**
   * Uniform random numbers in [0, 1), used for the key-hash seed and the rare random admission of hot
   * candidates that defeats hash flooding; inject a seeded source to make tests deterministic.
   * @default Math.random
   */
  random?: () => number;
}

/** A read-only view of the adaptive policy's state, for tests and metrics. */
export interface MemoryStorePolicyState {
  /** Target size of the admission window (entries). */
  windowMax: number;
  /** Target size of the protected segment of the main space (entries). */
  protectedMax: number;
  /** Entries currently in the window, probation and protected segments. */
  window: number;
  probation: number;
  protected: number;
}

const KNOWN = [
  'maxEntries',
  'maxBytes',
  'maxEntryBytes',
  'sizeOf',
  'onEvict',
  'clock',
  'policy',
  'random',
] as const;

/** {@link MemoryStoreOptions} checked, with defaults filled in (bounds as numbers, `Infinity` for none). */
export interface ResolvedMemoryStoreOptions<V> {
  maxEntries: number;
  maxBytes: number;
  maxEntryBytes: number;
  sizeOf: ((value: V, key: string) => number) | undefined;
  onEvict: ((key: string, value: V, reason: EvictionReason) => void) | undefined;
  clock: Clock;
  policy: EvictionPolicy;
  random: () => number;
}

let warnedUnbounded = false;

/**
 * Checks the options of a `MemoryStore` and fills in defaults.
 * @throws {InvalidOptionError} on an unknown key or a value of the wrong type or range.
 */
export function resolveOptions<V>(options: MemoryStoreOptions<V>): ResolvedMemoryStoreOptions<V> {
  assertKnownKeys('MemoryStore options', options, KNOWN);
  const {
    maxEntries = 10_000,
    maxBytes,
    maxEntryBytes,
    sizeOf,
    onEvict,
    clock = systemClock,
    policy = 'tinylfu',
    random = Math.random,
  } = options;
  const entriesBound = assertBound('maxEntries', maxEntries);
  const bytesBound = maxBytes === undefined ? Number.POSITIVE_INFINITY : assertBound('maxBytes', maxBytes);
  const entryBytesBound =
    maxEntryBytes === undefined ? bytesBound : assertPositiveInt('maxEntryBytes', maxEntryBytes);
  if (entryBytesBound > bytesBound) {
    throw new InvalidOptionError(
      `Expected \`maxEntryBytes\` to be at most \`maxBytes\` (${bytesBound}), got ${describe(maxEntryBytes)}`,
    );
  }
  assertFunction('sizeOf', sizeOf);
  assertFunction('onEvict', onEvict);
  assertFunction('random', random);
  if (typeof clock !== 'object' || clock === null || typeof clock.now !== 'function') {
    throw new InvalidOptionError(
      `Expected \`clock\` to be an object with a now() method, got ${describe(clock)}`,
    );
  }
  if (policy !== 'tinylfu' && policy !== 'lru') {
    throw new InvalidOptionError(`Expected \`policy\` to be 'tinylfu' or 'lru', got ${describe(policy)}`);
  }
  if (entriesBound === Number.POSITIVE_INFINITY && bytesBound === Number.POSITIVE_INFINITY) {
    warnUnbounded();
  }
  return {
    maxEntries: entriesBound,
    maxBytes: bytesBound,
    maxEntryBytes: entryBytesBound,
    sizeOf,
    onEvict,
    clock,
    policy,
    random,
  };
}

function assertBound(name: string, value: unknown): number {
  if (value === Number.POSITIVE_INFINITY) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionError(
      `Expected \`${name}\` to be a positive integer or Infinity, got ${describe(value)}`,
    );
  }
  return value;
}

function assertFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidOptionError(`Expected \`${name}\` to be a function, got ${describe(value)}`);
  }
}

function warnUnbounded(): void {
  if (warnedUnbounded) return;
  warnedUnbounded = true;
  process.emitWarning(
    'MemoryStore has neither maxEntries nor maxBytes; it can grow until the process runs out of memory',
    { code: 'STRATACACHE_UNBOUNDED', type: 'StratacacheWarning' },
  );
}
