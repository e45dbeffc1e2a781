/**
 * Per-call timeouts without a timer per call. Calls started with the same timeout expire in the order
 * they started, so one timer armed for the oldest pending deadline serves them all: starting a call is
 * a push, settling it is a flag. Expiry waits one event-loop turn (`setImmediate`) so that, after a
 * stalled loop, replies already waiting on a socket are read before their calls are declared late.
 */
export interface Deadline {
  /** True once the call settled or expired; settle a call by setting it. */
  done: boolean;
}

interface Pending extends Deadline {
  readonly at: number;
  readonly expire: () => void;
  next: Pending | undefined;
}

export class Deadlines {
  readonly #ms: number;
  #head: Pending | undefined;
  #tail: Pending | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(ms: number) {
    this.#ms = ms;
  }

  /** Calls `expire` about `ms` from now unless the returned deadline is marked `done` first. */
  start(expire: () => void): Deadline {
    const p: Pending = { done: false, at: performance.now() + this.#ms, expire, next: undefined };
    if (this.#tail === undefined) this.#head = p;
    else this.#tail.next = p;
    this.#tail = p;
    if (this.#timer === undefined) this.#arm(this.#ms);
    return p;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(1, delay));
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    const expired: Pending[] = [];
    let p = this.#head;
    while (p !== undefined && (p.done || p.at <= now)) {
      if (!p.done) expired.push(p);
      p = p.next;
    }
    this.#head = p;
    if (p === undefined) this.#tail = undefined;
    else this.#arm(p.at - now);
    if (expired.length > 0) {
      setImmediate(() => {
        for (const e of expired) {
          if (e.done) continue;
          e.done = true;
          e.expire();
        }
      });
    }
  };
}
