import type { Store } from '../stores/store.js';
import type { Clock } from '../ttl/clock.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './circuit-breaker.js';

/** How many servers get a breaker of their own; calls on further servers share the default one. */
export const MAX_NODE_BREAKERS = 32;

/**
 * The circuit breakers of a remote tier: one per server the store names with `nodeFor`, so failures on
 * one Cluster master or pool node never refuse calls to the others, plus a default breaker for stores
 * that name no server, keyless calls, multi-key calls spanning servers, and servers beyond the cap.
 *
 * **Bounded**: at most {@link MAX_NODE_BREAKERS} per-node breakers; when a new server appears at the cap
 * (a failover renamed a master), a closed breaker makes room, and only when all are open does the new
 * server share the default breaker.
 */
export class Breakers {
  readonly default: CircuitBreaker;
  readonly #store: Store;
  readonly #options: Required<CircuitBreakerOptions>;
  readonly #clock: Clock;
  readonly #byNode = new Map<string, CircuitBreaker>();

  constructor(store: Store, options: Required<CircuitBreakerOptions>, clock: Clock) {
    this.#store = store;
    this.#options = options;
    this.#clock = clock;
    this.default = new CircuitBreaker(options, clock);
  }

  /** True while any breaker is open. */
  get anyOpen(): boolean {
    if (this.default.open) return true;
    for (const breaker of this.#byNode.values()) if (breaker.open) return true;
    return false;
  }

  /** Whether each server's own breaker is open, by server (copies; the default breaker is not listed). */
  openByNode(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const [node, breaker] of this.#byNode) out[node] = breaker.open;
    return out;
  }

  /**
   * A connection of the store became ready (`node`: the server it reaches, `undefined`: every server): the
   * open breakers it concerns probe on their next call instead of waiting out their reset time. The
   * default breaker is always concerned (its calls may go to any server).
   */
  ready(node: string | undefined): void {
    this.default.ready();
    if (node !== undefined) this.#byNode.get(node)?.ready();
    else for (const breaker of this.#byNode.values()) breaker.ready();
  }

  /** The breaker of the server holding `key`. */
  forKey(key: string): CircuitBreaker {
    if (this.#store.nodeFor === undefined) return this.default;
    return this.#forNode(this.#store.nodeFor(key));
  }

  /** The breaker of the server holding every key, or the default one when they span servers. */
  forKeys(keys: readonly string[]): CircuitBreaker {
    if (this.#store.nodeFor === undefined || keys.length === 0) return this.default;
    const node = this.#store.nodeFor(keys[0]!);
    for (let i = 1; i < keys.length; i++) if (this.#store.nodeFor(keys[i]!) !== node) return this.default;
    return this.#forNode(node);
  }

  #forNode(node: string | undefined): CircuitBreaker {
    if (node === undefined) return this.default;
    const known = this.#byNode.get(node);
    if (known !== undefined) return known;
    this.#dropGone();
    if (this.#byNode.size >= MAX_NODE_BREAKERS && !this.#evictClosed()) return this.default;
    const breaker = new CircuitBreaker(this.#options, this.#clock);
    this.#byNode.set(node, breaker);
    return breaker;
  }

  /** On a server new to the breakers: drops those of servers the store no longer names (a failed-over master). */
  #dropGone(): void {
    if (this.#store.nodes === undefined || this.#byNode.size === 0) return;
    const live = new Set(this.#store.nodes());
    for (const node of this.#byNode.keys()) if (!live.has(node)) this.#byNode.delete(node);
  }

  /** Drops the oldest closed per-node breaker; false when every one is open. */
  #evictClosed(): boolean {
    for (const [node, breaker] of this.#byNode) {
      if (!breaker.open) {
        this.#byNode.delete(node);
        return true;
      }
    }
    return false;
  }
}
