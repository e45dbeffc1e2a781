/** One write in a {@link WriteJournal}. */
export interface JournalRecord {
  /** The journal's id of the entry (a Redis stream id), unique per journal. */
  readonly id: string;
  /** The cache key written. */
  readonly key: string;
  readonly op: 'set' | 'delete';
  /** The value of a `set`; `undefined` for a `delete`. */
  readonly value: unknown;
  /** The per-key version: strictly increasing per key within a writer process (see `writeBehind`). */
  readonly version: number;
}

/** Why a journal reports that it lost entries. */
export interface JournalLoss {
  /** `nogroup`: the consumer group vanished; `restart`: the server's run id changed and the group with it. */
  readonly reason: 'nogroup' | 'restart';
  /** The stream whose unapplied entries were lost. */
  readonly stream: string;
}

/** Events of a {@link WriteJournal}. */
export type JournalEvents = {
  /** Entries were lost (the journal server restarted without persistence); the group was recreated. */
  lost: [loss: JournalLoss];
  /** A background journal call failed; it is retried on the next cycle. */
  error: [error: unknown];
};

/**
 * The durable log behind a write-behind queue: a write is appended before it is accepted and
 * acknowledged only after the source committed it, so unacknowledged entries survive a crash and are
 * replayed. Delivery is **at-least-once**.
 */
export interface WriteJournal {
  /** Connects and checks the server; replay starts with the next `read`. Idempotent. */
  open(): Promise<void>;
  /** Appends a write; resolves with its id once the journal holds it. */
  append(record: Omit<JournalRecord, 'id'>): Promise<string>;
  /**
   * Takes up to `max` entries to apply: first this consumer's unacknowledged entries (a replay after a
   * restart), then entries claimed from crashed peers, then new entries. Never blocks.
   */
  read(max: number): Promise<JournalRecord[]>;
  /** Acknowledges applied entries so they are never replayed. */
  ack(ids: readonly string[]): Promise<void>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof JournalEvents>(name: K, listener: (...args: JournalEvents[K]) => void): () => void;
  /** Releases connections the journal created; unacknowledged entries stay for a replay. Idempotent. */
  close(): Promise<void>;
}
