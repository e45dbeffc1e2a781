/**
 * The invalidation bus: how instances keep their L1 tiers in sync.
 *
 * Messages carry what changed (keys, tags, a pattern, a namespace) and when, never values. Delivery is
 * **at-most-once** (Redis pub/sub): a bus that loses its connection calls `onReset` once it is back, and
 * the `Cache` then purges its L1, so staleness is bounded by the time to detect the cut and resubscribe
 * (at worst by the L1 TTL).
 *
 * Wire format (JSON, one message per publish; other services may publish it too):
 * `{"v":1,"type":"delete","keys":["app:user:1"],"ts":1732600000000,"from":"<instance id>"}`
 * where `keys` are the cache's full stored keys (prefix included), and `type` is one of
 * `set` | `delete` (keys), `tags` (tags), `pattern` (a glob over full keys), `namespace` (namespace +
 * generation) or `clear` (everything under the cache's prefix).
 */
export type BusMessage =
  | { v: 1; type: 'set' | 'delete'; keys: string[]; ts: number; from: string }
  | { v: 1; type: 'tags'; tags: string[]; ts: number; from: string }
  | { v: 1; type: 'pattern'; pattern: string; ts: number; from: string }
  | { v: 1; type: 'namespace'; namespace: string; generation: number; ts: number; from: string }
  | { v: 1; type: 'clear'; ts: number; from: string };

/** A transport for {@link BusMessage}s (Redis pub/sub in `stratacache/redis`). */
export interface Bus {
  /** Sends a message to every other subscribed instance; rejects on transport failure (counted, not fatal). */
  publish(message: BusMessage): Promise<void>;
  /**
   * Starts delivering messages to `onMessage`. `onReset` is called each time the subscription was lost
   * and has been re-established (messages may have been missed in between).
   */
  subscribe(onMessage: (message: BusMessage) => void, onReset: () => void): Promise<void>;
  /** Unsubscribes and releases connections the bus created; idempotent. */
  close(): Promise<void>;
}

/** Parses a wire message; `undefined` for anything that is not a well-formed version-1 message. */
export function decodeBusMessage(raw: string): BusMessage | undefined {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof m !== 'object' || m === null) return undefined;
  const o = m as Record<string, unknown>;
  if (o.v !== 1 || typeof o.ts !== 'number' || typeof o.from !== 'string') return undefined;
  const strings = (x: unknown): x is string[] => Array.isArray(x) && x.every((s) => typeof s === 'string');
  switch (o.type) {
    case 'set':
    case 'delete':
      return strings(o.keys) ? (o as BusMessage) : undefined;
    case 'tags':
      return strings(o.tags) ? (o as BusMessage) : undefined;
    case 'pattern':
      return typeof o.pattern === 'string' ? (o as BusMessage) : undefined;
    case 'namespace':
      return typeof o.namespace === 'string' && typeof o.generation === 'number'
        ? (o as BusMessage)
        : undefined;
    case 'clear':
      return o as BusMessage;
    default:
      return undefined;
  }
}
