/**
 * The read path: L1, then one shared L2 read per key (decoded, judged and back-filled into L1). Counting
 * hits and misses is the caller's; this path counts only what it alone sees (L1 and L2 misses, corrupt
 * bytes).
 */
import { DeserializationError } from '../errors.js';
import type { Entry } from '../internal/entry.js';
import { decodeEnvelope } from '../internal/envelope.js';
import type { MemoryStore } from '../stores/memory/memory-store.js';
import { DEAD, FRESH, STALE, type State } from '../ttl/freshness.js';
import {
  type Core,
  emitError,
  type Found,
  type L2Found,
  type L2Read,
  type L2Result,
  type L2Waiter,
  noop,
} from './core.js';
import { dropDead, judge, setL1 } from './entries.js';

/** Read records kept for keys read before; past this many they are all forgotten at once. */
const MAX_READ_RECORDS = 4096;

/** L1, then L2 (decoded, validated and back-filled into L1). Without L1, the L2 read's own promise. */
export function lookup(
  c: Core,
  lk: string,
  version: string | undefined,
  count = true,
): Promise<Found | undefined> | undefined {
  if (c.l1 !== undefined) return lookupL1(c, c.l1, lk, version, count);
  return c.l2 === undefined ? undefined : fetchL2(c, lk, version, count);
}

async function lookupL1(
  c: Core,
  l1: MemoryStore<Entry>,
  lk: string,
  version: string | undefined,
  count: boolean,
): Promise<Found | undefined> {
  const now = c.o.clock.now();
  let stale: Entry | undefined;
  const e = l1.get(lk);
  if (e !== undefined) {
    const state = await judge(c, e, now, version);
    if (state === FRESH) return { entry: e, state, tier: 'l1' };
    if (state === STALE) stale = e;
    else dropDead(c, lk, e, version);
  }
  if (count) c.stats.l1Misses++;
  if (c.l2 === undefined) return stale === undefined ? undefined : { entry: stale, state: STALE, tier: 'l1' };
  const found = await fetchL2(c, lk, version, count);
  if (found !== undefined) return found;
  return stale === undefined ? undefined : { entry: stale, state: STALE, tier: 'l1' };
}

/**
 * One L2 read (and decode) per key at a time, shared by concurrent callers: a cold burst costs one round
 * trip. `done` gets the result (at once if the tier answers at once, e.g. an open breaker). With `count`,
 * a miss counts once for this caller.
 */
function readL2(
  c: Core,
  lk: string,
  version: string | undefined,
  count: boolean,
  done: L2Waiter,
  startedAt?: number,
): void {
  const fk = version === undefined ? lk : `${lk}\u0000${version}`;
  let r = c.reads.get(fk);
  // A user key may contain NUL and so spell another key's versioned record name: only a record of the
  // same key is shared (with the same key, the same name implies the same version).
  if (r !== undefined && r.lk !== lk) r = undefined;
  if (r?.inFlight === true) {
    if (count) r.misses++;
    if (r.more === undefined) r.more = [done];
    else r.more.push(done);
    return;
  }
  if (r === undefined) {
    // Records stay for the key's next read (no Map insert and delete per read); an in-flight read whose
    // record is forgotten here still settles, only later callers stop joining it.
    if (c.reads.size >= MAX_READ_RECORDS) c.reads.clear();
    r = readRecord(c, lk, version);
    c.reads.set(fk, r);
  }
  r.inFlight = true;
  r.misses = count ? 1 : 0;
  r.first = done;
  c.l2!.read(r.key, r.deliver, startedAt);
}

function readRecord(c: Core, lk: string, version: string | undefined): L2Read {
  const r: L2Read = {
    lk,
    version,
    key: c.o.prefix + lk,
    inFlight: false,
    misses: 0,
    first: undefined,
    more: undefined,
    deliver: noop,
  };
  r.deliver = (bytes) => delivered(c, r, bytes);
  return r;
}

/** Hands what the tier answered for `r`'s read to its waiters; later callers read again (newer bytes). */
function delivered(c: Core, r: L2Read, bytes: Uint8Array | undefined): void {
  const { first, more, misses } = r;
  r.inFlight = false;
  r.first = undefined;
  r.more = undefined;
  let result: L2Result;
  try {
    result = settleL2(c, misses, r.lk, bytes, r.version);
  } catch (err) {
    result = Promise.reject(err);
  }
  first!(result);
  if (more !== undefined) for (const w of more) w(result);
}

/** `readL2` as a promise (`startedAt`: the caller's `performance.now()`, if it read the clock already). */
export function fetchL2(
  c: Core,
  lk: string,
  version: string | undefined,
  count = false,
  startedAt?: number,
): Promise<L2Found | undefined> {
  return new Promise((resolve) => readL2(c, lk, version, count, resolve, startedAt));
}

/** What an L2 read returned, decoded and admitted; a miss counts once for each of its callers. */
function settleL2(
  c: Core,
  misses: number,
  lk: string,
  bytes: Uint8Array | undefined,
  version: string | undefined,
): L2Result {
  const accepted = accept(c, lk, bytes, version);
  if (accepted instanceof Promise) {
    return accepted.then((found) => {
      if (found === undefined) c.stats.l2Misses += misses;
      return found;
    });
  }
  if (accepted === undefined) c.stats.l2Misses += misses;
  return accepted;
}

/** Decodes L2 bytes into a live entry (fresh or stale) and back-fills L1; corrupt bytes are a counted miss. */
export function accept(
  c: Core,
  lk: string,
  bytes: Uint8Array | undefined,
  version: string | undefined,
): L2Result {
  if (bytes === undefined) return undefined;
  let entry: Entry;
  try {
    entry = decodeEnvelope(bytes, c.o.serializer);
  } catch (err) {
    c.stats.corrupt++;
    const error = err instanceof DeserializationError ? err : new DeserializationError(String(err), err);
    emitError(c.events, error, 'decode', lk);
    return undefined;
  }
  const state = judge(c, entry, c.o.clock.now(), version);
  return typeof state === 'number' ? admit(c, lk, entry, state) : state.then((s) => admit(c, lk, entry, s));
}

/** Back-fills L1 with a decoded L2 entry unless it is dead or a pattern invalidation covers it. */
function admit(c: Core, lk: string, entry: Entry, state: State): L2Found | undefined {
  if (state === DEAD) return undefined;
  if (c.patterns.length > 0) {
    const fk = c.o.prefix + lk;
    for (const p of c.patterns) if (p.at >= entry.createdAt && p.glob.test(fk)) return undefined;
  }
  setL1(c, lk, entry);
  return { entry, state, tier: 'l2' };
}
