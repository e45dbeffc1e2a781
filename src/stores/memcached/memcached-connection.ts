import net from 'node:net';
import { ClosedError, ProtocolError, StoreError, StoreTimeoutError } from '../../errors.js';
import { type MetaReply, MetaReplyParser } from './meta-reply-parser.js';

/** Where and how long to wait. */
export interface ConnectionOptions {
  host: string;
  port: number;
  connectTimeoutMs: number;
  timeoutMs: number;
}

/**
 * A request waiting for its replies. `single` requests take exactly one reply carrying their opaque;
 * `batch` requests (quiet commands ended by `mn`) take any number of replies whose opaques fall in
 * `[opaque, opaque + count)` and end at `MN`.
 */
interface Pending {
  readonly opaque: number;
  readonly count: number;
  readonly deadline: number;
  readonly replies: Array<MetaReply | undefined> | undefined;
  readonly hasBody: boolean;
  error: MetaReply | undefined;
  resolve(value: never): void;
  reject(error: Error): void;
}

const MAX_OPAQUE = 2 ** 31;

/**
 * One TCP connection to memcached carrying pipelined meta requests.
 *
 * Requests are written in order and queued FIFO; replies arrive in the same order, and each must carry
 * the opaque (`O` flag) of the request at the head of the queue, so a reply is **never attached to the
 * wrong request**: any mismatch, garbage, truncated reply, unexpected close or a head request passing its
 * deadline destroys the connection and fails every pending request with a typed error (the stream position
 * is unknowable after that). Everything written in the same tick leaves in one socket write.
 */
export class MemcachedConnection {
  readonly #socket: net.Socket;
  readonly #options: ConnectionOptions;
  readonly #parser: MetaReplyParser;
  readonly #queue: Pending[] = [];
  readonly #onDead: (conn: MemcachedConnection, everConnected: boolean) => void;
  #head = 0;
  #opaque = 0;
  #timer: NodeJS.Timeout | undefined;
  #connectTimer: NodeJS.Timeout | undefined;
  #connected = false;
  #dead = false;
  #out: Array<string | Uint8Array> = [];
  #closing: (() => void) | undefined;

