/**
 * Keeps a Redis Cluster client's slot map current after a failover or a resharding, within bounds.
 */
import type { RedisArgument } from '@redis/client';

/** A node of the slot map as node-redis v5+ holds it: its `host:port` and its connection, once made. */
export interface ClusterNodeLike {
  readonly host: string;
  readonly port: number;
  readonly address?: string;
  readonly client?: NodeClientLike;
}

/** A node's connection, as a refresh uses it. */
export interface NodeClientLike {
  readonly isReady: boolean;
  sendCommand(args: readonly RedisArgument[]): Promise<unknown>;
}

/** The parts of a node-redis cluster client a refresh reads and drives. */
export interface ClusterTopologyLike {
  readonly masters: readonly ClusterNodeLike[];
  /** The shard of each slot (empty until the topology is known); the master's `address` is `host:port`. */
  readonly slots?: ReadonlyArray<{ readonly master: { readonly address: string } } | undefined>;
  /**
   * node-redis's slot-map owner; its `rediscover` is shared with the client's own MOVED handling. Given a
   * node's client, it asks that node first (else a node it picks at random, which may be one that stopped
   * answering: its rediscovery, which all later ones join, would then wait on it).
   */
  readonly _slots?: { rediscover(startWith?: NodeClientLike): Promise<void> };
}

/** Bounds of a {@link SlotMapRefresh}. */
export interface SlotMapRefreshOptions {
  /** The least time between two refresh starts (ms). */
  minIntervalMs: number;
  /** How long one refresh may take before the next may start (ms). */
  timeoutMs: number;
}

/**
 * Refreshes a cluster client's slot map when the store sees a sign that it is stale: a node's connection
 * breaking, a command failing for the transport, `CLUSTERDOWN`, or too many `MOVED` redirections.
 *
 * node-redis rediscovers on a `MOVED` reply, but a dead master answers nothing: by default its slots are
 * looked up again only once one of its connections has been reconnecting for 5 s, so a replica promoted
 * after one second gets its traffic seconds later; a master that stops answering without closing its
 * connections (paused, blackholed) is noticed only by command timeouts. A refresh here first asks the ready
 * masters for `CLUSTER SLOTS` over their existing connections (the first answer counts) and, only when an
 * owner changed, rediscovers (new connections) starting from the master that answered; while a master of
 * the map stays unreachable it checks again every interval, so a promotion is followed within about one
 * interval of the other masters learning of it.
 *
 * **Bounded**: one refresh in flight, at most one start per `minIntervalMs`, each given up after
 * `timeoutMs`; requests in between coalesce into one more refresh.
 */
export class SlotMapRefresh {
  readonly #cluster: ClusterTopologyLike;
  readonly #options: SlotMapRefreshOptions;
  readonly #onError: (err: unknown) => void;
  #running = false;
  #again = false;
  #lastStart = Number.NEGATIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Refreshes started, and those that rediscovered the topology (for tests and stats). */
  readonly counts = { checks: 0, rediscoveries: 0 };

  constructor(cluster: ClusterTopologyLike, options: SlotMapRefreshOptions, onError: (err: unknown) => void) {
    this.#cluster = cluster;
    this.#options = options;
    this.#onError = onError;
  }

  /** Asks for a refresh; it starts now, after the interval since the last one, or after the running one. */
  request(): void {
    if (this.#closed || this.#timer !== undefined) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    const waitMs = this.#lastStart + this.#options.minIntervalMs - performance.now();
    if (waitMs <= 0) {
      this.#start();
      return;
    }
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.request();
    }, waitMs);
    this.#timer.unref();
  }

  #start(): void {
    this.#running = true;
    this.#lastStart = performance.now();
    this.counts.checks++;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#options.timeoutMs);
      timer.unref();
    });
    Promise.race([this.#refresh(), expired])
      .catch((err: unknown) => {
        if (!this.#closed) this.#onError(err);
      })
      .finally(() => {
        clearTimeout(timer);
        this.#running = false;
        if (this.#again || this.#unreachableMaster()) {
          this.#again = false;
          this.request();
        }
      });
  }

  async #refresh(): Promise<void> {
    const rediscover = this.#cluster._slots;
    if (rediscover === undefined) return;
    // Every master with a ready connection is asked and the first answer counts: a paused or blackholed
    // master still looks ready and never answers, so asking only one could ask it every time.
    const live = this.#cluster.masters.flatMap((m) => (m.client?.isReady === true ? [m.client] : []));
    let answered: NodeClientLike | undefined;
    if (live.length > 0) {
      const first = await Promise.any(
        live.map((client) => client.sendCommand(['CLUSTER', 'SLOTS']).then((reply) => ({ client, reply }))),
      );
      if (sameOwners(first.reply, this.#cluster.slots)) return;
      answered = first.client;
    }
    if (this.#closed) return;
    this.counts.rediscoveries++;
    await rediscover.rediscover(answered);
  }

  /** True when a master of the map has a connection that is not ready (it is reconnecting). */
  #unreachableMaster(): boolean {
    return this.#cluster.masters.some((m) => m.client !== undefined && !m.client.isReady);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * True when a `CLUSTER SLOTS` reply (`[from, to, [host, port, …], …replicas]` per range) names the same
 * master for every slot as `slots`, and `slots` knows no slot the reply leaves out.
 */
export function sameOwners(reply: unknown, slots: ClusterTopologyLike['slots']): boolean {
  if (!Array.isArray(reply) || slots === undefined) return false;
  let covered = 0;
  for (const range of reply) {
    if (!Array.isArray(range) || !Array.isArray(range[2])) return false;
    const from = Number(range[0]);
    const to = Number(range[1]);
    const address = `${String(range[2][0])}:${String(range[2][1])}`;
    if (!(from >= 0 && to >= from)) return false;
    for (let s = from; s <= to; s++) if (slots[s]?.master.address !== address) return false;
    covered += to - from + 1;
  }
  let known = 0;
  for (const shard of slots) if (shard !== undefined) known++;
  return covered === known;
}
