/** Entries: how a value becomes one, how one is judged on read, and how it goes into L1 or onto the wire. */
import { ValueTooLargeError } from '../errors.js';
import type { Entry } from '../internal/entry.js';
import type { WritePolicy } from '../options.js';
import { cloneValue } from '../serializer/clone.js';
import { DEAD, freshness, type State } from '../ttl/freshness.js';
import { applyJitter } from '../ttl/jitter.js';
import { type Core, emitError, type Meta } from './core.js';

/** A new entry for `value`, produced at `createdAt` by a load that took `delta` ms (0 for `set`). */
export function newEntry(
  c: Core,
  value: unknown,
  w: WritePolicy,
  createdAt: number,
  delta: number,
  meta: Meta,
): Entry {
  const now = c.o.clock.now();
  const ttl = applyJitter(w.ttl, w.jitter, c.o.random);
  const maxAgeAt = w.sliding ? createdAt + w.maxAge : Number.POSITIVE_INFINITY;
  const expiresAt = Math.min(now + ttl, maxAgeAt);
  return {
    value,
    createdAt,
    expiresAt,
    staleUntil: expiresAt + Math.max(w.grace, w.swr),
    delta,
    sliding: w.sliding ? ttl : 0,
    maxAgeAt,
    tags: meta.tags,
    version: meta.version,
    settled: undefined,
  };
}

/**
 * A value crossing into or out of the cache: a copy with `l1.clone` (what a caller passed is copied
 * before anything else holds it, and each read gets its own copy), else the value itself.
 */
export function copied<T>(c: Core, value: T): T {
  return c.clone ? (cloneValue(value) as T) : value;
}

/** The TTL a remote tier keeps the entry for: until its stale fallback ends (undefined: forever). */
export function physicalTtl(e: Entry, now: number): number | undefined {
  if (e.staleUntil === Number.POSITIVE_INFINITY) return undefined;
  return Math.max(1, Math.min(Math.ceil(e.staleUntil - now), 2 ** 31 - 1));
}

/**
 * Judges an entry; syncs its tags' times from L2 first when they may be out of date. A sync is one
 * attempt, then a verdict with the times this instance knows: when L2 cannot answer (an outage), the
 * entry is judged by the last known tag times (its own TTL and grace still bound it), never re-synced
 * in a loop.
 */
export function judge(c: Core, e: Entry, now: number, version: string | undefined): State | Promise<State> {
  if (version !== undefined && e.version !== version) return DEAD;
  const tags = e.tags;
  if (tags !== undefined && c.tags.needsSync(tags)) {
    return c.tags.sync(tags).then(() => judgeKnown(c, e, now));
  }
  return judgeKnown(c, e, now);
}

/** The entry's state by its times and the tag times known now (no L2 read); changes nothing. */
function judgeKnown(c: Core, e: Entry, now: number): State {
  if (e.tags !== undefined && c.tags.invalidated(e.tags, e.createdAt)) return DEAD;
  return freshness(e, now);
}

/**
 * Drops from L1 an entry a read judged dead, unless only its version made it so (a caller asking for no
 * version, or for the entry's own, may still read it).
 */
export function dropDead(c: Core, lk: string, e: Entry, version: string | undefined): void {
  if (version === undefined || e.version === version) c.l1?.delete(lk);
}

/** Puts an entry into L1 until its stale fallback ends (capped by `l1.ttl`); an oversized value is dropped. */
export function setL1(c: Core, lk: string, entry: Entry): void {
  if (c.l1 === undefined) return;
  const now = c.o.clock.now();
  let ttl = entry.staleUntil - now;
  if (ttl <= 0) return;
  const cap = (c.o.l1 as { ttl: number | undefined }).ttl;
  if (cap !== undefined && cap < ttl) ttl = cap;
  try {
    c.l1.set(lk, entry, ttl === Number.POSITIVE_INFINITY ? undefined : Math.min(ttl, 2 ** 31 - 1));
  } catch (err) {
    if (!(err instanceof ValueTooLargeError)) throw err;
    c.l1.delete(lk);
    emitError(c.events, err, 'l1.set', lk);
  }
}

/**
 * The serialized value when an L2 needs bytes; without an L2 only checks that the value could be
 * serialized, so adding a remote tier later never turns accepted values into errors.
 */
export function encodeValue(c: Core, value: unknown): Uint8Array | undefined {
  const s = c.o.serializer;
  if (c.l2 !== undefined) return s.serialize(value);
  if (s.check !== undefined) s.check(value);
  else s.serialize(value);
  return undefined;
}
