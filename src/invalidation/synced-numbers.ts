import type { RemoteTier } from '../tier/remote-tier.js';
import type { Clock } from '../ttl/clock.js';

interface Slot {
  value: number;
  fetchedAt: number;
  /** The trust epoch the value was confirmed in; a bus reset starts a new epoch (see `untrustAll`). */
  epoch: number;
  /**
   * A bump (`increment`) made while L2 was unreachable: L2 never counted it, and another instance may have
   * reached the same number by a bump of its own, so the next sync bumps L2 once more.
   */
  owed?: boolean;
}

/** A bump L2 could not count moves the number by a random jump in [2^20, 2^30) (see `increment`). */
const OWED_JUMP_MIN = 2 ** 20;
const OWED_JUMP_SPAN = 2 ** 30 - 2 ** 20;

/** The epoch of a number L2 never confirmed: never the current one, so its first use reads L2. */
const UNTRUSTED = -1;

/** Tag times tracked per cache before the lowest are evicted (~110 B of heap per tag, bench tag-memory). */
export const MAX_TRACKED_TAGS = 50_000;

/** How the numbers of names no longer tracked are stood in for. */
export type Untracked =
  /**
   * Timestamps compared with `>=` (tag times): an untracked name reads as the highest evicted number (a
   * floor), so an entry older than any evicted time is judged as if its tag had been invalidated then.
   */
  | 'floor'
  /** Counters that have no safe stand-in (namespace generations): never evicted. */
  | 'keep';

/**
 * Numbers shared by every instance through L2 (tag invalidation times, namespace generations), cached
 * locally. A cached number is trusted for `syncInterval` ms (forever while a bus delivers updates, until
 * the bus resets), then re-read; without an L2 that can hold numbers, they are local to the process.
 * A re-read never moves a number backwards: the cached value is a floor.
 */
export class SyncedNumbers {
  readonly #local = new Map<string, Slot>();
  readonly #remote: RemoteTier | undefined;
  readonly #keyPrefix: string;
  readonly #clock: Clock;
  readonly #syncInterval: number;
  readonly #cap: number;
  #trustForever = false;
  #epoch = 0;
  /** The highest number evicted so far (0 until the first eviction). */
  #floor = 0;
  #pending: Promise<boolean> | undefined;
  readonly #want = new Set<string>();

  constructor(
    remote: RemoteTier | undefined,
    keyPrefix: string,
    clock: Clock,
    syncInterval: number,
    untracked: Untracked = 'keep',
    cap = MAX_TRACKED_TAGS,
  ) {
    const s = remote?.store;
    this.#remote =
      s?.getNumbers !== undefined && s.setMax !== undefined && s.incr !== undefined ? remote : undefined;
    this.#keyPrefix = keyPrefix;
    this.#clock = clock;
    this.#syncInterval = syncInterval;
    this.#cap = untracked === 'floor' ? cap : Number.POSITIVE_INFINITY;
  }

  /** While a bus is connected, cached numbers stay valid until a message or a reset changes them. */
  set trustForever(on: boolean) {
    this.#trustForever = on;
  }

  get shared(): boolean {
    return this.#remote !== undefined;
  }

  /** Names tracked now (bounded by the cap). */
  get size(): number {
    return this.#local.size;
  }

  /** The stand-in for untracked names: the highest number evicted so far. */
  get floor(): number {
    return this.#floor;
  }

  /** The cached number (the floor if untracked); synchronous, for hot paths. */
  peek(name: string): number {
    return this.#local.get(name)?.value ?? this.#floor;
  }

