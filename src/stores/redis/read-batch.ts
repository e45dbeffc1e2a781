import { StoreError } from '../../errors.js';
import type { ReadSink } from '../settle-get.js';

/** What settles one command: its promise, a read ({@link ReadSink}), or a batch of reads. */
export interface ReplySink {
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/** A nil reply is a miss; a bulk string arrives as a Buffer (the commands ask for buffers). */
export function toBytes(reply: unknown): Uint8Array | undefined {
  return reply === null || reply === undefined ? undefined : (reply as Buffer);
}

/**
 * Collects the single-key reads issued during one tick and hands them over together once the tick's
 * synchronous code and microtasks have run (`process.nextTick`, before node-redis writes on
 * `setImmediate`, so batching adds no wait of its own). The store sends each batch as one `MGET` per slot:
 * 64 concurrent `getOrSet` calls cost one command to encode, queue, parse and execute instead of 64.
 */
export class ReadBatcher {
  #keys: string[] = [];
  #sinks: ReadSink[] = [];
  #scheduled = false;
  readonly #send: (keys: string[], sinks: ReadSink[]) => void;

  /** `send` receives every read of a tick (prefixed keys, in call order, duplicates kept). */
  constructor(send: (keys: string[], sinks: ReadSink[]) => void) {
    this.#send = send;
  }

  add(key: string, sink: ReadSink): void {
    this.#keys.push(key);
    this.#sinks.push(sink);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    const keys = this.#keys;
    const sinks = this.#sinks;
    this.#keys = [];
    this.#sinks = [];
    this.#send(keys, sinks);
  };
}

/**
 * Settles the reads of one `MGET`: reply `i` goes to sink `i`. A reply that is not an array of exactly one
 * entry per key (a broken or foreign server) rejects them all rather than hand a value to the wrong key.
 */
export class MultiGetSink implements ReplySink {
  readonly #sinks: readonly ReadSink[];
  readonly #name: string;

  constructor(sinks: readonly ReadSink[], name: string) {
    this.#sinks = sinks;
    this.#name = name;
  }

  resolve(replies: unknown): void {
    const sinks = this.#sinks;
    if (!Array.isArray(replies) || replies.length !== sinks.length) {
      this.reject(
        new StoreError(`${this.#name}.get failed: MGET of ${sinks.length} keys got a reply of another shape`),
      );
      return;
    }
    for (let i = 0; i < sinks.length; i++) sinks[i]!.resolve(toBytes(replies[i]));
  }

  reject(err: unknown): void {
    for (const sink of this.#sinks) sink.reject(err);
  }
}
