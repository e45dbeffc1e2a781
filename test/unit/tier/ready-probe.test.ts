import { describe, expect, it } from 'vitest';
import { Cache } from '../../../src/cache.js';
import { StoreError } from '../../../src/errors.js';
import { MapStore } from '../../../src/testing/map-store.js';
import { CircuitBreaker } from '../../../src/tier/circuit-breaker.js';
import { ManualClock } from '../../helpers/clock.js';

const options = { failures: 2, resetMs: 1000 };

/**
 * A store whose connection goes away and comes back like a reconnecting client's: while `offline`, every
 * call rejects at once ("client is offline"); `reconnect()` brings it back and signals `onReady`.
 */
class ReconnectingStore extends MapStore {
  offline = false;
  calls = 0;
  readonly #listeners = new Set<(node: string | undefined) => void>();

  onReady(listener: (node: string | undefined) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  reconnect(): void {
    this.offline = false;
    for (const listener of this.#listeners) listener(undefined);
  }

  #check(): void {
    this.calls++;
    if (this.offline) throw new StoreError('The client is offline');
  }
  override async get(key: string): Promise<Uint8Array | undefined> {
    this.#check();
    return super.get(key);
  }
  override async set(key: string, value: Uint8Array, ttlMs?: number): Promise<void> {
    this.#check();
    return super.set(key, value, ttlMs);
  }
}

async function openBreaker(cache: Cache, store: ReconnectingStore): Promise<void> {
  store.offline = true;
  for (let i = 0; i < options.failures; i++) await cache.get('k');
  expect(cache.stats().l2CircuitOpen).toBe(true);
}

describe('a breaker probes when the store reports a ready connection', () => {
  it('goes half-open at once when the store reconnects, without waiting out resetMs', async () => {
    const clock = new ManualClock();
    const store = new ReconnectingStore({ clock });
    const cache = new Cache({ l2: store, clock, l1: false, circuitBreaker: options });
    await cache.set('k', 'v');
    await openBreaker(cache, store);
    clock.advance(10);
    store.reconnect();
    const calls = store.calls;
    expect(await cache.get('k')).toBe('v');
    expect(store.calls).toBe(calls + 1);
    expect(cache.stats().l2CircuitOpen).toBe(false);
    await cache.close();
  });

  it('a probe that failed before the ready signal does not hold the circuit open for another resetMs', async () => {
    const clock = new ManualClock();
    const store = new ReconnectingStore({ clock });
    const cache = new Cache({ l2: store, clock, l1: false, circuitBreaker: options });
    await cache.set('k', 'v');
    await openBreaker(cache, store);
    // The grid's probe goes out while the client is still reconnecting and fails at once.
    clock.advance(options.resetMs);
    expect(await cache.get('k')).toBeUndefined();
    expect(cache.stats().l2CircuitOpen).toBe(true);
    clock.advance(20);
    store.reconnect();
    expect(await cache.get('k')).toBe('v');
    expect(cache.stats().l2CircuitOpen).toBe(false);
    await cache.close();
  });

  it('lets one probe through per ready signal: a failed one re-arms the full reset time', async () => {
    const clock = new ManualClock();
    const store = new ReconnectingStore({ clock });
    const cache = new Cache({ l2: store, clock, l1: false, circuitBreaker: options });
    await openBreaker(cache, store);
    store.reconnect();
    store.offline = true; // ready, then gone again before the probe
    const calls = store.calls;
    await cache.get('k');
    await cache.get('k');
    expect(store.calls).toBe(calls + 1);
    clock.advance(options.resetMs - 1);
    await cache.get('k');
    expect(store.calls).toBe(calls + 1);
    await cache.close();
  });
});

describe('CircuitBreaker.ready', () => {
  it('leaves a closed circuit closed and counts a probe in flight at the signal as too early', () => {
    const clock = new ManualClock();
    const b = new CircuitBreaker(options, clock);
    b.ready();
    expect(b.open).toBe(false);
    b.failure();
    b.failure();
    clock.advance(options.resetMs);
    expect(b.allow()).toBe(true);
    b.ready(); // the probe is still in flight
    expect(b.allow()).toBe(false);
    b.failure(); // it was sent before the connection was ready
    expect(b.allow()).toBe(true);
    b.failure(); // a probe sent after the signal that fails counts in full
    expect(b.allow()).toBe(false);
    clock.advance(options.resetMs);
    expect(b.allow()).toBe(true);
  });
});
