/**
 * An optional capability of a store: settling a guarded read itself (see {@link SETTLE_GET}).
 */

/** What settles a read a store reports straight to its caller instead of through a promise. */
export interface ReadSink {
  resolve(value: Uint8Array | undefined): void;
  reject(err: unknown): void;
}

/**
 * The method of a store that can settle a tier's read itself: one promise per guarded read instead of the
 * store's and the tier's. It must settle `sink` exactly once (possibly late), never throw.
 */
export const SETTLE_GET = Symbol('stratacache.settleGet');

/** A store with the {@link SETTLE_GET} method. */
export interface SettlingStore {
  [SETTLE_GET](key: string, sink: ReadSink): void;
}
