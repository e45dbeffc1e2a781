/**
 * The distributed lease around a load (`stampede: { distributed: true }`): take it or wait for the
 * holder's value, keep it while the loader runs, release it when the load gives up. Losing the lease is
 * harmless: the commit that follows is fenced.
 */
import { type Core, emitStale, noop, track } from '../core/core.js';
import { fetchL2 } from '../core/read-path.js';
import type { Entry } from '../internal/entry.js';
import type { Lease } from '../stores/lock.js';
import { type ClockTimer, runEvery } from '../ttl/clock.js';
import { FRESH } from '../ttl/freshness.js';

const LOCK_FAILED = Symbol('lock-failed');

/** Takes the distributed lease, or waits for the holder's value; falls back to loading without a lease. */
export async function leaseOrValue(
  c: Core,
  lk: string,
  version: string | undefined,
  stale: Entry | undefined,
): Promise<{ lease: Lease | undefined } | { entry: Entry }> {
  const lock = c.lock!;
  const l2 = c.l2!;
  const fk = c.o.prefix + lk;
  const { lease: leaseMs, wait, poll, onWaitTimeout } = c.o.stampede;
  const deadline = c.o.clock.now() + wait;
  let waited = false;
  for (;;) {
    // A timed-out acquire may have been granted: wait for the value like any other waiter rather than
    // load beside a lease that may exist. A failing lock (refused, circuit open) means load without it.
    const lease = await l2.call<Lease | undefined | typeof LOCK_FAILED>(
      'lock.acquire',
      LOCK_FAILED,
      () => lock.acquire(fk, leaseMs),
      undefined,
      undefined,
    );
    if (lease === LOCK_FAILED) return { lease: undefined };
    if (lease !== undefined) {
      // The previous holder may have committed between our last read and this grant: check again.
      const committed = await fetchL2(c, lk, version);
      if (committed === undefined || committed.state !== FRESH) return { lease };
      releaseLease(c, lease);
      return { entry: committed.entry };
    }
    if (!waited) {
      waited = true;
      c.stats.lockWaits++;
    }
    const remaining = deadline - c.o.clock.now();
    if (remaining <= 0) break;
    await lock.wait(fk, Math.min(remaining, poll)).catch(noop);
    const found = await fetchL2(c, lk, version);
    if (found !== undefined && found.state === FRESH) return { entry: found.entry };
  }
  if (onWaitTimeout === 'stale-or-load' && stale !== undefined) {
    c.stats.staleLockWait++;
    emitStale(c, lk, 'lock-wait');
    return { entry: stale };
  }
  return { lease: undefined };
}

/**
 * Extends a held lease every half lease while the loader runs, so a load slower than the lease does not
 * let another process start the same load.
 */
export function keepLease(c: Core, lease: Lease): ClockTimer {
  const leaseMs = c.o.stampede.lease;
  return runEvery(
    c.o.clock,
    leaseMs / 2,
    () =>
      track(
        c,
        c.l2!.call('lock.extend', false, () => c.lock!.extend(lease, leaseMs)),
      ),
    true,
  );
}

export function releaseLease(c: Core, lease: Lease): void {
  track(
    c,
    c.l2!.call('lock.release', undefined, () => c.lock!.release(lease)),
  );
}