  /** True when every name has a cached number that is still trusted (no L2 read needed). */
  fresh(names: readonly string[]): boolean {
    if (this.#remote === undefined) return true;
    const now = this.#clock.now();
    for (const name of names) {
      const slot = this.#local.get(name);
      if (slot === undefined || slot.epoch !== this.#epoch) return false;
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
        // A reset while this read is in flight may hide a change the read cannot see: its answers then
        // count for the old epoch only, so the next use reads again.
        const epoch = this.#epoch;
        const remote = this.#remote!;
        const values = await remote.call('getNumbers', undefined, (s) =>
          s.getNumbers!(batch.map((n) => this.#keyPrefix + n)),
        );
        if (values === undefined) return false;
        const now = this.#clock.now();
        const owed: string[] = [];
        for (const [i, name] of batch.entries()) {
          const stored = values[i] ?? 0;
          const slot = this.#local.get(name);
          if (slot?.owed === true) owed.push(name);
          // L2 holds less than this instance knows: a change it made while L2 was unreachable, or a
          // restart that lost it. Hand it back, so the other instances see it and their bumps go past it.
          else if (slot !== undefined && slot.value > stored) this.#restore(name, slot.value);
          this.#raise(name, stored, now, epoch);
        }
        // Settled before the readers go on: they must not judge by a number another bump may share.
        for (const name of owed) await this.increment(name, true);
        return true;
      });
    }
    return this.#pending;
  }

  /**
   * Records a number L2 or the bus vouched for (a read, a store's reply, another instance's message) and
   * trusts it: numbers only grow, so a message after a reset covers what the cut lost.
   */
  learn(name: string, value: number): void {
    this.#raise(name, value, this.#clock.now(), this.#epoch);
  }

  /** Raises a number to `value` locally and in L2; resolves the stored maximum. */
  async raise(name: string, value: number): Promise<number> {
    if (this.#remote === undefined) {
      this.learn(name, value);
      return this.peek(name);
    }
    this.#note(name, value);
    const stored = await this.#remote.call('setMax', Number.NaN, (s) =>
      s.setMax!(this.#keyPrefix + name, value),
    );
    if (!Number.isNaN(stored)) this.learn(name, stored);
    return this.peek(name);
  }

  /**
   * Adds one locally and in L2 (namespace generation bump); resolves the new number, always above the one
   * this instance knew: L2 may hold less (a bump made during an outage, a restart without persistence),
   * so it is first raised to what this instance knows, then incremented (atomic, so concurrent bumps of
   * several instances still get distinct numbers). When L2 cannot answer, the bump is kept locally and
   * owed to L2 (see `Slot.owed`); `settling` is the sync paying such a debt, which on failure stays owed.
   */
  async increment(name: string, settling = false): Promise<number> {
    const known = this.peek(name);
    if (this.#remote === undefined) {
      this.learn(name, known + 1);
      return known + 1;
    }
    const slot = this.#local.get(name);
    const key = this.#keyPrefix + name;
    const next = await this.#remote.call('incr', Number.NaN, async (s) => {
      if (known > 0) await s.setMax!(key, known);
      return s.incr!(key, 1);
    });
    if (Number.isNaN(next)) {
      if (settling) return this.peek(name);
      // Not known + 1: another instance's bump may reach that number in L2 for a clear this one never
      // heard of, and entries it writes under it would pass for written after this clear. A random jump
      // (2^20 to 2^30) is out of reach of their bumps and of other instances' jumps.
      this.#note(name, known + OWED_JUMP_MIN + Math.floor(Math.random() * OWED_JUMP_SPAN));
      const noted = this.#local.get(name);
      if (noted !== undefined) {
        // Untrusted, so the first use once L2 answers again syncs (and pays the debt) at once, not only
        // when `syncInterval` has passed: another instance may hold the same number for its own clear.
        noted.owed = true;
        noted.epoch = UNTRUSTED;
      }
    } else {
      if (slot !== undefined) slot.owed = false;
      this.learn(name, next);
    }
    return this.peek(name);
  }

  /** Raises `name` in L2 to `value` in the background (a failure leaves it for the next sync). */
  #restore(name: string, value: number): void {
    void this.#remote?.call('setMax', Number.NaN, (s) => s.setMax!(this.#keyPrefix + name, value));
  }

  /**
   * Applies a local change L2 has not confirmed (yet, or at all: an outage): the number rises, its trust
   * does not — L2 may hold a higher one this instance never heard of.
   */
  #note(name: string, value: number): void {
    const slot = this.#local.get(name);
    if (slot === undefined) this.#insert(name, value, 0, UNTRUSTED);
    else if (value > slot.value) slot.value = value;
  }

  /**
   * After a bus reset (messages may have been lost): every cached number must be re-read from L2 before
   * it is trusted again, and is kept as a floor meanwhile — when L2 cannot answer, readers judge by it
   * (the documented outage rule) instead of by nothing. O(1): a new trust epoch.
   */
  untrustAll(): void {
    if (this.#remote !== undefined) this.#epoch++;
  }

  #raise(name: string, value: number, now: number, epoch: number): void {
    const slot = this.#local.get(name);
    if (slot === undefined) this.#insert(name, value, now, epoch);
    else {
      if (value > slot.value) slot.value = value;
      slot.fetchedAt = now;
      slot.epoch = epoch;
    }
  }

  #insert(name: string, value: number, fetchedAt: number, epoch: number): void {
    // Evict before inserting, so the new name is never among the evicted.
    if (this.#local.size >= this.#cap) this.#evict();
    // An untracked name may have been evicted with a number L2 never got (a write during an outage):
    // the floor keeps the answer conservative.
    this.#local.set(name, { value: Math.max(value, this.#floor), fetchedAt, epoch });
  }

  /**
   * Drops the lowest tenth of the numbers in one pass (amortized O(log n) per insert) and raises the floor
   * to the highest dropped: the lowest go first because they raise the floor least (never-invalidated
   * tags, at 0, cost nothing).
   */
  #evict(): void {
    const n = this.#local.size;
    const drop = Math.min(n, Math.max(1, n + 1 - Math.floor(this.#cap * 0.9)));
    const values = new Float64Array(n);
    let i = 0;
    for (const slot of this.#local.values()) values[i++] = slot.value;
    values.sort();
    const threshold = values[drop - 1]!;
    let left = drop;
    for (const [name, slot] of this.#local) {
      if (left === 0) break;
      if (slot.value <= threshold) {
        this.#local.delete(name);
        left--;
      }
    }
    if (threshold > this.#floor) this.#floor = threshold;
  }
}
