/**
 * The load coordinator: one loader run per key per process (flights), callers that wait for it under
 * soft/hard timeouts, fail-safe on errors, background refreshes with backoff, and cached errors.
 */
import { performance } from 'node:perf_hooks';
import {
  type CallPolicy,
  type Core,
  emitError,
  emitStale,
  noop,
  stamp,
  toError,
  track,
} from '../core/core.js';
import { copied, newEntry, setL1 } from '../core/entries.js';
import type { Loader } from '../core/events.js';
import { write } from '../core/write-path.js';
import { LoaderTimeoutError } from '../errors.js';
import type { Entry } from '../internal/entry.js';
import type { Lease } from '../stores/lock.js';
import { TRACE, traceContext, traced } from '../tracing/channels.js';
import { type ClockTimer, runAfter } from '../ttl/clock.js';
import { failSafeExpiry, withinGrace } from '../ttl/freshness.js';
import { shouldRefreshEarly } from './early-refresh.js';
import { keepLease, leaseOrValue, releaseLease } from './lease.js';
import { abortLoad, createLoad, type Load, signalOf } from './load.js';

/** At most this many loader errors are kept by `errorTtl`; expired ones go first, then the oldest. */
export const MAX_CACHED_ERRORS = 1_000;
/** Keys whose refresh failed are remembered up to this many (then all are forgotten at once). */
const MAX_BACKOFF_KEYS = 10_000;

/** Joins or starts the load of `lk` and applies soft/hard timeouts and fail-safe for this caller. */
export async function awaitLoad<T>(
  c: Core,
  key: string,
  lk: string,
  loader: Loader<T>,
  policy: CallPolicy,
  stale: Entry | undefined,
): Promise<T> {
  // Joining a load that started before one of the caller's tags was invalidated would hand out the
  // pre-invalidation value, and one of another version another version's value: start a new load
  // instead (the old one still answers its own callers but no longer writes).
  const running = c.flights.meta(lk);
  if (
    running !== undefined &&
    (running.version !== policy.meta.version ||
      (policy.meta.tags !== undefined && c.tags.invalidated(policy.meta.tags, running.startedAt)))
  ) {
    supersede(c, lk);
  }
  const [flight, joined] = c.flights.run(
    lk,
    (load) => loadAndStore(c, key, lk, loader, policy, stale, load),
    createLoad(stamp(c), policy.meta.version),
  );
  if (joined) c.stats.coalesced++;
  else flight.catch(noop);
  const { soft, hard } = policy.timeouts;
  if (soft === undefined && hard === undefined) {
    try {
      return (await flight) as T;
    } catch (err) {
      return failSafe(c, lk, err, stale);
    }
  }
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const timers: ClockTimer[] = [];
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      for (const t of timers) t.cancel();
      fn();
    };
    const failSafeOr = (err: unknown): void => {
      try {
        resolve(failSafe(c, lk, err, stale));
      } catch (e) {
        reject(e);
      }
    };
    flight.then(
      (v) => finish(() => resolve(v as T)),
      (err: unknown) => finish(() => failSafeOr(err)),
    );
    if (soft !== undefined && stale !== undefined && withinGrace(stale, c.o.clock.now())) {
      timers.push(
        runAfter(c.o.clock, soft, () =>
          finish(() => {
            c.stats.staleSoftTimeout++;
            emitStale(c, lk, 'soft-timeout');
            resolve(stale.value as T);
          }),
        ),
      );
    }
    if (hard !== undefined) {
      timers.push(
        runAfter(c.o.clock, hard, () =>
          finish(() => {
            c.stats.loadTimeouts++;
            const err = new LoaderTimeoutError(key, hard);
            abortFlight(c, lk, err);
            failSafeOr(err);
          }),
        ),
      );
    }
  });
}

/** Serves a graced stale value after a loader failure (and throttles retries), or rethrows. */
function failSafe<T>(c: Core, lk: string, err: unknown, stale: Entry | undefined): T {
  const now = c.o.clock.now();
  if (stale === undefined || !withinGrace(stale, now)) throw err;
  if (stale.tags !== undefined && c.tags.invalidated(stale.tags, stale.createdAt)) throw err;
  c.stats.staleFailSafe++;
  emitStale(c, lk, 'fail-safe');
  stale.expiresAt = failSafeExpiry(stale, now, c.o.graceBackoff);
  setL1(c, lk, stale);
  return stale.value as T;
}

/** Aborts the load of `lk` (hard timeout): its result is dropped and later callers start a new one. */
function abortFlight(c: Core, lk: string, reason: Error): void {
  const load = c.flights.detach(lk);
  if (load !== undefined) abortLoad(load, reason);
}

/** Makes the running load of `lk` (if any) unjoinable and its result unwritten: the key just changed. */
export function supersede(c: Core, lk: string): void {
  const load = c.flights.detach(lk);
  if (load !== undefined) load.superseded = true;
}

