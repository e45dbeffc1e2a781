/**
 * A small in-process TCP fault proxy (node:net) for failure tests: clients connect to the proxy, which
 * forwards to a real server and injects faults switchable at runtime — latency with jitter, blackhole
 * (accept and swallow: a half-open connection), close, reset (RST), a reply truncated mid-frame, and
 * refused connections. The kernel here has no netem, so this is how tests see a slow or dead network.
 *
 * @example
 * const proxy = await startFaultProxy({ port: server.port });
 * const store = new RedisStore({ url: `redis://127.0.0.1:${proxy.port}` });
 * proxy.blackhole();   // every byte now vanishes, both ways
 * proxy.heal();
 * await proxy.stop();
 */
import net from 'node:net';

/** A running proxy; every fault applies to existing and new connections until healed. */
export interface FaultProxy {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** Open client connections. */
  readonly connections: number;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Delays every chunk, both ways, by `ms` ± `jitterMs` (order is kept). */
  latency(ms: number, jitterMs?: number): void;
  /** Swallows every byte both ways (connections stay open: half-open from the client's view). */
  blackhole(on?: boolean): void;
  /** Stops accepting: new connections get ECONNREFUSED (existing ones live on). */
  refuse(on?: boolean): Promise<void>;
  /** Closes every open connection (FIN) — the client sees the server go away. */
  closeAll(): void;
  /** Resets every open connection (RST). */
  resetAll(): void;
  /**
   * Forwards only the first `bytes` bytes of the next server reply chunk, then resets that connection
   * (`then: 'reset'`) or swallows everything after on it (`then: 'hang'`).
   */
  truncateNext(bytes: number, then?: 'reset' | 'hang'): void;
  /**
   * Sends new connections to `port` (a failover behind a DNS name or a managed proxy); open connections
   * keep their old server.
   */
  retarget(port: number): void;
  /** Clears every fault (latency, blackhole, refusal, pending truncation). */
  heal(): Promise<void>;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
}

interface Pipe {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  swallow: boolean;
}

/** A direction of a pipe that delivers chunks in order after their delay. */
class DelayLine {
  readonly #queue: Array<{ at: number; chunk: Buffer }> = [];
  #timer: NodeJS.Timeout | undefined;
  readonly #deliver: (chunk: Buffer) => void;

  constructor(deliver: (chunk: Buffer) => void) {
    this.#deliver = deliver;
  }

  push(chunk: Buffer, delayMs: number): void {
    if (delayMs <= 0 && this.#queue.length === 0) {
      this.#deliver(chunk);
      return;
    }
    const last = this.#queue.at(-1)?.at ?? 0;
    this.#queue.push({ at: Math.max(last, Date.now() + delayMs), chunk });
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        const now = Date.now();
        while (this.#queue.length > 0 && this.#queue[0]!.at <= now) this.#deliver(this.#queue.shift()!.chunk);
        this.#schedule();
      },
      Math.max(0, this.#queue[0]!.at - Date.now()),
    );
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#queue.length = 0;
  }
}

/** Starts a proxy on a free loopback port in front of `target`. */
export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  const host = target.host ?? '127.0.0.1';
  let targetPort = target.port;
  const pipes = new Set<Pipe>();
  let latencyMs = 0;
  let jitterMs = 0;
  let swallowAll = false;
  let truncate: { bytes: number; then: 'reset' | 'hang' } | undefined;
  let accepted = 0;

  const delay = (): number =>
    latencyMs <= 0 ? 0 : Math.max(0, latencyMs + (Math.random() * 2 - 1) * jitterMs);

  const onConnection = (client: net.Socket): void => {
    accepted++;
    const upstream = net.connect(targetPort, host);
    const pipe: Pipe = { client, upstream, swallow: false };
    pipes.add(pipe);
    const toServer = new DelayLine((chunk) => {
      if (!swallowAll && !pipe.swallow && upstream.writable) upstream.write(chunk);
    });
    const toClient = new DelayLine((chunk) => {
      if (swallowAll || pipe.swallow || !client.writable) return;
      const cut = truncate;
      if (cut === undefined) {
        client.write(chunk);
        return;
      }
      truncate = undefined;
      client.write(chunk.subarray(0, Math.min(cut.bytes, chunk.length)), () => {
        if (cut.then === 'hang') pipe.swallow = true;
        else client.resetAndDestroy();
      });
    });
    const teardown = (): void => {
      toServer.stop();
      toClient.stop();
      pipes.delete(pipe);
      if (!client.destroyed) client.destroy();
      if (!upstream.destroyed) upstream.destroy();
    };
    client.on('data', (chunk) => toServer.push(chunk, delay()));
    upstream.on('data', (chunk) => toClient.push(chunk, delay()));
    client.on('error', teardown).on('close', teardown);
    upstream.on('error', teardown).on('close', teardown);
  };

  let server: net.Server | undefined;
  const listen = (port: number): Promise<net.Server> =>
    new Promise((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(s));
    });
  server = await listen(0);
  const port = (server.address() as net.AddressInfo).port;

  const proxy: FaultProxy = {
    host: '127.0.0.1',
    port,
    get connections() {
      return pipes.size;
    },
    get accepted() {
      return accepted;
    },
    latency(ms, jitter = 0) {
      latencyMs = ms;
      jitterMs = jitter;
    },
    blackhole(on = true) {
      swallowAll = on;
    },
    async refuse(on = true) {
      if (on && server !== undefined) {
        server.close();
        server = undefined;
      } else if (!on && server === undefined) {
        server = await listen(port);
      }
    },
    closeAll() {
      for (const p of pipes) {
        p.client.destroy();
        p.upstream.destroy();
      }
    },
    resetAll() {
      for (const p of pipes) {
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
    },
    truncateNext(bytes, then = 'reset') {
      truncate = { bytes, then };
    },
    retarget(to) {
      targetPort = to;
    },
    async heal() {
      latencyMs = 0;
      jitterMs = 0;
      swallowAll = false;
      truncate = undefined;
      for (const p of pipes) p.swallow = false;
      await proxy.refuse(false);
    },
    async stop() {
      const s = server;
      server = undefined;
      for (const p of pipes) {
        p.client.destroy();
        p.upstream.destroy();
      }
      if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
  return proxy;
}