  /** `onDead` runs once when the connection fails or closes; `onConnect` when the TCP connect succeeds. */
  constructor(
    options: ConnectionOptions,
    onDead: (conn: MemcachedConnection, everConnected: boolean) => void,
    onConnect?: () => void,
  ) {
    this.#options = options;
    this.#onDead = onDead;
    this.#parser = new MetaReplyParser((reply) => this.#dispatch(reply));
    const socket = net.connect({ host: options.host, port: options.port });
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      this.destroy(
        new StoreTimeoutError(`connect to memcached ${this.#address()}`, options.connectTimeoutMs),
      );
    }, options.connectTimeoutMs);
    socket.once('connect', () => {
      this.#connected = true;
      clearTimeout(this.#connectTimer);
      this.#connectTimer = undefined;
      onConnect?.();
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#parser.push(chunk);
      } catch (err) {
        this.destroy(err instanceof Error ? err : new ProtocolError(String(err)));
      }
    });
    socket.on('error', (err) => {
      this.destroy(new StoreError(`memcached ${this.#address()}: ${err.message}`, { cause: err }));
    });
    socket.on('close', () => {
      const how = this.#parser.midReply ? 'closed in the middle of a reply' : 'closed the connection';
      this.destroy(new StoreError(`memcached ${this.#address()} ${how}`));
    });
  }

  /** False once the connection failed or was closed; the pool then replaces it. */
  get usable(): boolean {
    return !this.#dead && this.#closing === undefined;
  }

  /** Requests written and not yet answered. */
  get pending(): number {
    return this.#queue.length - this.#head;
  }

  /** Sends one command and resolves its single reply (an error reply included). */
  single(command: string, body?: Uint8Array): Promise<MetaReply> {
    return new Promise<MetaReply>((resolve, reject) => {
      const opaque = this.#reserve(1);
      if (opaque < 0) {
        reject(this.#unusable());
        return;
      }
      this.#enqueue({
        opaque,
        count: 1,
        deadline: 0,
        replies: undefined,
        hasBody: body !== undefined,
        error: undefined,
        resolve,
        reject,
      });
      this.#write(`${command} O${opaque}\r\n`);
      if (body !== undefined) {
        this.#write(body);
        this.#write('\r\n');
      }
    });
  }

  /**
   * Sends quiet commands (each built by `command(i)`, optionally followed by `bodies[i]`) then `mn`, and
   * resolves one slot per command: the reply the server sent for it, or `undefined` where the quiet mode
   * suppressed it (a miss for `mg`, success for `ms`/`md`).
   */
  batch(
    count: number,
    command: (i: number) => string,
    bodies?: readonly Uint8Array[],
  ): Promise<Array<MetaReply | undefined>> {
    return new Promise<Array<MetaReply | undefined>>((resolve, reject) => {
      const opaque = this.#reserve(count);
      if (opaque < 0) {
        reject(this.#unusable());
        return;
      }
      const replies = new Array<MetaReply | undefined>(count).fill(undefined);
      this.#enqueue({
        opaque,
        count,
        deadline: 0,
        replies,
        hasBody: bodies !== undefined,
        error: undefined,
        resolve,
        reject,
      });
      for (let i = 0; i < count; i++) {
        this.#write(`${command(i)} q O${opaque + i}\r\n`);
        const body = bodies?.[i];
        if (body !== undefined) {
          this.#write(body);
          this.#write('\r\n');
        }
      }
      this.#write('mn\r\n');
    });
  }

  /** Lets pending requests finish (bounded by the operation timeout), then closes the socket. */
  close(): Promise<void> {
    if (this.#dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        clearTimeout(bound);
        this.destroy(new ClosedError('memcached client'));
        resolve();
      };
      const bound = setTimeout(finish, this.#options.timeoutMs);
      this.#closing = finish;
      if (this.pending === 0) finish();
    });
  }

  /** Fails every pending request with `error` (the first one timed out gets it as is) and drops the socket. */
  destroy(error: Error): void {
    if (this.#dead) return;
    this.#dead = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#connectTimer);
    this.#socket.destroy();
    const queue = this.#queue.splice(this.#head);
    this.#head = 0;
    for (const [i, request] of queue.entries()) {
      request.reject(
        i === 0 || error instanceof ClosedError
          ? error
          : new StoreError(`memcached ${this.#address()}: connection discarded (${error.message})`, {
              cause: error,
            }),
      );
    }
    this.#onDead(this, this.#connected);
  }

  #address(): string {
    return `${this.#options.host}:${this.#options.port}`;
  }

  #unusable(): Error {
    return new StoreError(`memcached ${this.#address()}: connection is not usable`);
  }

  #reserve(count: number): number {
    if (!this.usable) return -1;
    if (this.#opaque + count >= MAX_OPAQUE) this.#opaque = 0;
    const opaque = this.#opaque;
    this.#opaque += count;
    return opaque;
  }

  #enqueue(request: Pending): void {
    (request as { deadline: number }).deadline = Date.now() + this.#options.timeoutMs;
    this.#queue.push(request);
    if (this.#timer === undefined) this.#arm(this.#options.timeoutMs);
  }

  /**
   * Queues bytes for the socket; everything queued in the same tick leaves in one write (adjacent command
   * lines merged into one string), so a 100-key batch or 64 concurrent gets cost one syscall, not hundreds.
   */
  #write(chunk: string | Uint8Array): void {
    const out = this.#out;
    if (out.length === 0) process.nextTick(this.#flush);
    const last = out.length - 1;
    if (typeof chunk === 'string' && last >= 0 && typeof out[last] === 'string') out[last] += chunk;
    else out.push(chunk);
  }

  readonly #flush = (): void => {
    const out = this.#out;
    this.#out = [];
    if (this.#dead) return;
    if (out.length === 1) {
      this.#socket.write(out[0]!, 'latin1');
      return;
    }
    this.#socket.cork();
    for (const chunk of out) {
      if (typeof chunk === 'string') this.#socket.write(chunk, 'latin1');
      else this.#socket.write(chunk);
    }
    this.#socket.uncork();
  };

  /** One timer per connection, re-armed lazily for the head request's deadline. */
  #arm(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const head = this.#queue[this.#head];
      if (head === undefined) return;
      const left = head.deadline - Date.now();
      if (left <= 0) {
        this.destroy(new StoreTimeoutError(`memcached ${this.#address()} request`, this.#options.timeoutMs));
      } else {
        this.#arm(left);
      }
    }, ms);
  }

  #dispatch(reply: MetaReply): void {
    const head = this.#queue[this.#head];
    if (head === undefined) throw new ProtocolError(`memcached: unsolicited ${reply.code} reply`);
    const isError = reply.code === 'CLIENT_ERROR' || reply.code === 'SERVER_ERROR';
    let done: boolean;
    if (head.replies === undefined) {
      if (!isError && reply.opaque !== head.opaque) {
        throw new ProtocolError(
          `memcached: reply opaque ${reply.opaque} does not match request ${head.opaque}`,
        );
      }
      done = true;
    } else if (reply.code === 'MN') {
      done = true;
    } else if (isError) {
      head.error ??= reply;
      done = false;
    } else {
      const slot = reply.opaque - head.opaque;
      if (reply.opaque < 0 || slot >= head.count || head.replies[slot] !== undefined) {
        throw new ProtocolError(`memcached: reply opaque ${reply.opaque} outside the pending batch`);
      }
      head.replies[slot] = reply;
      done = false;
    }
    if (!done) return;
    this.#head++;
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    } else if (this.#head > 1024) {
      this.#queue.splice(0, this.#head);
      this.#head = 0;
    }
    if (head.replies === undefined) head.resolve(reply as never);
    else if (head.error !== undefined) head.reject(errorFromReply(head.error));
    else head.resolve(head.replies as never);
    if (head.hasBody && (reply.code === 'CLIENT_ERROR' || head.error?.code === 'CLIENT_ERROR')) {
      // memcached may have refused the command line without swallowing its data block, which it would then
      // parse as commands: the stream can no longer be trusted.
      this.destroy(
        new ProtocolError(`memcached refused a storage command: ${reply.message || head.error?.message}`),
      );
      return;
    }
    if (this.#closing !== undefined && this.pending === 0) this.#closing();
  }
}

/** The typed error for a `CLIENT_ERROR`/`SERVER_ERROR` reply. */
export function errorFromReply(reply: MetaReply): StoreError {
  return new StoreError(`memcached ${reply.code}: ${reply.message}`);
}