/** Runs the loader once (under the distributed lease when configured) and writes the result. */
async function loadAndStore<T>(
  c: Core,
  key: string,
  lk: string,
  loader: Loader<T>,
  policy: CallPolicy,
  stale: Entry | undefined,
  load: Load,
): Promise<T> {
  let lease: Lease | undefined;
  if (c.lock !== undefined) {
    const got = await leaseOrValue(c, lk, policy.meta.version, stale);
    if ('entry' in got) return got.entry.value as T;
    lease = got.lease;
  }
  const clockStart = c.o.clock.now();
  const t0 = performance.now();
  c.stats.loadCalls++;
  const kept = lease === undefined ? undefined : keepLease(c, lease);
  let value: T;
  try {
    const context = {
      key,
      stale: stale === undefined ? undefined : copied(c, stale.value as T),
      get signal() {
        return signalOf(load);
      },
    };
    value = await (TRACE.load.hasSubscribers
      ? traced(TRACE.load, traceContext('load', [key], undefined), () => loader(context), false)
      : loader(context));
  } catch (err) {
    c.stats.loadErrors++;
    if (c.events.listening.load)
      c.events.emit('load', { key: lk, durationMs: performance.now() - t0, error: err });
    if (policy.errorTtl > 0) cacheError(c.cachedErrors, lk, err, c.o.clock.now(), policy.errorTtl);
    if (lease !== undefined) releaseLease(c, lease);
    throw err;
  } finally {
    kept?.cancel();
  }
  const elapsed = performance.now() - t0;
  c.stats.loadLatency.record(elapsed);
  if (c.events.listening.load) c.events.emit('load', { key: lk, durationMs: elapsed });
  // δ for XFetch is measured on the cache's clock, so an injected clock drives early refresh in tests.
  const delta = c.o.clock.now() - clockStart;
  if (value === undefined || load.aborted !== undefined || load.superseded) {
    if (lease !== undefined) releaseLease(c, lease);
    return value;
  }
  // With `l1.clone` the entry holds a copy: the loader may keep and change what it returned.
  const own = copied(c, value);
  await write(c, lk, newEntry(c, own, policy.write, load.startedAt, delta, policy.meta), lease, true);
  return value;
}

/** Refreshes a fresh entry early when XFetch says so (probability rising as its expiry nears). */
export function maybeRefreshEarly<T>(
  c: Core,
  key: string,
  lk: string,
  e: Entry,
  now: number,
  beta: number,
  loader: Loader<T>,
  policy: CallPolicy,
): void {
  if (!shouldRefreshEarly(now, e.expiresAt, e.delta, beta, c.o.random)) return;
  refresh(c, key, lk, loader, policy, e, 'early');
}

/** Starts a background load of `lk` unless one is in flight; its errors are counted, never thrown. */
export function refresh<T>(
  c: Core,
  key: string,
  lk: string,
  loader: Loader<T>,
  policy: CallPolicy,
  current: Entry,
  reason: 'early' | 'swr',
): void {
  if (c.flights.get(lk) !== undefined || c.closed) return;
  const now = c.o.clock.now();
  const retryAt = c.refreshBackoff.get(lk);
  if (retryAt !== undefined && retryAt > now) return;
  c.stats.refreshes++;
  if (c.events.listening.refresh) c.events.emit('refresh', { key: lk, reason });
  const [flight] = c.flights.run(
    lk,
    (load) => loadAndStore(c, key, lk, loader, policy, current, load),
    createLoad(stamp(c), policy.meta.version),
  );
  track(
    c,
    flight.then(
      () => c.refreshBackoff.delete(lk),
      (err: unknown) => {
        // A failing source is retried at most every `graceBackoff`, not on every read of the stale value.
        if (c.refreshBackoff.size >= MAX_BACKOFF_KEYS) c.refreshBackoff.clear();
        c.refreshBackoff.set(lk, c.o.clock.now() + c.o.graceBackoff);
        emitError(c.events, toError(err), `refresh:${reason}`, lk);
      },
    ),
  );
}

/** The error cached for `lk` by `errorTtl`, if it has not expired (an expired one is dropped). */
export function cachedError(c: Core, lk: string, now: number): { error: unknown } | undefined {
  const cached = c.cachedErrors.get(lk);
  if (cached === undefined) return undefined;
  if (cached.until > now) return cached;
  c.cachedErrors.delete(lk);
  return undefined;
}

function cacheError(
  errors: Core['cachedErrors'],
  lk: string,
  error: unknown,
  now: number,
  ttl: number,
): void {
  errors.delete(lk);
  if (errors.size >= MAX_CACHED_ERRORS) {
    for (const [k, e] of errors) if (e.until <= now) errors.delete(k);
    for (const k of errors.keys()) {
      if (errors.size < MAX_CACHED_ERRORS) break;
      errors.delete(k);
    }
  }
  errors.set(lk, { error, until: now + ttl });
}

/** Aborts every running load (the cache is closing) and forgets them. */
export function abortAll(c: Core, reason: Error): void {
  for (const load of c.flights.detachAll()) abortLoad(load, reason);
}

/** Marks every running load superseded (the cache was cleared) and forgets them. */
export function supersedeAll(c: Core): void {
  for (const load of c.flights.detachAll()) load.superseded = true;
}
