import { InvalidOptionError } from '../errors.js';
import { describe } from '../internal/asserts.js';
import type { SyncedNumbers } from './synced-numbers.js';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** The start of a namespace's key (`<name>@<generation>:`): a caller's key may not start so. */
const SCOPED = /^[A-Za-z0-9_.-]{1,64}@\d+:/;

/**
 * True if `key` starts like a namespace's key, so storing it as given would write into that namespace
 * (`cache.set('users@0:u1')` would be `users.get('u1')`). The key codec refuses such keys.
 */
export function looksScoped(key: string): boolean {
  return SCOPED.test(key);
}

/**
 * A cheap pre-check for the fast path, which skips the key codec: false means the key cannot start like
 * a namespace's key (its first `@` is not in positions 1–64 followed by a digit), so it may be looked up
 * as given; true sends the call through the codec, which refuses it only if {@link looksScoped}.
 */
export function maybeScoped(key: string): boolean {
  const at = key.indexOf('@');
  if (at < 1 || at > 64) return false;
  const c = key.charCodeAt(at + 1);
  return c >= 48 && c <= 57;
}

/**
 * A namespace: a scope of keys whose `clear()` is **O(1)** — it bumps a generation number (held in L2 when
 * it can hold numbers) that is part of every key of the scope, so the old keys are never read again and
 * expire by their TTL. Nested namespaces include their parents' generations, so clearing a parent clears
 * its children too.
 *
 * Keys of a namespace are stored as `<name>@<generation>:<key>`; keys of that shape are reserved (the key
 * codec refuses them), so a caller's key can never be read as another namespace's.
 */
export class NamespaceScope {
  readonly id: string;
  readonly parent: NamespaceScope | undefined;
  readonly #name: string;
  readonly #ids: readonly string[];
  /** This scope's name and its ancestors', outermost first. */
  readonly #names: readonly string[];
  #cachedFor = '';
  #cached = '';

  constructor(name: string, parent: NamespaceScope | undefined) {
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw new InvalidOptionError(
        `Expected a namespace name of 1-64 chars from [A-Za-z0-9_.-], got ${describe(name)}`,
      );
    }
    this.#name = name;
    this.parent = parent;
    this.id = parent === undefined ? name : `${parent.id}/${name}`;
    this.#ids = parent === undefined ? [this.id] : [...parent.ids, this.id];
    this.#names = parent === undefined ? [name] : [...parent.#names, name];
  }

  /** This scope's id and its ancestors', outermost first. */
  get ids(): readonly string[] {
    return this.#ids;
  }

  /**
   * The caller's key of `lk` if `lk` is a key of this scope under any generation (an entry written before
   * a `clear()` is still this scope's when it is evicted), else `undefined`.
   */
  callerKey(lk: string): string | undefined {
    let at = 0;
    for (const name of this.#names) {
      if (!lk.startsWith(name, at) || lk.charCodeAt(at + name.length) !== 64) return undefined;
      let i = at + name.length + 1;
      const digits = i;
      while (i < lk.length && lk.charCodeAt(i) >= 48 && lk.charCodeAt(i) <= 57) i++;
      if (i === digits || lk.charCodeAt(i) !== 58) return undefined;
      at = i + 1;
    }
    return lk.slice(at);
  }

  /** The key prefix for the current generations. */
  prefix(generations: SyncedNumbers): string {
    let signature = '';
    for (const id of this.#ids) signature += `${generations.peek(id)},`;
    if (signature !== this.#cachedFor) {
      const parent = this.parent === undefined ? '' : this.parent.prefix(generations);
      this.#cached = `${parent}${this.#name}@${generations.peek(this.id)}:`;
      this.#cachedFor = signature;
    }
    return this.#cached;
  }
}

/**
 * `listener` as a namespace's listener: an event about a key is delivered only if the key is this scope's
 * (not a nested namespace's),
 * with the caller's key in place of the stored one; an event about no key (`invalidate`, `bus:reset`, an
 * `error` of no key) is delivered as it came.
 */
export function scopedListener<P>(
  scope: NamespaceScope,
  listener: (payload: P) => void,
): (payload: P) => void {
  return (payload) => {
    const key = (payload as { key?: unknown }).key;
    if (typeof key !== 'string') {
      listener(payload);
      return;
    }
    const own = scope.callerKey(key);
    // A key of a nested namespace is its own scope's: a caller's key never looks scoped.
    if (own !== undefined && !(maybeScoped(own) && looksScoped(own))) listener({ ...payload, key: own });
  };
}
