import { InvalidOptionError, StoreError } from '../../errors.js';
import { assertNonNegativeMs, describe } from '../../internal/asserts.js';

/** How long after its first use a store may stay unconnected before it warns (once). */
export const NOT_CONNECTED_WARNING_MS = 5_000;

/** What `ready()` accepts: a bound on the wait, and a way to give up early. */
export interface ReadyOptions {
  /** Reject with a `StoreError` carrying the last connection error once this many ms have passed. */
  timeoutMs?: number;
  /** Reject the same way once the signal aborts (an `AbortSignal`; typed structurally, so no DOM or Node types are needed). */
  signal?: AbortSignalLike;
}

/** The part of `AbortSignal` that `ready()` uses. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/**
 * Why a store is not talking to its server, for the people who misconfigured it: the last connection
 * error (connection refused, auth failed, TLS) while no reply has come since, a one-time process warning
 * when the store stays unconnected a few seconds after its first use, and a bounded `ready()`; and, for
 * its users, a signal each time a connection becomes ready (`onReady`).
 */
export class ConnectionHealth {
  readonly #name: string;
  #lastError: StoreError | undefined;
  #lastErrorAt = -1;
  readonly #lastReplyAt: () => number;
  #connected = false;
  #warning: ReturnType<typeof setTimeout> | undefined;
  #warned = false;
  readonly #readyListeners = new Set<(node: string | undefined) => void>();

  /** `lastReplyAt`: the store's `performance.now()` of its latest reply (any reply proves the connection). */
  constructor(name: string, firstReady: Promise<void> | undefined, lastReplyAt: () => number) {
    this.#name = name;
    this.#lastReplyAt = lastReplyAt;
    if (firstReady === undefined) this.#connected = true;
    else
      firstReady.then(
        () => {
          this.#connected = true;
        },
        () => undefined,
      );
  }

  /** The last connection error, unless a reply came after it (the connection works again). */
  get error(): StoreError | undefined {
    return this.#lastErrorAt > this.#lastReplyAt() ? this.#lastError : undefined;
  }

  connectionFailed(error: StoreError): void {
    this.#lastError = error;
    this.#lastErrorAt = performance.now();
  }

  /** A command waits for the first connection: after {@link NOT_CONNECTED_WARNING_MS} without one, warn once. */
  waitingForFirstConnection(): void {
    if (this.#warned || this.#warning !== undefined) return;
    this.#warning = setTimeout(() => {
      this.#warning = undefined;
      if (this.#connected) return;
      this.#warned = true;
      const why = this.#lastError === undefined ? 'no answer' : this.#lastError.message;
      process.emitWarning(
        `stratacache: store \`${this.#name}\` has not connected within ${NOT_CONNECTED_WARNING_MS / 1000} s ` +
          `of its first use (${why}); its calls are served as misses. Check its URL, credentials and TLS ` +
          'settings; `await store.ready({ timeoutMs })` makes this a start-up check.',
        { code: 'STRATACACHE_L2_NOT_CONNECTED' },
      );
    }, NOT_CONNECTED_WARNING_MS);
    this.#warning.unref();
  }

  /** `firstReady`, bounded by `options`; rejects with a `StoreError` whose cause is the last connection error. */
  ready(firstReady: Promise<void> | undefined, options: ReadyOptions): Promise<void> {
    const { timeoutMs, signal } = checkReadyOptions(options);
    if (firstReady === undefined) return Promise.resolve();
    if (timeoutMs === undefined && signal === undefined) return firstReady;
    return new Promise<void>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
      };
      const fail = (when: string): void => {
        finish();
        const cause = this.#lastError;
        reject(
          new StoreError(
            `Store \`${this.#name}\` did not connect ${when}${cause === undefined ? '' : `: ${cause.message}`}`,
            { cause, code: 'ERR_CACHE_STORE_NOT_READY' },
          ),
        );
      };
      const aborted = (): void => fail('before the signal aborted');
      if (signal?.aborted) return aborted();
      signal?.addEventListener('abort', aborted, { once: true });
      if (timeoutMs !== undefined) timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
      firstReady.then(
        () => {
          finish();
          resolve();
        },
        (err: unknown) => {
          finish();
          reject(err);
        },
      );
    });
  }

  /** Adds a listener of {@link becameReady}; returns its removal. */
  onReady(listener: (node: string | undefined) => void): () => void {
    this.#readyListeners.add(listener);
    return () => {
      this.#readyListeners.delete(listener);
    };
  }

  /**
   * A connection of the store became ready (to `node`, `host:port`, where the store has one per server):
   * tells every listener (one that throws does not stop the rest).
   */
  becameReady(node?: string): void {
    for (const listener of this.#readyListeners) {
      try {
        listener(node);
      } catch {
        // A listener's bug must not break the connection's event handler.
      }
    }
  }

  close(): void {
    this.#readyListeners.clear();
    if (this.#warning !== undefined) clearTimeout(this.#warning);
    this.#warning = undefined;
    this.#warned = true;
  }
}

function checkReadyOptions(options: ReadyOptions): ReadyOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`Expected ready() options to be an object, got ${describe(options)}`);
  }
  const { timeoutMs, signal } = options;
  if (timeoutMs !== undefined) assertNonNegativeMs('timeoutMs', timeoutMs);
  if (signal !== undefined && typeof (signal as Partial<AbortSignalLike>)?.addEventListener !== 'function') {
    throw new InvalidOptionError(`Expected \`signal\` to be an AbortSignal, got ${describe(signal)}`);
  }
  return options;
}
