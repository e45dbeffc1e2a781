import { InvalidOptionError } from '../errors.js';

/** The largest TTL a timer or a Redis PX accepts: 2^31 - 1 ms (about 24.8 days). */
export const MAX_TTL_MS = 2 ** 31 - 1;

/** Renders a received value for an error message: `-1` (number), `"x"` (string). */
export function describe(value: unknown): string {
  if (typeof value === 'string')
    return `${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)} (string)`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  if (typeof value === 'symbol') return `${String(value)} (symbol)`;
  if (typeof value === 'function') return 'a function';
  if (value === null) return '`null`';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `\`${String(value)}\` (${typeof value})`;
}

function fail(name: string, expected: string, got: unknown): never {
  throw new InvalidOptionError(`Expected \`${name}\` to be ${expected}, got ${describe(got)}`);
}

/**
 * Validates a duration in ms: a finite number in (0, 2^31). `Infinity` is accepted only when
 * `allowInfinity` (meaning "no expiry").
 */
export function assertTtl(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail(name, 'a number of milliseconds', value);
  if (value === Number.POSITIVE_INFINITY && allowInfinity) return value;
  if (!Number.isFinite(value) || value <= 0 || value > MAX_TTL_MS) {
    fail(
      name,
      `a positive number of milliseconds no larger than ${MAX_TTL_MS}${allowInfinity ? ' (or Infinity for no expiry)' : ''}`,
      value,
    );
  }
  return value;
}

/**
 * Validates a duration that may be zero (a grace window, a timeout that is off). `Infinity` is accepted
 * only when `allowInfinity` (a window that never closes); timers would turn it into 1 ms.
 */
export function assertNonNegativeMs(name: string, value: unknown, allowInfinity = false): number {
  if (typeof value !== 'number' || Number.isNaN(value)) fail(name, 'a number of milliseconds', value);
  if (value === Number.POSITIVE_INFINITY && allowInfinity) return value;
  if (value < 0 || value > MAX_TTL_MS) {
    const or = allowInfinity ? ' (or Infinity)' : '';
    fail(name, `a number of milliseconds between 0 and ${MAX_TTL_MS}${or}`, value);
  }
  return value;
}

/** Validates a positive integer (a count, a capacity). */
export function assertPositiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    fail(name, 'a positive integer', value);
  }
  return value;
}

/** Validates a boolean flag. */
export function assertBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(name, 'a boolean', value);
  return value;
}

/** Validates a fraction in [min, max]. */
export function assertFraction(name: string, value: unknown, min = 0, max = 1): number {
  if (typeof value !== 'number' || Number.isNaN(value))
    fail(name, `a number between ${min} and ${max}`, value);
  if (value < min || value > max) fail(name, `a number between ${min} and ${max}`, value);
  return value;
}

/** Rejects option objects with unknown keys, so a typo (`tll`) is an error instead of a silent default. */
export function assertKnownKeys(name: string, value: object, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new InvalidOptionError(`Unknown option \`${name}.${key}\`; expected one of ${known.join(', ')}`);
    }
  }
}

/** Whether `s` has no lone surrogate (`String.prototype.isWellFormed`, Node 20+, not yet in the ES2023 lib). */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}
