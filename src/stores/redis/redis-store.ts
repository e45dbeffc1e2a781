import { createClient } from '@redis/client';
import { InvalidOptionError } from '../../errors.js';
import { describe } from '../../internal/asserts.js';
import { type IoredisLike, IoredisTransport, isIoredisClient } from './ioredis-transport.js';
import { RedisStoreBase, type RedisStoreOptions, resolveRedisOptions } from './redis-store-base.js';
import {
  ClientTransport,
  type ConnectionSettings,
  type RedisClientLike,
  type RedisTransport,
  reconnectStrategy,
} from './redis-transport.js';

/**
 * How a {@link RedisStore} reaches its server: a URL (the store owns the client) or a client of yours
 * (node-redis v5+ or ioredis v5).
 */
export type RedisStoreConnection = { url: string } | { client: RedisClientLike | IoredisLike };

/**
 * A `Store` over a standalone Redis server (node-redis v5+ or ioredis v5 client), holding bytes under
 * prefixed keys.
 *
 * With `{ url }` the store creates its client and sets it up to fail fast: no offline queue (a command
 * while disconnected rejects at once), a bounded connect timeout, and a capped-backoff reconnect strategy
 * that never gives up; `close()` quits it. With `{ client }` it borrows yours (connecting it if it is not
 * open) and leaves it open on `close()`; give it `disableOfflineQueue: true` (ioredis:
 * `enableOfflineQueue: false`) to fail fast too.
 *
 * Every failure rejects with a `StoreError` (`StoreTimeoutError` after `commandTimeoutMs`, `ClosedError`
 * after `close()`); connection errors are counted and passed to `onError`, never thrown.
 *
 * An owned connection that gets a `READONLY` reply (the URL's DNS name or proxy now leads to a replica: a
 * failover behind it) is dropped and dialled again, at most once per 100 ms. Each time the connection
 * becomes ready, `onReady` listeners run (the `Cache` probes its circuit breaker then).
 *
 * @example
 * const store = new RedisStore({ url: 'redis://127.0.0.1:6379' }, { prefix: 'app:' });
 * await store.set('user:1', new TextEncoder().encode('{"name":"Ada"}'), 60_000);
 */
export class RedisStore extends RedisStoreBase {
  constructor(connection: RedisStoreConnection, options: RedisStoreOptions = {}) {
    const resolved = resolveRedisOptions(options);
    super(resolved, 'redis', (settings, onError, onReady) => {
      if (typeof connection !== 'object' || connection === null) {
        throw new InvalidOptionError(`Expected \`{ url }\` or \`{ client }\`, got ${describe(connection)}`);
      }
      if ('client' in connection) return borrowed(connection.client, settings, onError, onReady);
      if (typeof connection.url !== 'string') {
        throw new InvalidOptionError(
          `Expected \`url\` to be a redis:// URL, got ${describe(connection.url)}`,
        );
      }
      const client = failFastClient(settings, { url: connection.url });
      return new ClientTransport(client, true, settings, onError, { onReady });
    });
  }
}

/** Where a client the store creates connects: a redis:// URL or a host and port. */
export type ClientAddress = { url: string } | { host: string; port: number };

/**
 * A new, unconnected node-redis client set up to fail fast: no offline queue, a bounded connect timeout and
 * a capped-backoff reconnect strategy that never gives up.
 */
export function failFastClient(settings: ConnectionSettings, address: ClientAddress): RedisClientLike {
  const reconnect = reconnectStrategy(settings.maxReconnectDelayMs);
  const socket = { connectTimeout: settings.connectTimeoutMs, reconnectStrategy: reconnect };
  return createClient({
    ...('url' in address
      ? { url: address.url, socket }
      : { socket: { ...socket, host: address.host, port: address.port } }),
    disableOfflineQueue: true,
    // The store bounds every command itself (commandTimeoutMs); node-redis's own default 5 s timer per
    // command only doubles the client's CPU and garbage.
    commandOptions: { timeout: 0 },
  }) as unknown as RedisClientLike;
}

/**
 * The transport over a borrowed node-redis or ioredis client; anything else would fail inside every call,
 * so it is refused.
 */
function borrowed(
  client: unknown,
  settings: ConnectionSettings,
  onError: (err: unknown) => void,
  onReady: () => void,
): RedisTransport {
  if (isIoredisClient(client)) return new IoredisTransport(client, onError);
  const c = client as Partial<RedisClientLike> | null;
  if (
    typeof c === 'object' &&
    c !== null &&
    typeof c.isOpen === 'boolean' &&
    typeof c.sendCommand === 'function' &&
    typeof c.duplicate === 'function'
  ) {
    return new ClientTransport(c as RedisClientLike, false, settings, onError, { onReady });
  }
  throw new InvalidOptionError(
    'Expected `client` to be a node-redis v5 client (createClient() from @redis/client or redis) or an ' +
      `ioredis v5 client (new Redis()), got ${describe(client)}; or pass { url } and the store creates its own connection`,
  );
}
