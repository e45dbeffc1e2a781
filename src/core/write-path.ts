/** The write path: an entry into L1 and L2 (fenced under a lease) and its announcement on the bus. */
import type { Entry } from '../internal/entry.js';
import { encodeEnvelope } from '../internal/envelope.js';
import type { Lease } from '../stores/lock.js';
import { noteSize } from '../tracing/channels.js';
import { slideExpiry } from '../ttl/sliding.js';
import { type Core, publish, track } from './core.js';
import { encodeValue, physicalTtl, setL1 } from './entries.js';

/**
 * Writes an entry to L1 and L2 (a fenced commit under a lease) and announces it on the bus. With
 * `background`, L1 is filled at once and the L2 write (then the announcement) runs behind the caller,
 * bounded by `l2Timeout` and awaited by `close()`: a slow L2 never adds to a load's latency.
 */
export async function write(
  c: Core,
  lk: string,
  entry: Entry,
  lease: Lease | undefined,
  background = false,
): Promise<boolean> {
  const payload = encodeValue(c, entry.value);
  const announce = (): void => publish(c, { type: 'set', keys: [c.o.prefix + lk] });
  if (c.l2 === undefined) {
    filled(c, lk, entry);
    announce();
    return true;
  }
  const bytes = encodeEnvelope(entry, payload!);
  noteSize(bytes.length);
  const ttl = physicalTtl(entry, c.o.clock.now());
  if (lease !== undefined) {
    if (!(await c.l2.call('lock.commit', false, () => c.lock!.commit(lease, bytes, ttl)))) return false;
    filled(c, lk, entry);
    announce();
    return true;
  }
  if (background) {
    filled(c, lk, entry);
    track(c, c.l2.set(c.o.prefix + lk, bytes, ttl).then(announce));
    return true;
  }
  const stored = await c.l2.set(c.o.prefix + lk, bytes, ttl);
  filled(c, lk, entry);
  announce();
  return stored;
}

function filled(c: Core, lk: string, entry: Entry): void {
  setL1(c, lk, entry);
  c.stats.sets++;
  if (c.events.listening.set) c.events.emit('set', { key: lk });
}

/** What reading an entry does to it: a sliding entry's expiry moves (the only read-side effect). */
export function touchOnRead(c: Core, lk: string, e: Entry, now: number): void {
  if (e.sliding > 0) slide(c, lk, e, now);
}

/** Moves a sliding entry's expiry on read; L2 is rewritten once half the window has passed. */
export function slide(c: Core, lk: string, e: Entry, now: number): void {
  const next = slideExpiry(now, e.sliding, e.maxAgeAt);
  if (next <= e.expiresAt) return;
  const grace = e.staleUntil - e.expiresAt;
  const l2Behind = next - e.expiresAt > e.sliding / 2;
  e.expiresAt = next;
  e.staleUntil = next + grace;
  if (c.l1?.peek(lk) === e) setL1(c, lk, e);
  if (l2Behind && c.l2 !== undefined) {
    const bytes = encodeEnvelope(e, c.o.serializer.serialize(e.value));
    track(c, c.l2.set(c.o.prefix + lk, bytes, physicalTtl(e, now)));
  }
}
