import type { Bus, BusMessage, Cache, Clock } from 'stratacache';
import type { TagDurations } from './types.js';

/**
 * When a tag was last revalidated: `stale` (ms) marks entries created before it stale (served once more while
 * Next regenerates them), `expired` (ms, possibly in the future) makes such entries a miss once it has passed.
 * `0` means never.
 */
export interface TagTimes {
  readonly stale: number;
  readonly expired: number;
}

const NEVER: TagTimes = Object.freeze({ stale: 0, expired: 0 });

/** What tag times say about an entry created at `timestamp` (ms), at time `now`. */
export type TagVerdict = 'fresh' | 'stale' | 'expired';

/** The verdict of a set of tag times on an entry (the strongest one wins). Pure. */
export function tagVerdict(times: readonly TagTimes[], timestamp: number, now: number): TagVerdict {
  let verdict: TagVerdict = 'fresh';
  for (const t of times) {
    if (t.expired > timestamp && t.expired <= now) return 'expired';
    if (t.stale > timestamp) verdict = 'stale';
  }
  return verdict;
}

/** The latest `expired` time that has passed (Next's `getExpiration`), 0 when none. Pure. */
export function passedExpiration(times: readonly TagTimes[], now: number): number {
  let max = 0;
  for (const t of times) if (t.expired <= now && t.expired > max) max = t.expired;
  return max;
}

/** The times after a revalidation at `now` (Next's rules: with durations stale now, else expired now). */
export function revalidated(prev: TagTimes, now: number, durations: TagDurations | undefined): TagTimes {
  if (durations === undefined) return { stale: prev.stale, expired: now };
  const expire = durations.expire;
  const expired =
    expire === undefined ? prev.expired : Number.isFinite(expire) ? now + Math.max(0, expire) * 1000 : 0;
  return { stale: now, expired };
}

/** A stored record, or NEVER for anything else (a foreign value under a tag key is ignored). */
function decodeTimes(raw: unknown): TagTimes {
  if (typeof raw !== 'object' || raw === null) return NEVER;
  const { s, e } = raw as { s?: unknown; e?: unknown };
  if (typeof s !== 'number' || typeof e !== 'number' || !Number.isFinite(s) || !Number.isFinite(e)) {
    return NEVER;
  }
  return { stale: s, expired: e };
}

export interface TagManifestOptions {
  /** How long a tag's times read from L2 are trusted when no bus message says otherwise (ms); 0: not at all. */
  syncInterval: number;
  /**
   * L2 life of a tag record (ms), longer than any entry lives: every entry made before the record's times is
   * gone when the record goes, so an expiry further in the future than that can be forgotten with it.
   */
  recordTtl: number;
  /** Most tags memoized per process. */
  maxMemo: number;
  clock: Clock;
}

interface Memo {
  times: TagTimes;
  until: number;
}

const KEY_PREFIX = 'tag:';

/**
 * Tag revalidation times shared by every instance: one small record per tag in L2 (through a `Cache` without
 * L1, so no copy older than the memo is ever read back), a per-process memo in front, and a bus that tells other instances to drop their memo of a tag the moment it is revalidated.
 *
 * Revalidating is **O(number of tags)**: it writes those tags' records and never touches, scans or indexes
 * the entries carrying them; reads compare an entry's creation time with its tags' times. A record lives at
 * least `recordTtl`, longer than any entry created before it, so letting it expire forgets nothing.
 * By default every read asks L2 (see `times`); with a positive `syncInterval` other instances see a
 * revalidation when the bus message arrives, at worst after `syncInterval`; a bus reconnect drops every memo.
 */
export class TagManifest {
  readonly #cache: Cache;
  readonly #bus: Bus | undefined;
  readonly #o: TagManifestOptions;
  readonly #memo = new Map<string, Memo>();
  readonly #id = Math.random().toString(36).slice(2);
  /** Bumped by every bus message and reset, so a read that started before one does not memo its result. */
  #generation = 0;
  readonly #updates = new Map<string, Promise<void>>();
  /** L2 errors so far: a read during which one happened may have missed records, not found them absent. */
  #errors = 0;

