import { InvalidOptionError } from '../errors.js';
import { describe, isWellFormed } from '../internal/asserts.js';
import type { SyncedNumbers } from './synced-numbers.js';

/**
 * Tag invalidation by timestamp: `invalidateTags(['user:1'])` records "now" for the tag, and every entry
 * carrying the tag that was produced at or before that time is a miss from then on — **O(1) per
 * invalidation**, checked on read, with no index of tagged keys to maintain.
 */
export class TagIndex {
  readonly #times: SyncedNumbers;
  /** The latest local invalidation: entries stamped in the same millisecond after it must survive it. */
  #lastLocal = 0;

  constructor(times: SyncedNumbers) {
    this.#times = times;
  }

  get lastLocalInvalidation(): number {
    return this.#lastLocal;
  }

  /** True if any tag was invalidated at or after `createdAt` (by what this instance knows). */
  invalidated(tags: readonly string[], createdAt: number): boolean {
    for (const tag of tags) if (this.#times.peek(tag) >= createdAt) return true;
    return false;
  }

  needsSync(tags: readonly string[]): boolean {
    return !this.#times.fresh(tags);
  }

  /** One read of the tags' times from L2; resolves whether it succeeded. */
  sync(tags: readonly string[]): Promise<boolean> {
    return this.#times.sync(tags);
  }

  /**
   * Records an invalidation at `now` locally and in L2; resolves the time recorded (the one to announce).
   * Entries stamped after an earlier invalidation in the same millisecond carry its time + 0.001, so a
   * second one in that millisecond is recorded past them, or it would miss them.
   */
  async invalidate(tags: readonly string[], now: number): Promise<number> {
    const at = now > this.#lastLocal ? now : this.#lastLocal + 0.002;
    this.#lastLocal = at;
    await Promise.all(tags.map((t) => this.#times.raise(t, at)));
    return at;
  }

  /** After a bus reset: every cached tag time is re-read before it is trusted again (kept as a floor). */
  untrustAll(): void {
    this.#times.untrustAll();
  }

  /** Tag times tracked now, and the stand-in time of the evicted ones (see `SyncedNumbers`). */
  get tracked(): { size: number; floor: number } {
    return { size: this.#times.size, floor: this.#times.floor };
  }

  /** Applies an invalidation announced by another instance. */
  learn(tags: readonly string[], at: number): void {
    for (const t of tags) this.#times.learn(t, at);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it rejects
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Validates a list of tags: non-empty strings without control characters, at most 256 chars each. */
export function checkTags(tags: unknown): readonly string[] {
  if (!Array.isArray(tags))
    throw new TypeError(`Expected \`tags\` to be an array of strings, got ${describe(tags)}`);
  for (const t of tags) {
    if (typeof t !== 'string' || t.length === 0 || t.length > 256 || CONTROL.test(t) || !isWellFormed(t)) {
      throw new InvalidOptionError(
        'Expected each tag to be a non-empty string of at most 256 chars, without control characters or ' +
          `lone surrogates, got ${describe(t)}`,
      );
    }
  }
  return tags as readonly string[];
}
