/**
 * A cached value with the metadata the features need. L1 holds these objects by reference; remote tiers
 * hold them encoded by {@link encodeEnvelope}.
 */
export interface Entry {
  value: unknown;
  /** When the value was produced (ms since epoch); tag invalidations after it make the entry invalid. */
  createdAt: number;
  /** Logical expiry: fresh until then. */
  expiresAt: number;
  /** Physical expiry: kept as a stale fallback (grace, stale-while-revalidate) until then. */
  staleUntil: number;
  /** Measured loader time δ in ms (XFetch early refresh); 0 when written by `set`. */
  delta: number;
  /** Sliding TTL in ms (0 when not sliding): each read moves `expiresAt` to now + sliding, up to `maxAgeAt`. */
  sliding: number;
  /** Absolute cap of a sliding entry's life. */
  maxAgeAt: number;
  tags: readonly string[] | undefined;
  version: string | undefined;
  /**
   * `Promise.resolve(value)`, made on the first fast-path hit and handed to every later one: a settled
   * promise cannot be changed by whoever awaits it, so hits share it instead of allocating one each.
   */
  settled: Promise<unknown> | undefined;
}

/** The entry's value as a settled promise, shared by every fast-path hit of the entry (see `settled`). */
export function settledValue<T>(e: Entry): Promise<T> {
  let p = e.settled;
  if (p === undefined) {
    p = Promise.resolve(e.value);
    e.settled = p;
  }
  return p as Promise<T>;
}