  constructor(cache: Cache, bus: Bus | undefined, options: TagManifestOptions) {
    this.#cache = cache;
    cache.on('error', () => {
      this.#errors++;
    });
    this.#bus = bus;
    this.#o = options;
    // The subscription retries by itself; a rejection only says the first attempt timed out.
    bus?.subscribe(this.#onMessage, this.#onReset).catch(() => {});
  }

  /**
   * The times of each tag, in order. With `syncInterval` 0 (the default) they are read from L2 on every call
   * (one round trip, shared by concurrent callers), so a revalidation by any instance counts on the very next
   * request; a positive `syncInterval` trusts the memo that long (bus messages still drop it at once). When
   * L2 cannot answer, the last times this process knew stand in.
   */
  async times(tags: readonly string[]): Promise<TagTimes[]> {
    const now = this.#o.clock.now();
    const out = new Array<TagTimes>(tags.length);
    const missing: number[] = [];
    for (let i = 0; i < tags.length; i++) {
      const m = this.#memo.get(tags[i]!);
      if (m !== undefined && m.until > now) out[i] = m.times;
      else missing.push(i);
    }
    if (missing.length === 0) return out;
    const generation = this.#generation;
    const errors = this.#errors;
    const raw = await this.#cache.getMany(missing.map((i) => KEY_PREFIX + tags[i]!));
    const failed = this.#errors !== errors;
    const until = this.#o.clock.now() + this.#o.syncInterval;
    for (let j = 0; j < missing.length; j++) {
      const tag = tags[missing[j]!]!;
      if (raw[j] === undefined && failed) {
        out[missing[j]!] = this.#memo.get(tag)?.times ?? NEVER;
        continue;
      }
      const times = decodeTimes(raw[j]);
      out[missing[j]!] = times;
      if (generation === this.#generation) this.#remember(tag, times, until);
    }
    return out;
  }

  /**
   * Records a revalidation of `tags` now (Next's `revalidateTag` / `updateTags`) in L2 and tells every
   * instance. Concurrent identical calls (Next calls each handler kind) share one write.
   */
  update(tags: readonly string[], durations: TagDurations | undefined): Promise<void> {
    const signature = JSON.stringify([tags, durations ?? null]);
    let pending = this.#updates.get(signature);
    if (pending === undefined) {
      pending = this.#update(tags, durations).finally(() => this.#updates.delete(signature));
      this.#updates.set(signature, pending);
    }
    return pending;
  }

  async #update(tags: readonly string[], durations: TagDurations | undefined): Promise<void> {
    if (tags.length === 0) return;
    const now = this.#o.clock.now();
    const keys = tags.map((t) => KEY_PREFIX + t);
    const prev = await this.#cache.getMany(keys);
    const next = tags.map((_, i) => revalidated(decodeTimes(prev[i]), now, durations));
    this.#generation++;
    const until = now + this.#o.syncInterval;
    for (let i = 0; i < tags.length; i++) this.#remember(tags[i]!, next[i]!, until);
    await this.#cache.setMany(
      next.map((t, i) => ({
        key: keys[i]!,
        value: { s: t.stale, e: t.expired },
        ttl: this.#o.recordTtl,
      })),
    );
    await this.#bus
      ?.publish({ v: 1, type: 'tags', tags: [...tags], ts: now, from: this.#id })
      .catch(() => {});
  }

  /** Memoizes a tag's times, dropping the oldest memo beyond `maxMemo` (implicit path tags are many). */
  #remember(tag: string, times: TagTimes, until: number): void {
    this.#memo.delete(tag);
    this.#memo.set(tag, { times, until });
    if (this.#memo.size > this.#o.maxMemo) this.#memo.delete(this.#memo.keys().next().value!);
  }

  readonly #onMessage = (m: BusMessage): void => {
    if (m.type !== 'tags' || m.from === this.#id) return;
    this.#generation++;
    for (const t of m.tags) this.#memo.delete(t);
  };

  readonly #onReset = (): void => {
    this.#generation++;
    this.#memo.clear();
  };

  /** Stops the bus subscription. */
  async close(): Promise<void> {
    this.#memo.clear();
    await this.#bus?.close();
  }
}
