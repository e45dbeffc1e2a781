import { createClient } from '@redis/client';
import { StoreError } from '../../errors.js';
import { failFastClient } from './redis-store.js';
import { type ConnectionSettings, type RedisClientLike, reconnectStrategy } from './redis-transport.js';
import { RequestGate } from './request-gate.js';

/** A host and port of a sentinel or of a Redis node. */
export interface RedisNodeAddress {
  host: string;
  port: number;
}

/** Rediscoveries start at most this often (failover signals come in bursts: every reconnect attempt fails). */
const MIN_INTERVAL_MS = 100;
/** Connection errors in a row after which the `+switch-master` watch moves to the next sentinel. */
const ROTATE_AFTER_ERRORS = 3;

/**
 * Finds the master of one Sentinel-monitored set and follows its failovers.
 *
 * The master is asked of the sentinels in turn (`SENTINEL get-master-addr-by-name`, the one that answered
 * last first), each on a short-lived connection bounded by the connect timeout; the first that names it
 * wins. Until a master was found once, failed rounds are retried with capped backoff. A subscription on
 * one sentinel to `+switch-master` reports a failover as soon as the sentinels have elected the new master;
 * the owner also asks for a rediscovery on its own failover signals (connection errors, `READONLY`), and
 * those are bounded by a {@link RequestGate}: **one rediscovery in flight**, at most one started per
 * {@link MIN_INTERVAL_MS}, a request made meanwhile runs once after.
 */
export class SentinelDiscovery {
  readonly #sentinels: readonly RedisNodeAddress[];
  readonly #name: string;
  readonly #settings: ConnectionSettings;
  readonly #onMaster: (master: RedisNodeAddress) => void;
  readonly #onError: (err: unknown) => void;
  readonly #queries = new Set<RedisClientLike>();
  #preferred = 0;
  #found = false;
  #failures = 0;
  readonly #gate = new RequestGate(MIN_INTERVAL_MS, () => this.#round());
  #watch: RedisClientLike | undefined;
  #watchIndex = 0;
  #watchRetry: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(
    sentinels: readonly RedisNodeAddress[],
    name: string,
    settings: ConnectionSettings,
    onMaster: (master: RedisNodeAddress) => void,
    onError: (err: unknown) => void,
  ) {
    this.#sentinels = sentinels;
    this.#name = name;
    this.#settings = settings;
    this.#onMaster = onMaster;
    this.#onError = onError;
    this.request();
    this.#watchOn(0);
  }

  /** Rediscovery rounds run so far. */
  get rounds(): number {
    return this.#gate.runs;
  }

  /** Asks for a rediscovery (bounded, see the class comment). */
  request(): void {
    this.#gate.request();
  }

  #round(): Promise<void> {
    return this.#ask().then(
      (master) => {
        if (this.#closed) return;
        this.#found = true;
        this.#failures = 0;
        this.#onMaster(master);
      },
      (err: unknown) => {
        if (this.#closed) return;
        this.#onError(err);
        // Until a master was found once, failed rounds retry by themselves, with capped backoff.
        if (!this.#found)
          this.#gate.retryAfter(reconnectStrategy(this.#settings.maxReconnectDelayMs)(this.#failures++));
      },
    );
  }

  /** The master as named by the first sentinel that knows it. */
  async #ask(): Promise<RedisNodeAddress> {
    let last: unknown;
    for (let i = 0; i < this.#sentinels.length; i++) {
      const index = (this.#preferred + i) % this.#sentinels.length;
      const sentinel = this.#sentinels[index]!;
      try {
        const reply = await this.#query(sentinel);
        if (Array.isArray(reply) && reply.length === 2) {
          this.#preferred = index;
          return { host: String(reply[0]), port: Number(reply[1]) };
        }
        last = new StoreError(
          `sentinel ${sentinel.host}:${sentinel.port} does not monitor a master named \`${this.#name}\``,
        );
      } catch (err) {
        last = err;
      }
    }
    const why = last instanceof Error ? last.message : String(last);
    throw new StoreError(`No sentinel named the master \`${this.#name}\`: ${why}`, { cause: last });
  }

  async #query(sentinel: RedisNodeAddress): Promise<unknown> {
    const client = createClient({
      socket: {
        host: sentinel.host,
        port: sentinel.port,
        connectTimeout: this.#settings.connectTimeoutMs,
        reconnectStrategy: false,
      },
      disableOfflineQueue: true,
      commandOptions: { timeout: 0 },
    }) as unknown as RedisClientLike;
    // Its failure is the rejection below; the event only must not crash the process.
    client.on('error', () => {});
    this.#queries.add(client);
    const bound = setTimeout(() => client.destroy(), 2 * this.#settings.connectTimeoutMs);
    try {
      await client.connect();
      return await client.sendCommand(['SENTINEL', 'get-master-addr-by-name', this.#name]);
    } finally {
      clearTimeout(bound);
      this.#queries.delete(client);
      client.destroy();
    }
  }

  /** Subscribes to `+switch-master` on sentinel `index`, moving on after repeated connection errors. */
  #watchOn(index: number): void {
    if (this.#closed) return;
    this.#watchIndex = index % this.#sentinels.length;
    const client = failFastClient(this.#settings, this.#sentinels[this.#watchIndex]!);
    this.#watch = client;
    let errors = 0;
    let subscribed = false;
    client.on('error', (err: unknown) => {
      if (this.#watch !== client) return;
      this.#onError(err);
      if (!client.isReady && ++errors >= ROTATE_AFTER_ERRORS) this.#rotate(client);
    });
    client.on('ready', () => {
      errors = 0;
      // A switch announced while this connection was down was missed: ask again.
      if (subscribed) this.request();
    });
    client
      .connect()
      .then(() => client.subscribe('+switch-master', (message) => this.#switched(message)))
      .then(
        () => {
          subscribed = true;
        },
        (err: unknown) => {
          if (this.#watch !== client || this.#closed) return;
          this.#onError(err);
          this.#rotate(client);
        },
      );
  }

  #rotate(client: RedisClientLike): void {
    this.#watch = undefined;
    client.destroy();
    this.#watchRetry = setTimeout(
      () => this.#watchOn(this.#watchIndex + 1),
      this.#settings.maxReconnectDelayMs,
    );
    this.#watchRetry.unref();
  }

  /** `<name> <old-ip> <old-port> <new-ip> <new-port>`: the sentinels elected a new master. */
  #switched(message: string): void {
    const [name, , , host, port] = message.split(' ');
    if (name !== this.#name || host === undefined || port === undefined || this.#closed) return;
    this.#found = true;
    this.#onMaster({ host, port: Number(port) });
  }

  close(): void {
    this.#closed = true;
    this.#gate.close();
    clearTimeout(this.#watchRetry);
    this.#watch?.destroy();
    this.#watch = undefined;
    for (const client of this.#queries) client.destroy();
    this.#queries.clear();
  }
}
