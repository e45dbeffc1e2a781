import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Cache, Store } from 'stratacache';
import { InvalidOptionError } from 'stratacache';
import { bucketUpperMs } from 'stratacache/metrics';
import {
  DEFAULT_FLEET_PREFIX,
  readFleet,
  type WriteBehindSource,
  writeBehindSources,
} from '../fleet/heartbeat.js';
import { type NodeHealth, nodeHealthOf, type WriteBehindSummary, writeBehindOf } from '../fleet/snapshot.js';
import { type ActionTarget, type DashboardActionsOptions, resolveActions } from './actions.js';
import { renderPage } from './page.js';

/** Options of {@link dashboardHandler}. */
export interface DashboardOptions {
  /** Ms between stats pushed to each open page. @default 1000 */
  intervalMs?: number;
  /** A store the fleet heartbeats are written to (`startHeartbeat`); without it the fleet table stays empty. */
  fleetStore?: Store;
  /** The heartbeat key prefix. @default '__sc_fleet:' */
  keyPrefix?: string;
  /** Write-behind queues of this process: the page shows their depth, dead letters and lag. */
  writeBehind?: WriteBehindSource | readonly WriteBehindSource[];
  /**
   * Enables the actions (`POST <mount>/actions/invalidate-tag`, `/invalidate-pattern`, `/clear-namespace`),
   * each requiring `Authorization: Bearer <token>`. Without it the dashboard is read-only.
   */
  actions?: DashboardActionsOptions;
}

/** What the dashboard reads of the cache: `stats()`, and the invalidation methods when actions are enabled. */
export type DashboardCache = Pick<Cache, 'stats'> & Partial<ActionTarget>;

/** A `node:http` request handler (also an Express/Connect middleware: unknown paths go to `next`). */
export interface DashboardHandler {
  (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void): void;
  /** Ends every open event stream and stops the timer. */
  close(): void;
}

/** One message of the event stream: counters, sizes and latency, never keys or values. */
export interface DashboardSnapshot {
  at: number;
  hits: number;
  misses: number;
  hitRatio: number;
  tiers: ReturnType<Cache['stats']>['tiers'];
  stale: ReturnType<Cache['stats']>['stale'];
  entries: number;
  bytes: number;
  evictions: number;
  l2CircuitOpen: boolean;
  /** Per-server breakers of the L2, when its store names servers. */
  nodes?: NodeHealth;
  /** The `writeBehind` queues, added up; absent without any. */
  writeBehind?: WriteBehindSummary;
  latency: Record<
    'get' | 'load',
    { p50: number; p90: number; p99: number; buckets: Array<[upperMs: number, count: number]> }
  >;
  fleet?: Array<{
    id: string;
    name?: string;
    host: string;
    pid: number;
    hits: number;
    misses: number;
    entries: number;
    breakerOpen: boolean;
    /** Servers with a breaker, and how many of them are open. */
    nodes?: { total: number; open: number };
    writeBehind?: { pending: number; deadLettered: number; lagMs: number };
    ageMs: number;
  }>;
}

function asset(file: string): () => string {
  let text: string | undefined;
  return () => {
    // uPlot is read from the installed package once, on first request (a devDependency today: see docs/observability.md).
    text ??= readFileSync(
      createRequire(join(process.cwd(), 'noop.js')).resolve(`uplot/dist/${file}`),
      'utf8',
    );
    return text;
  };
}
const uplotJs = asset('uPlot.iife.min.js');
const uplotCss = asset('uPlot.min.css');

async function snapshot(
  cache: Pick<Cache, 'stats'>,
  options: DashboardOptions,
  queues: readonly WriteBehindSource[],
): Promise<DashboardSnapshot> {
  const s = cache.stats();
  const nodes = nodeHealthOf(s.l2CircuitOpenByNode);
  const writeBehind = writeBehindOf(queues.map((q) => q.stats()));
  const lat = (l: (typeof s.latency)['get']) => ({
    p50: l.p50,
    p90: l.p90,
    p99: l.p99,
    buckets: l.histogram.buckets.map(([i, n]): [number, number] => [bucketUpperMs(i), n]),
  });
  const out: DashboardSnapshot = {
    at: Date.now(),
    hits: s.hits,
    misses: s.misses,
    hitRatio: s.hitRatio,
    tiers: s.tiers,
    stale: s.stale,
    entries: s.entries,
    bytes: s.bytes,
    evictions: s.evictions,
    l2CircuitOpen: s.l2CircuitOpen,
    ...(nodes === undefined ? {} : { nodes }),
    ...(writeBehind === undefined ? {} : { writeBehind }),
    latency: { get: lat(s.latency.get), load: lat(s.latency.load) },
  };
  if (options.fleetStore !== undefined) {
    try {
      const fleet = await readFleet(options.fleetStore, {
        keyPrefix: options.keyPrefix ?? DEFAULT_FLEET_PREFIX,
      });
      out.fleet = fleet.instances.map((i) => ({
        id: i.id,
        ...(i.name === undefined ? {} : { name: i.name }),
        host: i.host,
        pid: i.pid,
        hits: i.counters.hits,
        misses: i.counters.misses,
        entries: i.l1.entries,
        breakerOpen: i.breakerOpen,
        ...(i.nodes === undefined ? {} : { nodes: { total: i.nodes.total, open: i.nodes.open } }),
        ...(i.writeBehind === undefined
          ? {}
          : {
              writeBehind: {
                pending: i.writeBehind.pending,
                deadLettered: i.writeBehind.deadLettered,
                lagMs: i.writeBehind.lagMs,
              },
            }),
        ageMs: out.at - i.at,
      }));
    } catch {
      // A fleet store that is down leaves the table as it was; the local numbers keep flowing.
    }
  }
  return out;
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
}

