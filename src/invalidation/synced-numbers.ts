import type { RemoteTier } from '../tier/remote-tier.js';
import type { Clock } from '../ttl/clock.js';

interface Slot {
  value: number;
  fetchedAt: number;
}

/**
 * Numbers shared by every instance through L2 (tag invalidation times, namespace generations), cached
 * locally. A cached number is trusted for `syncInterval` ms (forever while a bus delivers updates), then
 * re-read; without an L2 that can hold numbers, they are local to the process.
 */
export class SyncedNumbers {
  readonly #local = new Map<string, Slot>();
  readonly #remote: RemoteTier | undefined;
  readonly #keyPrefix: string;
  readonly #clock: Clock;
  readonly #syncInterval: number;
  #trustForever = false;
  #pending: Promise<boolean> | undefined;
  readonly #want = new Set<string>();

  constructor(remote: RemoteTier | undefined, keyPrefix: string, clock: Clock, syncInterval: number) {
    const s = remote?.store;
    this.#remote =
      s?.getNumbers !== undefined && s.setMax !== undefined && s.incr !== undefined ? remote : undefined;
    this.#keyPrefix = keyPrefix;
    this.#clock = clock;
    this.#syncInterval = syncInterval;
  }

  /** While a bus is connected, cached numbers stay valid until a message or a reset changes them. */
  set trustForever(on: boolean) {
    this.#trustForever = on;
  }

  get shared(): boolean {
    return this.#remote !== undefined;
  }

  /** The cached number (0 if unknown); synchronous, for hot paths. */
  peek(name: string): number {
    return this.#local.get(name)?.value ?? 0;
  }

  /** True when every name has a cached number that is still trusted (no L2 read needed). */
  fresh(names: readonly string[]): boolean {
    if (this.#remote === undefined) return true;
    const now = this.#clock.now();
    for (const name of names) {
      const slot = this.#local.get(name);
      if (slot === undefined) return false;
      if (!this.#trustForever && now - slot.fetchedAt > this.#syncInterval) return false;
    }
    return true;
  }

  /**
   * Refreshes the given names from L2 (batched with concurrent callers into one read). Resolves whether
   * the read succeeded; on failure the cached numbers stay as they were (and stay stale, so the next use
   * tries once more). One attempt per call, never a retry: callers decide what a failed sync means.
   */
  sync(names: readonly string[]): Promise<boolean> {
    if (this.#remote === undefined) return Promise.resolve(true);
    for (const n of names) this.#want.add(n);
    if (this.#pending === undefined) {
      this.#pending = Promise.resolve().then(async () => {
        const batch = [...this.#want];
        this.#want.clear();
        this.#pending = undefined;
        const remote = this.#remote!;
        const values = await remote.call('getNumbers', undefined, (s) =>
          s.getNumbers!(batch.map((n) => this.#keyPrefix + n)),
        );
        if (values === undefined) return false;
        const now = this.#clock.now();
        for (const [i, name] of batch.entries()) this.#raise(name, values[i] ?? 0, now);
        return true;
      });
    }
    return this.#pending;
  }

  /** Records a number learned from a bus message or a local write. */
  learn(name: string, value: number): void {
    this.#raise(name, value, this.#clock.now());
  }

  /** Raises a number to `value` locally and in L2; resolves the stored maximum. */
  async raise(name: string, value: number): Promise<number> {
    this.learn(name, value);
    if (this.#remote === undefined) return this.peek(name);
    const stored = await this.#remote.call('setMax', value, (s) => s.setMax!(this.#keyPrefix + name, value));
    this.learn(name, stored);
    return this.peek(name);
  }

  /** Adds one locally and in L2 (namespace generation bump); resolves the new number. */
  async increment(name: string): Promise<number> {
    if (this.#remote === undefined) {
      const next = this.peek(name) + 1;
      this.learn(name, next);
      return next;
    }
    const next = await this.#remote.call('incr', this.peek(name) + 1, (s) =>
      s.incr!(this.#keyPrefix + name, 1),
    );
    this.learn(name, next);
    return this.peek(name);
  }

  /** Forgets every cached number (after a bus reset): the next use re-reads L2. */
  forget(): void {
    if (this.#remote !== undefined) this.#local.clear();
  }

  #raise(name: string, value: number, now: number): void {
    const slot = this.#local.get(name);
    if (slot === undefined) this.#local.set(name, { value, fetchedAt: now });
    else {
      if (value > slot.value) slot.value = value;
      slot.fetchedAt = now;
    }
  }
}
