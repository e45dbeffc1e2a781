/** Shared fixtures of the Redis pattern suites: a private redis-server and clients on it. */
import { createClient, type RedisClientType } from '@redis/client';
import { sleep } from '../../helpers/clock.js';
import { type ServerHandle, startRedis } from '../../helpers/servers.js';

export { sleep };

export interface Standalone {
  server: ServerHandle;
  /** Fails fast while disconnected (`disableOfflineQueue`), as the library recommends. */
  client: RedisClientType;
  /** Opens another client on the same server (closed by `stop`). */
  another(options?: { disableOfflineQueue?: boolean }): Promise<RedisClientType>;
  stop(): Promise<void>;
}

export async function standalone(): Promise<Standalone> {
  const server = await startRedis();
  const clients: RedisClientType[] = [];
  const another = async (options: { disableOfflineQueue?: boolean } = {}) => {
    const client: RedisClientType = createClient({
      url: server.url,
      disableOfflineQueue: options.disableOfflineQueue ?? true,
      socket: { reconnectStrategy: () => 50 },
    });
    client.on('error', () => undefined);
    await client.connect();
    clients.push(client);
    return client;
  };
  const client = await another();
  return {
    server,
    client,
    another,
    async stop() {
      for (const c of clients) c.destroy();
      await server.stop();
    },
  };
}

/** Counts unhandled rejections while installed. */
export function trackUnhandledRejections(): { readonly reasons: unknown[]; dispose(): void } {
  const reasons: unknown[] = [];
  const listener = (reason: unknown) => reasons.push(reason);
  process.on('unhandledRejection', listener);
  return { reasons, dispose: () => process.off('unhandledRejection', listener) };
}

/** Polls `check` until it is true, or throws after `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(20);
  }
}
