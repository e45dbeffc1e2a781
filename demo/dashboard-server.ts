import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Cache } from 'stratacache';
import { dashboardHandler } from 'stratacache/dashboard';

/** The live dashboard of the demo's cache, served on loopback for as long as the demo runs. */
export interface DashboardServer {
  /** `http://127.0.0.1:PORT/` */
  readonly url: string;
  /** Ends the open event streams and the connections, then stops listening. */
  close(): Promise<void>;
}

/** Serves `dashboardHandler(cache)` on 127.0.0.1:`port` (0: a free port) over plain `node:http`. */
export async function serveDashboard(cache: Pick<Cache, 'stats'>, port: number): Promise<DashboardServer> {
  const dashboard = dashboardHandler(cache, { intervalMs: 500 });
  const server = createServer(dashboard);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        dashboard.close();
        server.close((err) => (err === undefined ? resolve() : reject(err)));
        // A page left open keeps its connection alive; the demo must still exit on its own.
        server.closeAllConnections();
      }),
  };
}
