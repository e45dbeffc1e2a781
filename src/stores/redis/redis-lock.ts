import { randomBytes } from 'node:crypto';
import { StoreError } from '../../errors.js';
import { assertTtl } from '../../internal/asserts.js';
import type { DistributedLock, Lease } from '../lock.js';
import { keySlot, tagForSlot } from './cluster-slot.js';
import { ACQUIRE, COMMIT, EXTEND, RELEASE } from './lua-scripts.js';
import type { RedisRunner } from './redis-runner.js';
import { RedisSubscription } from './redis-subscription.js';

interface Waiting {
  readonly wakers: Set<() => void>;
  readonly poll: NodeJS.Timeout;
}

/**
 * The cross-process stampede lease over Redis (`store.createLock(prefix)`): an **efficiency lock**, not
 * mutual exclusion.
 *
 * `acquire` is `SET lock token NX PX lease` plus `HINCRBY` of the key's fence counter in one script, so
 * every grant carries a strictly increasing fencing token. `commit` is one script that writes the value
 * only if no newer fence has written the key, records its fence, deletes the lock if still owned and
 * publishes a wake-up; `release` and `extend` are compare-and-delete / compare-and-pexpire on the owner
 * token. Waiters are woken by that publish, with a per-key poll of the lock every `lockPollMs` as the
 * fallback for a missed message.
 *
 * What it does not promise: a holder that pauses past its lease loses it while still running its loader,
 * so two loaders can run at once (the fence only stops the older one from overwriting the newer value);
 * on a failover the lock may vanish. Use it to save duplicate loads, never to guard side effects.
 *
 * Key layout (`P` the store prefix, `L` the lock prefix, `T` a short tag in the value key's cluster slot):
 * `P L {T}:lock:<key>` (owner token), `P L {T}:fence:<key>` (hash: `g` last granted fence, `w` last written
 * fence; kept `fenceTtlMs`), wake-ups on channel `P L wake` carrying `<key>`.
 */
export class RedisLock implements DistributedLock {
  readonly #runner: RedisRunner;
  readonly #prefix: string;
  readonly #channel: string;
  readonly #waiting = new Map<string, Waiting>();
  readonly #subscription: RedisSubscription;
  #subscribed: Promise<void> | undefined;
  #closed = false;

  constructor(runner: RedisRunner, prefix: string) {
    this.#runner = runner;
    this.#prefix = prefix;
    this.#channel = `${runner.prefix}${prefix}wake`;
    this.#subscription = new RedisSubscription(
      runner,
      this.#channel,
      (key) => this.#wake(key),
      // Wake-ups may have been lost during the cut: let every waiter re-check (they poll anyway).
      () => {
        for (const key of this.#waiting.keys()) void this.#check(key);
      },
    );
  }

