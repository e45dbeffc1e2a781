import { InvalidOptionError } from '../errors.js';
import { describe } from '../internal/asserts.js';
import type { SyncedNumbers } from './synced-numbers.js';

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * A namespace: a scope of keys whose `clear()` is **O(1)** — it bumps a generation number (held in L2 when
 * it can hold numbers) that is part of every key of the scope, so the old keys are never read again and
 * expire by their TTL. Nested namespaces include their parents' generations, so clearing a parent clears
 * its children too.
 *
 * Keys of a namespace are stored as `<name>@<generation>:<key>`; root keys of that shape are reserved.
 */
export class NamespaceScope {
  readonly id: string;
  readonly parent: NamespaceScope | undefined;
  readonly #name: string;
  readonly #ids: readonly string[];
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
  }

  /** This scope's id and its ancestors', outermost first. */
  get ids(): readonly string[] {
    return this.#ids;
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