/**
 * A dashboard of `cache`: `GET <mount>/` serves one page with live charts (hit ratio, requests/s by outcome,
 * get latency percentiles and histogram, L1 size, L2 errors, breaker and node health, write-behind depth and
 * lag, the fleet table), `GET <mount>/events` streams a {@link DashboardSnapshot} every `intervalMs` as
 * Server-Sent Events. Mount it on its own path; it never shows keys or values. One timer serves every open
 * page; it runs only while a page is open and is unref'd.
 *
 * **Read-only by default.** With `actions: { token }`, `POST <mount>/actions/<name>` with a JSON body
 * invalidates a tag (`invalidate-tag`, `{"tag"}`), a glob (`invalidate-pattern`, `{"pattern"}`) or clears a
 * namespace (`clear-namespace`, `{"namespace"}`) through the public Cache API; each request needs
 * `Authorization: Bearer <token>` (401 without, 403 with another token), a body of at most 4 KB (413) of the
 * expected shape (400). The page shows a form for them and the operator types the token there.
 *
 * @example
 * const dashboard = dashboardHandler(cache, { fleetStore: store });
 * http.createServer(dashboard).listen(9464, '127.0.0.1');
 */
export function dashboardHandler(cache: DashboardCache, options: DashboardOptions = {}): DashboardHandler {
  const intervalMs = options.intervalMs ?? 1000;
  if (typeof intervalMs !== 'number' || !(intervalMs >= 50 && intervalMs <= 60_000)) {
    throw new InvalidOptionError(
      `Expected \`intervalMs\` to be a number of ms between 50 and 60000, got ${String(intervalMs)}`,
    );
  }
  const queues = writeBehindSources(options.writeBehind);
  const actions = resolveActions(cache, options.actions);
  const page = renderPage({ actions: actions !== undefined });
  const clients = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  const push = async (to: Iterable<ServerResponse>): Promise<void> => {
    const data = `data: ${JSON.stringify(await snapshot(cache, options, queues))}\n\n`;
    for (const res of to) res.write(data);
  };
  const tick = (): void => {
    if (busy) return;
    busy = true;
    void push(clients).finally(() => {
      busy = false;
    });
  };
  const drop = (res: ServerResponse): void => {
    clients.delete(res);
    if (clients.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };

  const handler = ((req, res, next) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const cut = path.lastIndexOf('/');
    const leaf = path.slice(cut + 1);
    if (path.slice(0, cut).endsWith('/actions')) {
      if (actions !== undefined) actions.handle(leaf, req, res);
      else if (next !== undefined) next();
      else notFound(res);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (leaf === '' || leaf === 'index.html') {
      // Relative asset URLs need the trailing slash (`/dash` → `/dash/`).
      if (leaf === '' && !path.endsWith('/')) {
        res.writeHead(308, { location: `${path}/` }).end();
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
        .end(page);
    } else if (leaf === 'uplot.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' }).end(uplotJs());
    } else if (leaf === 'uplot.css') {
      res.writeHead(200, { 'content-type': 'text/css; charset=utf-8' }).end(uplotCss());
    } else if (leaf === 'events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      clients.add(res);
      req.on('close', () => drop(res));
      void push([res]);
      if (timer === undefined) {
        timer = setInterval(tick, intervalMs);
        timer.unref();
      }
    } else if (next !== undefined) {
      next();
    } else {
      notFound(res);
    }
  }) as DashboardHandler;
  handler.close = () => {
    for (const res of [...clients]) {
      res.end();
      drop(res);
    }
  };
  return handler;
}