  /** The wire keys of the lease on `key`; all three share the value key's cluster slot. */
  #keys(key: string): { lock: string; fence: string; value: string } {
    if (typeof key !== 'string') throw new TypeError(`Expected a key of type string, got ${typeof key}`);
    const value = this.#runner.prefix + key;
    const slot = keySlot(value);
    const tag = `{${tagForSlot(slot)}}`;
    const head = `${this.#runner.prefix}${this.#prefix}`;
    const lock = `${head}${tag}:lock:${key}`;
    // Braces inside the prefixes can move the slot; a leading tag always pins it.
    if (keySlot(lock) === slot) return { lock, fence: `${head}${tag}:fence:${key}`, value };
    return { lock: `${tag}${head}:lock:${key}`, fence: `${tag}${head}:fence:${key}`, value };
  }

  #assertOpen(): void {
    if (this.#closed) throw new StoreError(`lock \`${this.#prefix}\` is closed`);
  }

  async acquire(key: string, leaseMs: number): Promise<Lease | undefined> {
    this.#assertOpen();
    assertTtl('leaseMs', leaseMs);
    const { lock, fence } = this.#keys(key);
    const token = randomBytes(16).toString('base64url');
    const reply = await this.#runner.script(
      'lock.acquire',
      ACQUIRE,
      [lock, fence],
      [token, String(Math.ceil(leaseMs)), String(this.#runner.fenceTtlMs)],
    );
    if (reply === null || reply === undefined) return undefined;
    return Object.freeze({ key, token, fence: Number(reply) });
  }

  async commit(lease: Lease, value: Uint8Array, ttlMs: number | undefined): Promise<boolean> {
    this.#assertOpen();
    if (ttlMs !== undefined && ttlMs !== Number.POSITIVE_INFINITY) assertTtl('ttlMs', ttlMs);
    const { lock, fence, value: valueKey } = this.#keys(lease.key);
    const finite = ttlMs !== undefined && ttlMs !== Number.POSITIVE_INFINITY;
    const bytes = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    const reply = await this.#runner.script(
      'lock.commit',
      COMMIT,
      [lock, fence, valueKey],
      [
        lease.token,
        String(lease.fence),
        bytes,
        finite ? String(Math.ceil(ttlMs)) : '',
        String(Math.max(this.#runner.fenceTtlMs, finite ? Math.ceil(ttlMs) : 0)),
        this.#channel,
        lease.key,
      ],
    );
    return Number(reply) === 1;
  }

  async release(lease: Lease): Promise<void> {
    this.#assertOpen();
    const { lock } = this.#keys(lease.key);
    await this.#runner.script('lock.release', RELEASE, [lock], [lease.token, this.#channel, lease.key]);
  }

  async extend(lease: Lease, leaseMs: number): Promise<boolean> {
    this.#assertOpen();
    assertTtl('leaseMs', leaseMs);
    const { lock } = this.#keys(lease.key);
    const reply = await this.#runner.script(
      'lock.extend',
      EXTEND,
      [lock],
      [lease.token, String(Math.ceil(leaseMs))],
    );
    return Number(reply) === 1;
  }

  /**
   * Resolves when the holder of `key` commits or releases (pub/sub wake-up, or the fallback poll seeing the
   * lock gone), or after `timeoutMs`. Never rejects: when Redis is unreachable it simply waits out the
   * timeout.
   */
  wait(key: string, timeoutMs: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    assertTtl('timeoutMs', timeoutMs);
    return new Promise<void>((resolve) => {
      const waiting = this.#waitingFor(key);
      const done = (): void => {
        clearTimeout(timer);
        this.#unwait(key, done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      waiting.wakers.add(done);
      // Subscribed first, checked second: a commit between the caller's failed acquire and the
      // subscription is then seen by the check, any later one by the message.
      this.#subscribed ??= this.#subscription.start();
      this.#subscribed.then(
        () => this.#check(key),
        () => {
          this.#subscribed = undefined;
        },
      );
    });
  }

  #waitingFor(key: string): Waiting {
    let waiting = this.#waiting.get(key);
    if (waiting === undefined) {
      const poll = setInterval(() => void this.#check(key), this.#runner.lockPollMs);
      poll.unref();
      waiting = { wakers: new Set(), poll };
      this.#waiting.set(key, waiting);
    }
    return waiting;
  }

  #unwait(key: string, waker: () => void): void {
    const waiting = this.#waiting.get(key);
    if (waiting === undefined) return;
    waiting.wakers.delete(waker);
    if (waiting.wakers.size === 0) {
      clearInterval(waiting.poll);
      this.#waiting.delete(key);
    }
  }

  /** Wakes the waiters of `key` if its lock is gone; a failed check is left to the next poll. */
  async #check(key: string): Promise<void> {
    if (!this.#waiting.has(key) || this.#closed) return;
    try {
      const { lock } = this.#keys(key);
      if (Number(await this.#runner.command('lock.poll', lock, ['EXISTS', lock])) === 0) this.#wake(key);
    } catch {
      // Redis unreachable: the waiter's own timeout bounds the wait.
    }
  }

  #wake(key: string): void {
    const waiting = this.#waiting.get(key);
    if (waiting === undefined) return;
    for (const waker of [...waiting.wakers]) waker();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const key of [...this.#waiting.keys()]) this.#wake(key);
    await this.#subscription.close();
  }
}
