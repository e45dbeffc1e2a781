/**
 * Runs an action on request, bounded: failover signals come in bursts (every queued command, every
 * reconnect attempt reports one), and each burst should cost one action, not one per signal.
 *
 * **One run in flight** (until the promise `run` returns settles), at most one started per `minIntervalMs`;
 * requests made meanwhile are merged into one run after.
 */
export class RequestGate {
  readonly #minIntervalMs: number;
  readonly #run: () => unknown;
  #inFlight = false;
  #requested = false;
  #lastAt = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Runs started so far. */
  runs = 0;

  /** `run` may return a promise: the run counts as in flight until it settles (its rejection is ignored). */
  constructor(minIntervalMs: number, run: () => unknown) {
    this.#minIntervalMs = minIntervalMs;
    this.#run = run;
  }

  /** Asks for a run: now, or once the one in flight settled and the interval passed. */
  request(): void {
    if (this.#closed) return;
    this.#requested = true;
    if (this.#inFlight || this.#timer !== undefined) return;
    const waitMs = this.#lastAt + this.#minIntervalMs - performance.now();
    if (waitMs > 0) this.#after(waitMs);
    else this.#start();
  }

  /** Asks for a run no sooner than `ms` from now (a retry after a failed run, with the caller's backoff). */
  retryAfter(ms: number): void {
    if (this.#closed) return;
    this.#requested = true;
    if (this.#timer === undefined) this.#after(ms);
  }

  #after(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#requested) this.request();
    }, ms);
    this.#timer.unref();
  }

  #start(): void {
    this.#requested = false;
    this.#inFlight = true;
    this.#lastAt = performance.now();
    this.runs++;
    let pending: unknown;
    try {
      pending = this.#run();
    } finally {
      if (!(pending instanceof Promise)) this.#settled();
    }
    if (pending instanceof Promise) pending.then(this.#settled, this.#settled);
  }

  readonly #settled = (): void => {
    this.#inFlight = false;
    if (this.#requested) this.request();
  };

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
